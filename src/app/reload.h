/* SIGHUP: the command line and the config file read again. What can
 * change live (the rows of option_table.c marked OPT_LIVE: headers,
 * [location] sections, cache ages, listing, index, MIME types, timeouts,
 * the status report, the access log file) goes to the workers as a new
 * snapshot, taken at the start of their next loop turn; no connection
 * is dropped. What cannot (port, bind, threads, root, user, chroot,
 * protocol, connection and request-size limits, quiet / stdout / file
 * logging) is reported "needs a restart" and kept as it was. A file that
 * does not parse, or MIME types that do not build, change nothing. */
#ifndef EISD_RELOAD_H
#define EISD_RELOAD_H

#include <stddef.h>

#include "app/config.h"

struct server;
struct app_snapshot;

struct reload {
	int argc;
	char **argv;
	struct server *srv;
	const struct config *cfg;   /* in force: the start's, or cur's */
	struct app_snapshot *cur;   /* the last published (NULL: none yet) */
};

/* A hook run on the new config before it is published (TLS reloads its
 * certificates here): 0, or -1 with err, which fails the reload. */
typedef int (*reload_hook)(const struct config *old, const struct config *new_cfg,
			   char *err, size_t errlen);
extern const reload_hook reload_hooks[]; /* NULL-terminated */

/* Reads and applies; says on stderr what happened. 0 when the new
 * settings are published, -1 when nothing changed. */
int reload_run(struct reload *r);

/* Drops the last published snapshot (at exit, after the workers). */
void reload_done(struct reload *r);

/* The names of the rows whose values differ between a and b and that a
 * reload cannot change, comma-separated ("port, threads"), into out;
 * copies a's values over b's for those. Returns how many. */
int reload_keep_restart_only(const struct config *a, struct config *b, char *out, size_t outlen);

#endif
