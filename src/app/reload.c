/* SIGHUP reload (reload.h). */
#include "app/reload.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/options.h"
#include "app/setup.h"
#include "core/server.h"
#include "files/mime.h"

struct app_snapshot {
	struct server_snapshot base; /* first: the workers hold this */
	struct mime_table *mime;
	struct config cfg;
};

const reload_hook reload_hooks[] = {
	NULL,
};

static void snapshot_destroy(struct server_snapshot *s)
{
	struct app_snapshot *a = (struct app_snapshot *)s;

	mime_table_free(a->mime);
	config_free(&a->cfg);
	free(a);
}

/* How the access log is written: a reload may change the file's name,
 * not whether there is one. */
static int log_kind(const struct config *c)
{
	return c->quiet ? 0 : setup_log_is_file(c) ? 2 : 1;
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_value(const struct opt_row *row, const struct config *a, const struct config *b)
{
	const char *fa = (const char *)a + row->field, *fb = (const char *)b + row->field;

	switch (row->kind) {
	case OPT_FLAG:
	case OPT_UNFLAG:
		return *(const bool *)fa == *(const bool *)fb;
	case OPT_INT:
	case OPT_CHOICE:
		return *(const int *)fa == *(const int *)fb;
	case OPT_LONG:
		return *(const long *)fa == *(const long *)fb;
	case OPT_SIZE:
		return *(const size_t *)fa == *(const size_t *)fb;
	case OPT_TEXT:
		return same_text(*(const char *const *)fa, *(const char *const *)fb);
	default: /* custom rows are all live */
		return true;
	}
}

/* b's field gets a's value (text copied into b). */
static void keep_value(const struct opt_row *row, const struct config *a, struct config *b)
{
	const char *fa = (const char *)a + row->field;
	char *fb = (char *)b + row->field;

	switch (row->kind) {
	case OPT_FLAG:
	case OPT_UNFLAG:
		*(bool *)fb = *(const bool *)fa;
		break;
	case OPT_INT:
	case OPT_CHOICE:
		*(int *)fb = *(const int *)fa;
		break;
	case OPT_LONG:
		*(long *)fb = *(const long *)fa;
		break;
	case OPT_SIZE:
		*(size_t *)fb = *(const size_t *)fa;
		break;
	case OPT_TEXT: {
		const char *t = *(const char *const *)fa;
		/* A built-in default is not in a's text: keep the pointer. */
		bool own = t && t >= a->text && t < a->text + sizeof(a->text);

		*(const char **)fb = own ? config_keep(b, t) : t;
		break;
	}
	default:
		break;
	}
}

static void add_name(char *out, size_t outlen, int n, const char *name)
{
	size_t used = strlen(out);

	snprintf(out + used, outlen - used, "%s--%s", n ? ", " : "", name);
}

int reload_keep_restart_only(const struct config *a, struct config *b, char *out, size_t outlen)
{
	int n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < opt_count; i++) {
		const struct opt_row *row = &opt_table[i];

		if ((row->flags & (OPT_LIVE | OPT_CLI_ONLY)) || row->kind == OPT_ACTION)
			continue;
		if (same_value(row, a, b))
			continue;
		add_name(out, outlen, n++, row->name);
		keep_value(row, a, b);
	}
	if (log_kind(a) != log_kind(b)) {
		const struct opt_row *log = opt_by_field(offsetof(struct config, access_log));

		add_name(out, outlen, n++, log->name);
		keep_value(log, a, b);
		b->quiet = a->quiet;
	}
	return n;
}

int reload_run(struct reload *r)
{
	struct app_snapshot *s;
	char err[512], kept[512];
	int code;

	if (!r->cfg->config_file)
		return -1; /* nothing to read again; SIGHUP only reopens the log */
	s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, "eisd: reload failed, nothing changed: out of memory\n");
		return -1;
	}
	config_defaults(&s->cfg);
	if (config_parse(&s->cfg, r->argc, r->argv, err, sizeof(err)) != CONFIG_OK)
		goto fail;
	if (reload_keep_restart_only(r->cfg, &s->cfg, kept, sizeof(kept)))
		fprintf(stderr, "eisd: reload: %s cannot change while running (needs a restart); kept as it was\n",
			kept);
	s->mime = setup_mime(&s->cfg, &code, err, sizeof(err));
	if (!s->mime)
		goto fail;
	for (const reload_hook *h = reload_hooks; *h; h++)
		if ((*h)(r->cfg, &s->cfg, err, sizeof(err)))
			goto fail;
	atomic_init(&s->base.refs, 1);
	s->base.cfg = &s->cfg;
	s->base.mime = s->mime;
	s->base.destroy = snapshot_destroy;
	server_publish(r->srv, &s->base);
	if (r->cur)
		server_snapshot_release(&r->cur->base);
	r->cur = s;
	r->cfg = &s->cfg;
	fprintf(stderr, "eisd: reloaded %s\n", s->cfg.config_file);
	return 0;
fail:
	fprintf(stderr, "eisd: reload failed, nothing changed: %s\n", err);
	mime_table_free(s->mime);
	config_free(&s->cfg);
	free(s);
	return -1;
}

void reload_done(struct reload *r)
{
	if (r->cur)
		server_snapshot_release(&r->cur->base);
	r->cur = NULL;
}
