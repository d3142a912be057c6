/* eisd: flags -> config, open the root and the log, bind, start the
 * workers, wait for a signal, stop gracefully. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/config.h"
#include "app/check.h"
#include "app/control.h"
#include "app/listenfds.h"
#include "app/sdnotify.h"
#include "app/setup.h"
#include "app/https.h"
#include "app/worker_state.h"
#include "files/fcache.h"
#include "files/mime.h"
#include "app/privs.h"
#include "core/proto.h"
#include "core/server.h"

static int die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int die(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("eisd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* Raises the soft descriptor limit to the hard one; returns the limit. */
static long raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1 << 20 : (long)rl.rlim_cur;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct server srv = { 0 };
	struct ctx_vhost vhosts[CONFIG_MAX_VHOSTS];
	struct mime_table *mime;
	struct privs user;
	struct https https = { .rsrv.listen_fd = -1 };
	char err[512];
	struct control ctl = { .srv = &srv, .https = &https,
			       .reload = { .argc = argc, .argv = argv, .srv = &srv, .cfg = &cfg } };
	int rc = 0, inherited;
	ssize_t n;

	/* Signals are taken synchronously by the main thread only (control.c);
	 * blocked from the start, so one that comes early cannot kill eisd
	 * and every worker inherits the mask. */
	control_block_signals(&ctl);
	/* The program file, for a binary upgrade: read now, while it still
	 * names the file this process runs (a new binary replaces it). */
	n = readlink("/proc/self/exe", ctl.exe, sizeof(ctl.exe) - 1);
	ctl.exe[n > 0 ? n : 0] = '\0';

	config_defaults(&cfg);
	rc = (int)config_parse(&cfg, argc, argv, err, sizeof(err));
	if (rc != CONFIG_OK) {
		config_free(&cfg);
		if (rc == CONFIG_EXIT)
			return 0;
		/* A check reports any problem as "not valid": exit 1. */
		return die(rc == CONFIG_USAGE && !cfg.check_config ? 2 : 1, "%s", err);
	}
	if (cfg.check_config) {
		rc = config_check_run(&cfg);
		config_free(&cfg);
		return rc;
	}

