/* The main thread once the workers run: it takes every signal eisd
 * answers (synchronously, with sigwait) and does what each one means.
 *
 *   SIGINT, SIGTERM  graceful stop; a second one during the grace: at once
 *   SIGHUP           reopen the access log (logrotate) and reload the config
 *   SIGUSR1          the status report, one line of JSON on stderr
 *   SIGUSR2          binary upgrade
 *   SIGQUIT, SIGALRM ignored: stray signals never kill eisd
 */
#ifndef EISD_CONTROL_H
#define EISD_CONTROL_H

#include <signal.h>

#include "app/reload.h"

struct server;

struct control {
	struct server *srv;
	struct reload reload;   /* reload.cfg: the config in force */
	sigset_t sigs;          /* the signals above, blocked in every thread */
};

/* Blocks the signals above in the calling thread (call it first in main,
 * so every thread started later inherits the mask). */
void control_block_signals(struct control *ctl);

/* Answers signals until a stop, then stops the workers (graceful, or at
 * once on a second stop signal) and joins them. */
void control_run(struct control *ctl);

#endif
