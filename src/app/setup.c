/* The MIME table, the root and the access log, from a config. */
#include "app/setup.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/options.h"
#include "files/mime.h"
#include "util/log_sink.h"

struct mime_table *setup_mime(const struct config *cfg, int *code, char *err, size_t errlen)
{
	struct mime_table *mime = mime_table_new();

	*code = 1;
	if (!mime) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* The system's types fill the gaps of the built-in table (mime.h);
	 * without the file the built-in table serves alone. */
	if (mime_table_load(mime, SETUP_SYSTEM_MIME_TYPES) < 0 &&
	    access(SETUP_SYSTEM_MIME_TYPES, F_OK) == 0)
		fprintf(stderr, "eisd: warning: cannot read %s; using built-in media types only\n",
			SETUP_SYSTEM_MIME_TYPES);
	for (int i = 0; i < cfg->nmime_types; i++) {
		char pair[512];
		const char *arg = cfg->mime_types[i], *ext = pair;
		char *eq;

		*code = 2;
		if (snprintf(pair, sizeof(pair), "%s", arg) >= (int)sizeof(pair)) {
			snprintf(err, errlen, "invalid --mime-type '%.40s...' (too long)", arg);
			mime_table_free(mime);
			return NULL;
		}
		eq = strchr(pair, '=');
		*eq = '\0';
		if (*ext == '.') /* "--mime-type .md=..." means the same as "md=..." */
			ext++;
		if (mime_table_set(mime, ext, eq + 1) < 0) {
			snprintf(err, errlen, "invalid --mime-type '%s' (expected EXT=TYPE: EXT without '.' or '/', TYPE like text/markdown)",
				 arg);
			mime_table_free(mime);
			return NULL;
		}
	}
	*code = 0;
	return mime;
}

int setup_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int saved = errno;

	if (fd < 0) {
		if (errno == ENOTDIR)
			snprintf(err, errlen, "root '%s' is not a directory", dir);
		else
			snprintf(err, errlen, "root '%s': %s", dir, strerror(errno));
		errno = saved;
	}
	return fd;
}

int setup_root(const struct config *cfg, char *err, size_t errlen)
{
	int fd = setup_dir(cfg->root, err, errlen);

	if (fd < 0 && errno == ENOENT &&
	    !opt_given(cfg, opt_by_field(offsetof(struct config, root))))
		/* The first thing people try: eisd in the folder to share. */
		snprintf(err, errlen,
			 "no ROOT given and no '%s' directory here: name the directory to serve "
			 "(eisd . or eisd --root DIR); add --listing to list directories that have "
			 "no index.html", cfg->root);
	return fd;
}

bool setup_log_is_file(const struct config *cfg)
{
	return !cfg->quiet && cfg->access_log && strcmp(cfg->access_log, "-") != 0;
}

int setup_log(const struct config *cfg, char *err, size_t errlen)
{
	int fd;

	err[0] = '\0';
	if (cfg->quiet)
		return -1;
	if (!setup_log_is_file(cfg))
		return STDOUT_FILENO;
	/* Our own description, so O_NONBLOCK is ours to set (util/log_sink.h);
	 * a FIFO without a reader fails now (ENXIO) instead of blocking the
	 * start. */
	fd = open(cfg->access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
		  0644);
	if (fd < 0)
		snprintf(err, errlen, "cannot open access log '%s': %s", cfg->access_log, strerror(errno));
	return fd;
}

void setup_say(struct log_sink *err, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof(line), "eisd: ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	log_sink_message(err, line, (size_t)n);
}
