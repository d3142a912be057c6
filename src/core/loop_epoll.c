/* epoll backend of loop.h. */
#include "core/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

struct loop {
	int epfd;
	int max_events;
	struct epoll_event *raw;
	struct loop_event *events;
};

struct loop *loop_new(int max_events)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->max_events = max_events;
	l->raw = calloc((size_t)max_events, sizeof(*l->raw));
	l->events = calloc((size_t)max_events, sizeof(*l->events));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!l->raw || !l->events || l->epfd < 0) {
		int saved = errno;
		loop_free(l);
		errno = saved;
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->raw);
	free(l->events);
	free(l);
}

static uint32_t to_epoll(int mask)
{
	uint32_t ev = 0;
	if (mask & LOOP_READ)
		ev |= EPOLLIN;
	/* EPOLLEXCLUSIVE refuses EPOLLRDHUP (EINVAL); listeners need none. */
	if ((mask & LOOP_READ) && !(mask & LOOP_EXCLUSIVE))
		ev |= EPOLLRDHUP;
	if (mask & LOOP_WRITE)
		ev |= EPOLLOUT;
	if (mask & LOOP_EXCLUSIVE)
		ev |= EPOLLEXCLUSIVE;
	return ev;
}

int loop_add(struct loop *l, int fd, int mask, struct loop_handler *h)
{
	struct epoll_event ev = { .events = to_epoll(mask), .data.ptr = h };
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int loop_mod(struct loop *l, int fd, int mask, struct loop_handler *h)
{
	struct epoll_event ev = { .events = to_epoll(mask), .data.ptr = h };
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

int loop_del(struct loop *l, int fd)
{
	return epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* epoll drops a descriptor from its set when the last descriptor of its
 * open file is closed, and nothing here duplicates one: a close is enough,
 * and saves an epoll_ctl per connection. */
void loop_forget(struct loop *l, int fd)
{
	(void)l;
	(void)fd;
}

int loop_wait(struct loop *l, int timeout_ms, struct loop_event **out)
{
	int n = epoll_wait(l->epfd, l->raw, l->max_events, timeout_ms);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		uint32_t e = l->raw[i].events;
		int mask = 0;
		if (e & (EPOLLIN | EPOLLRDHUP))
			mask |= LOOP_READ;
		if (e & EPOLLOUT)
			mask |= LOOP_WRITE;
		/* Errors and hang-ups are folded into read+write, so the
		 * handler finds out through its next recv()/send(). */
		if (e & (EPOLLERR | EPOLLHUP))
			mask |= LOOP_READ | LOOP_WRITE;
		l->events[i].h = l->raw[i].data.ptr;
		l->events[i].mask = mask;
	}
	*out = l->events;
	return n;
}
