/* --check-config: everything a start would need, checked without binding
 * (like nginx -t). One row per check in check.c; a feature with its own
 * files to check (TLS certificates) adds a row there. */
#ifndef EISD_CHECK_H
#define EISD_CHECK_H

#include <stddef.h>

#include "app/config.h"

/* One check: 0, or -1 with a one-line reason in err. */
typedef int (*config_check_fn)(const struct config *cfg, char *err, size_t errlen);

extern const config_check_fn config_checks[]; /* NULL-terminated */

/* Runs every check; prints "eisd: configuration OK" on stdout, or the
 * first failure on stderr. Returns the exit status: 0 or 1. */
int config_check_run(const struct config *cfg);

#endif
