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
#include "app/sdnotify.h"
#include "app/setup.h"
#include "app/https.h"
#include "app/upgrade.h"
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

/* SIGUSR1: the status report, as one line of JSON on stderr, written
 * whole or not at all (and counted) so an unread stderr never blocks the
 * signal path. */
static void print_status(struct server *srv)
{
	struct status_snapshot snap;
	size_t len;
	char *json = NULL;

	if (status_gather(srv, time(NULL), &snap) == 0)
		json = status_render_json(&snap, &len);
	status_snapshot_free(&snap);
	if (!json) {
		setup_say(&srv->err, "status report: out of memory");
		return;
	}
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

	char err[512];

	if (!setup_log_is_file(cfg) || ctl->srv->log.fd <= STDERR_FILENO)
		return;
	fd = setup_log(cfg, err, sizeof(err));
	if (fd < 0) {
		setup_say(&ctl->srv->err, "cannot reopen access log '%s': %s (still writing to the old file)",
			  path, strerror(errno));
		return;
	}
	if (dup2(fd, ctl->srv->log.fd) < 0)
		setup_say(&ctl->srv->err, "cannot reopen access log '%s': %s", path, strerror(errno));
	close(fd);
}

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* SIGHUP. The log is reopened even when the reload fails: logrotate has
 * moved the file either way. */
static void on_hup(struct control *ctl)
{
	sdnotify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
		 (unsigned long long)monotonic_usec());
	/* The log is reopened even when the reload fails: logrotate has
	 * moved the file either way. */
	reload_run(&ctl->reload);
	reopen_log(ctl);
	if (ctl->https)
		https_reload(ctl->https);
	sdnotify("READY=1\nSTATUS=serving on %s", ctl->srv->addr_text);
}

/* SIGUSR2: 1 when a new process took over (this one stops), else 0. */
static int on_upgrade(struct control *ctl)
{
	char err[512];
	pid_t pid;

	if (!ctl->exe[0]) {
		setup_say(&ctl->srv->err, "upgrade failed, still serving: the program file is unknown");
		return 0;
	}
	setup_say(&ctl->srv->err, "upgrade: starting %s", ctl->exe);
	pid = upgrade_start(ctl->srv, ctl->exe, ctl->reload.argv, err, sizeof(err));
	if (pid < 0) {
		setup_say(&ctl->srv->err, "upgrade failed, still serving: %s", err);
		return 0;
	}
	setup_say(&ctl->srv->err, "upgrade: new process %ld is ready; this one (%ld) stops accepting and drains",
		(long)pid, (long)getpid());
	/* Under systemd (NotifyAccess=all) the new process is the service. */
	sdnotify("MAINPID=%ld\nSTATUS=handing over to %ld", (long)pid, (long)pid);
	return 1;
}

enum stop_kind { STOP_NONE, STOP_SIGNAL, STOP_HANDOVER };

/* One signal while serving: whether it stops the server, and how. */
static enum stop_kind on_signal(struct control *ctl, int sig)
{
	switch (sig) {
	case SIGINT:
	case SIGTERM:
		return STOP_SIGNAL;
	case SIGUSR1:
		print_status(ctl->srv);
		break;
	case SIGHUP:
		on_hup(ctl);
		break;
	case SIGUSR2:
		return on_upgrade(ctl) ? STOP_HANDOVER : STOP_NONE;
	default: /* SIGQUIT, SIGALRM: stray, ignored */
		break;
	}
	return STOP_NONE;
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
			setup_say(&ctl->srv->err, "stopping now");
			server_stop_now(ctl->srv);
			now = true;
		} else if (sig == SIGHUP) {
			reopen_log(ctl);
			if (ctl->https)
				https_reload(ctl->https);
		} else if (sig == SIGUSR1) {
			print_status(ctl->srv);
		}
	}
}

/* With --health: first tell the balancer (503) and keep serving for
 * --health-drain seconds, so it stops sending before we stop accepting.
 * A second SIGINT/SIGTERM cuts it short; the others keep their meaning. */
static void health_drain(struct control *ctl)
{
	struct timespec end, now;

	if (!ctl->reload.cfg->health_path || ctl->reload.cfg->health_drain <= 0)
		return;
	server_drain(ctl->srv);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ctl->reload.cfg->health_drain;
	for (;;) {
		struct timespec left;
		int sig;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0)
			left.tv_sec--, left.tv_nsec += 1000000000L;
		if (left.tv_sec < 0)
			return;
		sig = sigtimedwait(&ctl->sigs, NULL, &left);
		if (sig == SIGINT || sig == SIGTERM)
			return;
		if (sig == SIGHUP)
			reopen_log(ctl);
		else if (sig == SIGUSR1)
			print_status(ctl->srv);
	}
}

void control_run(struct control *ctl)
{
	enum stop_kind stop = STOP_NONE;

	while (stop == STOP_NONE) {
		int sig;

		if (sigwait(&ctl->sigs, &sig))
			continue;
		stop = on_signal(ctl, sig);
	}
	setup_say(&ctl->srv->err, "shutting down");
	if (stop == STOP_SIGNAL)
		sdnotify("STOPPING=1\nSTATUS=shutting down");
	if (stop == STOP_HANDOVER) {
		/* The new process takes the port over at once: this one's
		 * health says 503 to whatever it still serves, with no wait. */
		server_drain(ctl->srv);
		server_hand_over(ctl->srv);
	} else {
		health_drain(ctl);
		server_stop(ctl->srv);
	}
	if (ctl->https)
		https_stop(ctl->https);
	drain(ctl);
	server_join(ctl->srv);
	reload_done(&ctl->reload);
	if (ctl->https)
		https_join(ctl->https);
}
