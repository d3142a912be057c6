/* SIGUSR2: start the new binary on the same socket, wait for it. */
#include "app/upgrade.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/listenfds.h"
#include "app/sdnotify.h"
#include "core/server.h"

extern char **environ;

#define MAX_ENV 512

/* A datagram socket bound to a fresh abstract name, for the child's
 * READY=1; its name ("@...") into name. */
static int notify_socket(char *name, size_t len)
{
	static unsigned serial; /* main thread only */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int n;

	if (fd < 0)
		return -1;
	n = snprintf(name, len, "@eisd-upgrade-%ld-%u-%ld", (long)getpid(), ++serial,
		     (long)time(NULL));
	memcpy(sa.sun_path, name, (size_t)n);
	sa.sun_path[0] = '\0';
	if (bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)n))) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool is_ours(const char *e)
{
	return strncmp(e, "LISTEN_", 7) == 0 || strncmp(e, SDNOTIFY_UPGRADE_ENV "=", sizeof(SDNOTIFY_UPGRADE_ENV)) == 0;
}

/* Writes v in decimal at p (async-signal-safe: used between fork and exec). */
static void put_decimal(char *p, long v)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n)
		*p++ = tmp[--n];
	*p = '\0';
}

/* In the child: the socket as descriptor 3, then the new program. Only
 * async-signal-safe calls (the parent has threads). */
static void child(const char *exe, char *const argv[], int listen_fd, char **envp, char *pid_var,
		  int exec_fd)
{
	sigset_t none;
	int e;

	put_decimal(pid_var + sizeof("LISTEN_PID=") - 1, (long)getpid());
	if (listen_fd != LISTENFDS_START) {
		if (dup2(listen_fd, LISTENFDS_START) < 0)
			_exit(127);
	} else if (fcntl(listen_fd, F_SETFD, 0) < 0) {
		_exit(127);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(exe, argv, envp);
	e = errno;
	if (write(exec_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* Until the child's exec, it holds a copy of every descriptor: exec_fd's
 * other end (close-on-exec) reads end-of-file once that is over. */
static int wait_exec(int exec_fd, char *err, size_t errlen)
{
	int e = 0;
	ssize_t n;

	do
		n = read(exec_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		snprintf(err, errlen, "cannot run the new program: %s", strerror(e));
		return -1;
	}
	return 0;
}

/* Waits for READY=1 on fd while the child lives. 0 ready, -1 with err. */
static int wait_ready(int fd, pid_t pid, char *err, size_t errlen)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[1024];
		int status;
		ssize_t n;
		long ms;

		if (poll(&p, 1, 100) > 0) {
			n = recv(fd, buf, sizeof(buf) - 1, 0);
			if (n > 0) {
				buf[n] = '\0';
				if (strstr(buf, "READY=1"))
					return 0;
			}
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			snprintf(err, errlen, "the new process exited (%s %d) before it was ready",
				 WIFEXITED(status) ? "status" : "signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= UPGRADE_READY_TIMEOUT_MS) {
			snprintf(err, errlen, "the new process was not ready within %d s; stopped it",
				 UPGRADE_READY_TIMEOUT_MS / 1000);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
	}
}

pid_t upgrade_start(struct server *srv, const char *exe, char *const argv[], char *err,
		    size_t errlen)
{
	int listen_fd = srv->listen_fd, pipefd[2], status, rc;
	static char pid_var[40], fds_var[] = "LISTEN_FDS=1", names_var[] = "LISTEN_FDNAMES=http";
	char name[80], notify_var[128];
	char *envp[MAX_ENV + 5];
	int n = 0, fd;
	pid_t pid;

	fd = notify_socket(name, sizeof(name));
	if (fd < 0) {
		snprintf(err, errlen, "cannot make the readiness socket: %s", strerror(errno));
		return -1;
	}
	snprintf(notify_var, sizeof(notify_var), "%s=%s", SDNOTIFY_UPGRADE_ENV, name);
	snprintf(pid_var, sizeof(pid_var), "LISTEN_PID=");
	for (char **e = environ; *e && n < MAX_ENV; e++)
		if (!is_ours(*e))
			envp[n++] = *e;
	envp[n++] = pid_var;
	envp[n++] = fds_var;
	envp[n++] = names_var;
	envp[n++] = notify_var;
	envp[n] = NULL;
	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot start the new process: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (server_share_fds_begin(srv, 1000)) {
		server_share_fds_end(srv);
		snprintf(err, errlen, "a worker did not answer; not forking under it");
		close(pipefd[0]);
		close(pipefd[1]);
		close(fd);
		return -1;
	}
	pid = fork();
	if (pid == 0)
		child(exe, argv, listen_fd, envp, pid_var, pipefd[1]);
	close(pipefd[1]);
	rc = pid < 0 ? -1 : wait_exec(pipefd[0], err, errlen);
	server_share_fds_end(srv);
	close(pipefd[0]);
	if (pid < 0)
		snprintf(err, errlen, "cannot start the new process: %s", strerror(errno));
	if (rc && pid > 0)
		waitpid(pid, &status, 0);
	if (rc || pid < 0) {
		close(fd);
		return -1;
	}
	if (wait_ready(fd, pid, err, errlen)) {
		close(fd);
		return -1;
	}
	close(fd);
	return pid;
}
