/* The config file: one `name = value` per line, the names those of the
 * option table (config_file.h has the grammar). */
#include "app/config_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/options.h"

struct file_state {
	struct config *cfg;
	const char *path;
	int line;
	struct config *target;          /* cfg, or the section's scratch */
	struct config_location *loc;    /* the section, NULL at top level */
	struct config *overridden;      /* checks values the command line overrides */
	int first[CONFIG_MAX_OPTS];     /* line a row was first set in this section */
	char *err;
	size_t errlen;
};

static enum config_result fail(struct file_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum config_result fail(struct file_state *st, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(st->err, st->errlen, "%s:%d: ", st->path, st->line);

	if (n < 0 || (size_t)n >= st->errlen)
		return CONFIG_USAGE;
	va_start(ap, fmt);
	vsnprintf(st->err + n, st->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return CONFIG_USAGE;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static char *skip_space(char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* The value starting at p (after "name ="), unquoted in place; NULL and
 * *why on a malformed one. */
static char *take_value(char *p, const char **why)
{
	char *out, *w, *end;

	if (*p == '"' || *p == '\'') {
		char q = *p++;

		out = w = p;
		for (; *p != q; p++) {
			if (*p == '\0') {
				*why = "unterminated quoted value";
				return NULL;
			}
			if (q == '"' && *p == '\\') {
				if (p[1] != '"' && p[1] != '\\') {
					*why = "unknown escape in a \"quoted\" value (only \\\" and \\\\)";
					return NULL;
				}
				p++;
			}
			*w++ = *p;
		}
		*w = '\0';
		p = skip_space(p + 1);
		if (*p != '\0' && *p != '#') {
			*why = "text after the closing quote";
			return NULL;
		}
		return out;
	}
	/* Unquoted: up to a '#' that starts a word, trailing space trimmed. */
	out = p;
	for (end = p; *end; end++)
		if (*end == '#' && (end == out || is_space(end[-1])))
			break;
	while (end > out && is_space(end[-1]))
		end--;
	*end = '\0';
	return out;
}

/* yes/no and their usual spellings, for flags. */
static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* A prefix is matched against the decoded, normalised request path, so it
 * must be one: absolute, no empty, "." or ".." segment, no control
 * character. Anything else could never match. */
static bool prefix_ok(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *s = p; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
		if (s[0] == '/' && (s[1] == '/' ||
				    (s[1] == '.' && (s[2] == '/' || s[2] == '\0')) ||
				    (s[1] == '.' && s[2] == '.' && (s[3] == '/' || s[3] == '\0'))))
			return false;
	}
	return true;
}

/* "[location PREFIX]" */
static enum config_result section(struct file_state *st, char *p)
{
	char *close = strchr(p, ']'), *rest, *prefix, *after;
	const char *why = NULL;
	struct config_location *loc;
	struct config *cfg = st->cfg;

	after = close ? skip_space(close + 1) : NULL;
	if (!after || (*after != '\0' && *after != '#'))
		return fail(st, "a section line is [location PREFIX]");
	*close = '\0';
	rest = skip_space(p + 1);
	if (strncmp(rest, "location", 8) != 0 || !is_space(rest[8]))
		return fail(st, "unknown section '[%s]' (expected [location PREFIX])", rest);
	prefix = take_value(skip_space(rest + 8), &why);
	if (!prefix)
		return fail(st, "%s", why);
	if (!prefix_ok(prefix))
		return fail(st, "invalid location prefix '%s' (expected a path like /assets/: "
			    "starting with '/', no '.', '..' or empty segment)", prefix);
	for (int i = 0; i < cfg->nlocations; i++)
		if (strcmp(cfg->locations[i].prefix, prefix) == 0)
			return fail(st, "[location %s] given twice", prefix);
	if (cfg->nlocations == CONFIG_MAX_LOCATIONS)
		return fail(st, "too many [location] sections (at most %d)", CONFIG_MAX_LOCATIONS);
	if (!cfg->locations) {
		cfg->locations = calloc(CONFIG_MAX_LOCATIONS, sizeof(*cfg->locations));
		if (!cfg->locations)
			return fail(st, "out of memory");
	}
	loc = &cfg->locations[cfg->nlocations];
	memset(loc, 0, sizeof(*loc));
	loc->scratch = malloc(sizeof(*loc->scratch));
	loc->prefix = config_keep(cfg, prefix);
	if (!loc->scratch || !loc->prefix) {
		free(loc->scratch);
		loc->scratch = NULL;
		return fail(st, "out of memory");
	}
	config_defaults(loc->scratch);
	loc->len = strlen(loc->prefix);
	cfg->nlocations++;
	st->loc = loc;
	st->target = loc->scratch;
	memset(st->first, 0, sizeof(st->first));
	return CONFIG_OK;
}

/* "name = value", or a flag's bare "name". */
static enum config_result setting(struct file_state *st, char *p)
{
	char *name = p, *v = NULL, *e = p;
	const struct opt_row *row;
	struct config *target = st->target;
	const char *why = NULL;
	bool flag_value = true;
	char msg[512];
	size_t idx;

	while (*e && !is_space(*e) && *e != '=')
		e++;
	if (e == name)
		return fail(st, "expected name = value");
	p = skip_space(e);
	if (*p == '=') {
		v = take_value(skip_space(p + 1), &why);
		if (!v)
			return fail(st, "%s", why);
	} else if (*p != '\0' && *p != '#') {
		return fail(st, "expected '=' after '%.*s'", (int)(e - name), name);
	}
	*e = '\0';
	row = opt_find(name, strlen(name), &(bool){ false });
	if (!row || strcmp(row->name, name) != 0)
		return fail(st, "unknown setting '%s' (the names are those of the long options, see --help)", name);
	if (row->flags & OPT_CLI_ONLY)
		return fail(st, "'%s' is for the command line only", name);
	if (st->loc && !(row->flags & OPT_LOCAL))
		return fail(st, "'%s' cannot be set per path (in [location %s]); put it before the first section",
			    name, st->loc->prefix);
	idx = (size_t)(row - opt_table);
	if (st->first[idx] && !(row->flags & OPT_REPEAT))
		return fail(st, "'%s' given twice (first on line %d)", name, st->first[idx]);
	st->first[idx] = st->line;
	if (row->kind == OPT_FLAG || row->kind == OPT_UNFLAG) {
		if (v && parse_bool(v, &flag_value))
			return fail(st, "invalid value '%s' for '%s' (expected yes or no)", v, name);
	} else if (!v) {
		return fail(st, "'%s' needs a value (%s = ...)", name, name);
	}
	/* The command line wins: the file's value for an option given there
	 * is checked on a scratch config, then dropped. */
	if (!st->loc && opt_source(st->cfg, row) == CONFIG_SRC_CLI) {
		if (!st->overridden) {
			st->overridden = malloc(sizeof(*st->overridden));
			if (!st->overridden)
				return fail(st, "out of memory");
			config_defaults(st->overridden);
		}
		target = st->overridden;
	}
	if (row->kind == OPT_FLAG || row->kind == OPT_UNFLAG) {
		if (!flag_value) {
			/* "listing = no": the flag's opposite. */
			*(bool *)((char *)target + row->field) = row->kind == OPT_UNFLAG;
			target->given[idx] = CONFIG_SRC_FILE;
			return CONFIG_OK;
		}
		v = NULL;
	}
	if (opt_apply(target, row, v, CONFIG_SRC_FILE, msg, sizeof(msg)))
		return fail(st, "%s", msg);
	return CONFIG_OK;
}

enum config_result config_file_parse(struct config *cfg, const char *path, const char *text,
				     size_t len, char *err, size_t errlen)
{
	struct file_state st = { .cfg = cfg, .path = path, .target = cfg, .err = err, .errlen = errlen };
	const char *p = text, *end = text + len;
	char *line = NULL;
	enum config_result rc = CONFIG_OK;

	while (p < end && rc == CONFIG_OK) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (nl ? (size_t)(nl - p) : (size_t)(end - p));
		char *s;

		st.line++;
		free(line);
		line = malloc(n + 1);
		if (!line) {
			rc = fail(&st, "out of memory");
			break;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		p += n + (nl != NULL);
		if (memchr(line, '\0', n > 0 && line[n - 1] == '\0' ? n - 1 : n)) {
			rc = fail(&st, "NUL byte in the file");
			break;
		}
		s = skip_space(line);
		if (*s == '\0' || *s == '#')
			continue;
		rc = *s == '[' ? section(&st, s) : setting(&st, s);
	}
	free(line);
	if (st.overridden) {
		config_free(st.overridden);
		free(st.overridden);
	}
	return rc;
}

enum config_result config_file_load(struct config *cfg, const char *path,
				    char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	char *text;
	ssize_t got = 0;
	enum config_result rc;

	if (fd < 0 || fstat(fd, &sb) < 0) {
		snprintf(err, errlen, "cannot read config file '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CONFIG_ERROR;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > CONFIG_FILE_MAX) {
		snprintf(err, errlen, "config file '%s': %s", path,
			 S_ISREG(sb.st_mode) ? "larger than 1 MiB" : "not a regular file");
		close(fd);
		return CONFIG_ERROR;
	}
	text = malloc((size_t)sb.st_size + 1);
	if (!text) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return CONFIG_ERROR;
	}
	while (got < sb.st_size) {
		ssize_t r = read(fd, text + got, (size_t)(sb.st_size - got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	close(fd);
	rc = config_file_parse(cfg, path, text, (size_t)got, err, errlen);
	free(text);
	return rc;
}

/* Whether a header block has a line for name. */
static bool block_has(const char *block, const char *name, size_t nlen)
{
	for (const char *l = block; l && *l; l = strstr(l, "\r\n") + 2)
		if (strncasecmp(l, name, nlen) == 0 && l[nlen] == ':')
			return true;
	return false;
}

/* The site's header lines a location does not name again, then the
 * location's own: a location's header replaces the site's of that name. */
static char *merge_headers(const char *site, const char *own)
{
	size_t n = (site ? strlen(site) : 0) + strlen(own) + 1, used = 0;
	char *out = malloc(n);

	if (!out)
		return NULL;
	for (const char *l = site; l && *l;) {
		const char *colon = strchr(l, ':'), *next = strstr(l, "\r\n") + 2;

		if (!block_has(own, l, (size_t)(colon - l))) {
			memcpy(out + used, l, (size_t)(next - l));
			used += (size_t)(next - l);
		}
		l = next;
	}
	memcpy(out + used, own, strlen(own) + 1);
	return out;
}

static void settings_from(struct path_settings *s, const struct config *c)
{
	s->index = c->index;
	s->listing = c->listing;
	s->precompressed = c->precompressed;
	s->compress = c->compress;
	s->cache_max_age = c->cache_max_age;
	s->extra_headers = c->extra_headers;
}

/* Whether any row setting field was given (--compress and --no-compress
 * share one). */
static bool given_field(const struct config *c, size_t field)
{
	for (size_t i = 0; i < opt_count; i++)
		if (opt_table[i].kind != OPT_ACTION && opt_table[i].field == field &&
		    opt_given(c, &opt_table[i]))
			return true;
	return false;
}

static int by_length_desc(const void *a, const void *b)
{
	const struct config_location *x = a, *y = b;

	return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

int config_resolve_locations(struct config *cfg, char *err, size_t errlen)
{
	settings_from(&cfg->site, cfg);
	cfg->site.header_cache_control = block_has(cfg->extra_headers, "Cache-Control", 13);
	for (int i = 0; i < cfg->nlocations; i++) {
		struct config_location *loc = &cfg->locations[i];
		struct config *sc = loc->scratch;
		struct path_settings *s = &loc->set;

		if (!sc)
			continue;
		*s = cfg->site;
		if (given_field(sc, offsetof(struct config, index))) {
			s->index = config_keep(cfg, sc->index);
			if (!s->index) {
				snprintf(err, errlen, "too much option text");
				return -1;
			}
		}
		if (given_field(sc, offsetof(struct config, listing)))
			s->listing = sc->listing;
		if (given_field(sc, offsetof(struct config, precompressed)))
			s->precompressed = sc->precompressed;
		if (given_field(sc, offsetof(struct config, compress)))
			s->compress = sc->compress;
		if (given_field(sc, offsetof(struct config, cache_max_age)))
			s->cache_max_age = sc->cache_max_age;
		if (sc->extra_headers) {
			loc->headers = merge_headers(cfg->extra_headers, sc->extra_headers);
			if (!loc->headers) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			s->extra_headers = loc->headers;
		}
		s->header_cache_control = block_has(s->extra_headers, "Cache-Control", 13);
		config_free(sc);
		free(sc);
		loc->scratch = NULL;
	}
	if (cfg->nlocations > 1)
		qsort(cfg->locations, (size_t)cfg->nlocations, sizeof(*cfg->locations), by_length_desc);
	return 0;
}
