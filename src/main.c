/* eisd: flags -> config, open the root and the log, bind, start the
 * workers, wait for a signal, stop gracefully. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "mime.h"
#include "proto.h"
#include "server.h"

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

/* Each connection may hold a socket and a file; keep some for logs and
 * the listener. */
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
	long n = rl.rlim_cur == RLIM_INFINITY ? 1 << 20 : (long)rl.rlim_cur;
	return n > 128 ? (n - 64) / 2 : 32;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct server srv = { 0 };
	struct mime_table *mime;
	char err[512];
	sigset_t sigs;
	int sig;

	config_defaults(&cfg);
	switch (config_parse(&cfg, argc, argv, err, sizeof(err))) {
	case CONFIG_OK:
		break;
	case CONFIG_EXIT:
		return 0;
	case CONFIG_USAGE:
		return die(2, "%s", err);
	}

	/* A client that hangs up must cost an EPIPE, not the process. */
	signal(SIGPIPE, SIG_IGN);

	srv.cfg = &cfg;
	srv.proto = &proto_http;
	srv.listen_fd = -1;
	srv.log_fd = -1;
	srv.root_fd = open(cfg.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (srv.root_fd < 0) {
		if (errno == ENOTDIR)
			return die(1, "root '%s' is not a directory", cfg.root);
		return die(1, "root '%s': %s", cfg.root, strerror(errno));
	}

	mime = mime_table_new();
	if (!mime)
		return die(1, "out of memory");
	srv.mime = mime;

	if (!cfg.quiet) {
		if (!cfg.access_log || strcmp(cfg.access_log, "-") == 0) {
			srv.log_fd = STDOUT_FILENO;
		} else {
			srv.log_fd = open(cfg.access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
			if (srv.log_fd < 0) {
				mime_table_free(mime);
				return die(1, "cannot open access log '%s': %s", cfg.access_log, strerror(errno));
			}
		}
	}

	srv.max_connections = cfg.max_connections ? cfg.max_connections : raise_fd_limit();
	srv.nworkers = cfg.threads;
	if (server_listen(&srv, err, sizeof(err))) {
		mime_table_free(mime); /* nothing leaks, even on the way out */
		return die(1, "%s", err);
	}

	/* Signals are taken synchronously by this thread only; workers
	 * inherit the blocked mask and never see them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (server_start(&srv, err, sizeof(err)))
		return die(1, "%s", err);

	printf("eisd: serving %s on http://%s/ (%d thread%s)\n", cfg.root, srv.addr_text,
	       srv.nworkers, srv.nworkers == 1 ? "" : "s");
	fflush(stdout);

	for (;;) {
		if (sigwait(&sigs, &sig))
			continue;
		if (sig == SIGINT || sig == SIGTERM)
			break;
	}
	fprintf(stderr, "eisd: shutting down\n");
	server_stop(&srv);
	server_join(&srv);
	close(srv.listen_fd);
	close(srv.root_fd);
	if (srv.log_fd > STDERR_FILENO)
		close(srv.log_fd);
	mime_table_free(mime);
	return 0;
}