#ifdef __GLIBC__
	/* Big buffers (a listing being read and rendered, up to a few MiB)
	 * always get a mapping of their own, returned whole when freed. By
	 * default glibc raises this threshold after the first such free, and
	 * later big buffers land in the heap, where small allocations made
	 * meanwhile keep their pages: RSS stayed megabytes up after a load. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif

	/* A client that hangs up must cost an EPIPE, not the process. */
	signal(SIGPIPE, SIG_IGN);

	/* The user database is read now, before any chroot hides it. */
	if (cfg.user && privs_lookup(cfg.user, &user, err, sizeof(err))) {
		config_free(&cfg);
		return die(1, "%s", err);
	}

	mime = setup_mime(&cfg, &rc, err, sizeof(err));
	if (!mime) {
		config_free(&cfg);
		return die(rc, "%s", err);
	}
	srv.mime = mime;
	srv.cfg = &cfg;
	srv.proto = cfg.protocol == PROTOCOL_ECHO ? &proto_echo
		    : cfg.protocol == PROTOCOL_FILE ? &proto_file : &proto_http;
	srv.listen_fd = -1;
	log_sink_init(&srv.err, STDERR_FILENO, false, "standard error", &srv.err);
	log_sink_init(&srv.log, -1, false, "access log", &srv.err);
	log_set_error_sink(&srv.err);
	srv.root_fd = -1;
	if (cfg.protocol != PROTOCOL_ECHO) {
		srv.root_fd = setup_root(&cfg, err, sizeof(err));
		if (srv.root_fd < 0) {
			rc = die(1, "%s", err);
			goto out;
		}
	}
	_Static_assert(CONFIG_MAX_VHOSTS <= SERVER_MAX_VHOSTS, "a worker cache per vhost");
	for (int i = 0; i < cfg.nvhosts; i++) {
		const struct config_vhost *cv = &cfg.vhosts[i];
		int fd = setup_dir(cv->dir, err, sizeof(err));

		if (fd < 0) {
			rc = die(1, "--vhost %s: %s", cv->name, err);
			goto out;
		}
		vhosts[i] = (struct ctx_vhost){ cv->name, strlen(cv->name), cv->name[0] == '*', fd };
		srv.nvhosts = (unsigned)i + 1;
	}
	srv.vhosts = vhosts;
	srv.vhost_strict = cfg.vhost_strict;
	{
		int log_fd = setup_log(&cfg, err, sizeof(err));

		if (log_fd < 0 && err[0]) {
			rc = die(1, "%s", err);
			goto out;
		}
		log_sink_init(&srv.log, log_fd, log_fd > STDERR_FILENO, "access log", &srv.err);
	}

	/* Each HTTP connection holds its socket; files come from the
	 * workers' caches (a quarter of the descriptors at most) or are held
	 * briefly. Keep some for logs, the listener and the loops, and an
	 * eighth spare. A file-service connection holds the file it sends
	 * besides its socket. */
	long nofile = raise_fd_limit();
	long per_worker = nofile / 4 / cfg.threads;
	srv.fcache_entries = per_worker < FCACHE_MAX_ENTRIES ? (unsigned)per_worker : FCACHE_MAX_ENTRIES;
	long spare = 64 + (long)cfg.threads * (long)srv.fcache_entries + nofile / 8;
	long fit = (nofile - spare) / (cfg.protocol == PROTOCOL_FILE ? 2 : 1);
	srv.max_connections = cfg.max_connections ? cfg.max_connections : fit > 32 ? fit : 32;
	srv.nworkers = cfg.threads;
	srv.hooks = &worker_state_hooks;
	/* Keys are read now, while eisd may still be root. */
	if (https_setup(&https, &cfg, &srv, err, sizeof(err))) {
		rc = die(1, "%s", err);
		goto out;
	}
	/* A socket from systemd (or from the eisd this one upgrades) wins
	 * over --port and --bind. */
	inherited = listenfds_take(err, sizeof(err));
	if (inherited == -2 ||
	    (inherited >= 0 ? server_adopt_listener(&srv, inherited, err, sizeof(err))
			    : server_listen(&srv, err, sizeof(err)))) {
		if (inherited >= 0)
			close(inherited);
		rc = die(1, "%s", err);
		goto out;
	}
	if (https_listen(&https, &srv, err, sizeof(err))) {
		rc = die(1, "%s", err);
		goto out;
	}

	/* Everything that needs root is open (root dir, log, socket): give
	 * it up before a single request is read. A failed drop is fatal,
	 * never a reason to go on as root. */
	if (cfg.user) {
		if (privs_drop(&user, cfg.chroot ? srv.root_fd : -1, err, sizeof(err))) {
			rc = die(1, "%s", err);
			goto out;
		}
	}
	if (privs_running_as_root())
		fprintf(stderr, "eisd: warning: running as root; use --user NAME to drop privileges\n");

	if (server_start(&srv, err, sizeof(err)) || https_start(&https, err, sizeof(err))) {
		rc = die(1, "%s", err);
		goto out;
	}
	/* The CA validates through the listeners just started: the start
	 * line waits until every --acme name has its certificate. */
	if (https_acme_start(&https, &cfg, err, sizeof(err))) {
		rc = die(1, "%s", err);
		server_stop(&srv);
		https_stop(&https);
		server_join(&srv);
		https_join(&https);
		goto out;
	}

	if (cfg.protocol == PROTOCOL_ECHO)
		printf("eisd: echo service on %s%s (%d thread%s)\n", srv.addr_text,
		       https.ts ? " with TLS" : "", srv.nworkers, srv.nworkers == 1 ? "" : "s");
	else if (cfg.protocol == PROTOCOL_FILE)
		printf("eisd: file service for %s on %s%s (%d thread%s)\n", cfg.root, srv.addr_text,
		       https.ts ? " with TLS" : "", srv.nworkers, srv.nworkers == 1 ? "" : "s");
	else
		printf("eisd: serving %s on %s://%s/ (%d thread%s)\n", cfg.root,
		       https.ts ? "https" : "http", srv.addr_text, srv.nworkers,
		       srv.nworkers == 1 ? "" : "s");
	https_announce(&https);
	fflush(stdout);
	sdnotify("READY=1\nMAINPID=%ld\nSTATUS=serving on %s", (long)getpid(), srv.addr_text);

	control_run(&ctl);
out:
	if (srv.listen_fd >= 0)
		close(srv.listen_fd);
	if (srv.root_fd >= 0)
		close(srv.root_fd);
	for (unsigned i = 0; i < srv.nvhosts; i++)
		close(vhosts[i].root_fd);
	https_free(&https);
	log_set_error_sink(NULL);
	log_sink_close(&srv.log);
	log_sink_close(&srv.err);
	mime_table_free(mime);
	config_free(&cfg);
	return rc;
}
