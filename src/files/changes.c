/* The change queue of the per-worker caches. See changes.h. */
#include "files/changes.h"

#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

int changes_open(void)
{
	return inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

void changes_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

bool changes_drain(int fd, void (*on_event)(void *arg, const struct inotify_event *ev),
		   void *arg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int pending = 0;
	ssize_t n;

	if (fd < 0)
		return false;
	if (ioctl(fd, FIONREAD, &pending) == 0 && pending == 0)
		return false;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; on_event && off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			const struct inotify_event *ev = (const void *)(buf + off);

			on_event(arg, ev);
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}
	return true;
}

void changes_fd_path(char *out, int fd)
{
	snprintf(out, CHANGES_FD_PATH, "/proc/self/fd/%d", fd);
}
