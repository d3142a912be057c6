#include "util/log_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PIPE_PAGE 4096 /* a pipe holds its data in pages */

void log_sink_init(struct log_sink *s, int fd, bool private_fd, const char *name,
		   struct log_sink *notices)
{
	struct stat st, st2;
	char proc[40];
	int flags, nfd;

	memset(s, 0, sizeof(*s));
	atomic_init(&s->dropped, 0);
	atomic_init(&s->noticed, 0);
	atomic_init(&s->dropping, false);
	atomic_init(&s->last_drop, 0);
	s->fd = fd;
	s->own_fd = private_fd && fd >= 0;
	s->name = name;
	s->notices = notices;
	if (fd < 0) {
		s->how = LOG_SINK_OFF;
		return;
	}
	if (fstat(fd, &st)) {
		s->how = LOG_SINK_POLL;
		return;
	}
	s->pipe = S_ISFIFO(st.st_mode);
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		s->how = LOG_SINK_PLAIN;
		return;
	}
	if (S_ISSOCK(st.st_mode)) {
		s->how = LOG_SINK_SOCKET;
		return;
	}
	flags = fcntl(fd, F_GETFL);
	if (private_fd && flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0) {
		s->how = LOG_SINK_NONBLOCK;
		return;
	}
	if (flags >= 0 && (flags & O_NONBLOCK)) {
		s->how = LOG_SINK_NONBLOCK; /* already so, by whoever shares it */
		return;
	}
	/* Opening /proc/self/fd/N gives a new description of the same pipe
	 * or terminal: its O_NONBLOCK is ours alone. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	nfd = open(proc, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nfd >= 0 && fstat(nfd, &st2) == 0 && st2.st_dev == st.st_dev &&
	    st2.st_ino == st.st_ino && st2.st_rdev == st.st_rdev) {
		s->fd = nfd;
		s->own_fd = true;
		s->how = LOG_SINK_NONBLOCK;
		return;
	}
	if (nfd >= 0)
		close(nfd);
	s->how = LOG_SINK_POLL;
}

void log_sink_close(struct log_sink *s)
{
	if (s->own_fd && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->own_fd = false;
	s->how = LOG_SINK_OFF;
}

static ssize_t write_once(struct log_sink *s, const char *p, size_t n)
{
	ssize_t r;

	if (s->how == LOG_SINK_SOCKET) {
		do
			r = send(s->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (r < 0 && errno == EINTR);
		return r;
	}
	if (s->how == LOG_SINK_POLL) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
		if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT))
			return -1;
		/* A pipe with any room takes PIPE_BUF bytes without waiting. */
		if (n > PIPE_BUF)
			n = PIPE_BUF;
	}
	do
		r = write(s->fd, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

/* A "\n"-terminated notice on s, with the log_error timestamp. */
static void notice(struct log_sink *s, const char *what, const char *tail)
{
	char line[256], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s eisd: %s: %s\n", stamp, what, tail);
	if (n > 0 && (size_t)n < sizeof(line))
		log_sink_message(s, line, (size_t)n);
}

void log_sink_dropped(struct log_sink *s, uint64_t n)
{
	atomic_fetch_add_explicit(&s->dropped, n, memory_order_relaxed);
	atomic_store_explicit(&s->last_drop, time(NULL), memory_order_relaxed);
	if (atomic_exchange(&s->dropping, true))
		return;
	/* Standard error telling itself it is stuck would only drop again;
	 * it says so once it can write. */
	if (s->notices && s->notices != s)
		notice(s->notices, s->name,
		       "the reader is not keeping up; dropping lines (counted in the status report)");
}

/* Something was written: if lines were dropped before and none for a
 * second (so a reader that just keeps up does not flood stderr with
 * notices), say how many. */
static void recovered(struct log_sink *s)
{
	char tail[96];
	uint64_t d;

	if (!atomic_load_explicit(&s->dropping, memory_order_relaxed))
		return;
	if (time(NULL) - atomic_load_explicit(&s->last_drop, memory_order_relaxed) < 1)
		return;
	if (!atomic_exchange(&s->dropping, false))
		return;
	d = atomic_load(&s->dropped);
	d -= atomic_exchange(&s->noticed, d);
	if (!s->notices)
		return;
	snprintf(tail, sizeof(tail), "writing again; %llu %s dropped", (unsigned long long)d,
		 s->notices == s ? "messages" : "lines");
	notice(s->notices, s->name, tail);
}

size_t log_sink_write(struct log_sink *s, const char *buf, size_t len)
{
	size_t done = 0;

	if (s->fd < 0)
		return 0;
	while (done < len) {
		const char *p = buf + done;
		size_t piece = len - done;
		ssize_t r;

		if (s->pipe && piece > PIPE_BUF) {
			/* Whole lines, at most PIPE_BUF: atomic, so lines
			 * from several workers never interleave. A longer
			 * line goes alone. */
			const char *nl = memrchr(p, '\n', PIPE_BUF);
			if (!nl)
				nl = memchr(p + PIPE_BUF, '\n', piece - PIPE_BUF);
			if (nl)
				piece = (size_t)(nl - p) + 1;
		}
		r = write_once(s, p, piece);
		if (r <= 0)
			break; /* full (EAGAIN), or broken: the caller drops */
		done += (size_t)r;
		if ((size_t)r < piece)
			break;
	}
	if (done)
		recovered(s);
	return done;
}

/* Whether a pipe has room for len more bytes now. Its data sits in pages
 * (cap / PIPE_PAGE of them); the page being read and the one being filled
 * may each be partly used, so count one page less. Unknown: yes. */
static bool pipe_has_room(int fd, size_t len)
{
	int cap = fcntl(fd, F_GETPIPE_SZ), used = 0;
	size_t pages, busy;

	if (cap <= 0 || ioctl(fd, FIONREAD, &used) || used < 0)
		return true;
	pages = (size_t)cap / PIPE_PAGE;
	busy = ((size_t)used + PIPE_PAGE - 1) / PIPE_PAGE + 1;
	return busy < pages && len <= (pages - busy) * PIPE_PAGE;
}

bool log_sink_message(struct log_sink *s, const char *buf, size_t len)
{
	size_t done = 0;

	if (s->fd < 0)
		return false;
	if (s->pipe && s->how != LOG_SINK_PLAIN && !pipe_has_room(s->fd, len)) {
		log_sink_dropped(s, 1);
		return false;
	}
	while (done < len) {
		ssize_t r = write_once(s, buf + done, len - done);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	if (done < len) {
		log_sink_dropped(s, 1); /* cut short: counted as lost */
		return false;
	}
	recovered(s);
	return true;
}

bool log_sink_wait(struct log_sink *s, int max_ms)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };

	if (s->fd < 0)
		return false;
	if (s->how == LOG_SINK_PLAIN)
		return true;
	return poll(&pfd, 1, max_ms) == 1 && (pfd.revents & POLLOUT);
}
