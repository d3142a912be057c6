/* Signals and what each one means (control.h has the list). */
#include "app/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/config.h"
#include "app/setup.h"
#include "core/server.h"
#include "services/status.h"
#include "util/log.h"
#include "util/log_sink.h"

/* How often the main thread looks whether the workers are done while it
 * waits for a second stop signal. */
#define STOP_POLL_NS (20 * 1000 * 1000)

static const int handled[] = {
	SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT, SIGALRM,
};

void control_block_signals(struct control *ctl)
{
	sigemptyset(&ctl->sigs);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&ctl->sigs, handled[i]);
	pthread_sigmask(SIG_BLOCK, &ctl->sigs, NULL);
}

/* SIGUSR1: the status report, as one line of JSON on stderr. */
static void print_status(struct server *srv)
{
	struct status_snapshot snap;
	size_t len;
	char *json = NULL;

	if (status_gather(srv, time(NULL), &snap) == 0)
		json = status_render_json(&snap, &len);
	status_snapshot_free(&snap);
	if (!json) {
		log_error("status report: out of memory");
		return;
	}
	/* Whole or not at all (and counted): an unread stderr never blocks
	 * the signal path (util/log_sink.h). */
	log_sink_message(&srv->err, json, len);
	free(json);
}

/* After logrotate moved the file away: open the name again and put it
 * under the descriptor the workers write to. dup2 swaps it atomically, so
 * no worker ever sees a closed descriptor or takes a lock. Lines still in
 * a worker's buffer land in the new file; none is lost. */
static void reopen_log(const struct control *ctl)
{
	const struct config *cfg = ctl->reload.cfg;
	const char *path = cfg->access_log;
	int fd;

	if (!setup_log_is_file(cfg) || ctl->srv->log.fd <= STDERR_FILENO)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644);
	if (fd < 0) {
		log_error("cannot reopen access log '%s': %s (still writing to the old file)",
			  path, strerror(errno));
		return;
	}
	if (dup2(fd, ctl->srv->log.fd) < 0)
		log_error("cannot reopen access log '%s': %s", path, strerror(errno));
	close(fd);
}

/* One signal while serving; returns 1 for a stop. */
static int on_signal(struct control *ctl, int sig)
{
	switch (sig) {
	case SIGINT:
	case SIGTERM:
		return 1;
	case SIGUSR1:
		print_status(ctl->srv);
		break;
	case SIGHUP:
		/* The log is reopened even when the reload fails: logrotate
		 * has moved the file either way. */
		reload_run(&ctl->reload);
		reopen_log(ctl);
		break;
	default: /* SIGUSR2, SIGQUIT, SIGALRM: nothing to do (yet) */
		break;
	}
	return 0;
}

/* Waits for the workers to finish their grace; a second SIGINT/SIGTERM
 * ends it at once. The other signals keep their meaning meanwhile. */
static void drain(struct control *ctl)
{
	const struct timespec tick = { 0, STOP_POLL_NS };
	bool now = false;

	while (!server_stopped(ctl->srv)) {
		int sig = sigtimedwait(&ctl->sigs, NULL, &tick);

		if (sig < 0)
			continue;
		if ((sig == SIGINT || sig == SIGTERM) && !now) {
			log_sink_message(&ctl->srv->err, "eisd: stopping now\n",
					 sizeof("eisd: stopping now\n") - 1);
			server_stop_now(ctl->srv);
			now = true;
		} else if (sig == SIGHUP) {
			reopen_log(ctl);
		} else if (sig == SIGUSR1) {
			print_status(ctl->srv);
		}
	}
}

void control_run(struct control *ctl)
{
	for (;;) {
		int sig;

		if (sigwait(&ctl->sigs, &sig))
			continue;
		if (on_signal(ctl, sig))
			break;
	}
	log_sink_message(&ctl->srv->err, "eisd: shutting down\n",
			 sizeof("eisd: shutting down\n") - 1);
	server_stop(ctl->srv);
	drain(ctl);
	server_join(ctl->srv);
	reload_done(&ctl->reload);
}
