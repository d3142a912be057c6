/* sd_notify on $NOTIFY_SOCKET (sdnotify.h). */
#include "app/sdnotify.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sdnotify_to(const char *name, const char *text)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	socklen_t len;
	ssize_t sent;
	int fd;

	if ((name[0] != '/' && name[0] != '@') || n < 2 || n >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: no terminating NUL counted */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sent = sendto(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT,
		      (struct sockaddr *)&sa, len);
	close(fd);
	return sent == (ssize_t)strlen(text) ? 0 : -1;
}

int sdnotify(const char *fmt, ...)
{
	const char *sock = getenv("NOTIFY_SOCKET"), *up = getenv(SDNOTIFY_UPGRADE_ENV);
	char text[1024];
	va_list ap;
	int rc = 0;

	if (!sock && !up)
		return 0;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (sock)
		rc = sdnotify_to(sock, text);
	if (up && strstr(text, "READY=1")) {
		rc |= sdnotify_to(up, text);
		/* The parent waits for one READY; later ones are systemd's. */
		unsetenv(SDNOTIFY_UPGRADE_ENV);
	}
	return rc;
}
