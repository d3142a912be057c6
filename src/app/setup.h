/* What a start (and a reload, and --check-config) builds from a config:
 * the MIME table, the document root, the access log. Each reports a
 * one-line reason; the caller decides what it costs. */
#ifndef EISD_SETUP_H
#define EISD_SETUP_H

#include <stddef.h>

#include "app/config.h"

struct mime_table;

#define SETUP_SYSTEM_MIME_TYPES "/etc/mime.types"

/* The built-in types, /etc/mime.types over them, cfg's --mime-type over
 * those. NULL with err and *code: 2 for a bad --mime-type, 1 otherwise.
 * A missing or unreadable /etc/mime.types only warns (on stderr). */
struct mime_table *setup_mime(const struct config *cfg, int *code, char *err, size_t errlen);

/* The document root, opened once; -1 with err. */
int setup_root(const struct config *cfg, char *err, size_t errlen);

/* Whether cfg has an access log file (not stdout, not --quiet). */
bool setup_log_is_file(const struct config *cfg);

/* The access log: STDOUT_FILENO, a file opened for appending, or -1 for
 * --quiet (then *err is empty). On failure -1 with err. */
int setup_log(const struct config *cfg, char *err, size_t errlen);

#endif
