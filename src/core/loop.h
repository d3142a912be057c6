/* The event loop seam: a handful of calls, with epoll behind them
 * (loop_epoll.c). Nothing above this file sees an epoll flag. */
#ifndef EISD_LOOP_H
#define EISD_LOOP_H

enum {
	LOOP_READ = 1,
	LOOP_WRITE = 2,
	LOOP_EXCLUSIVE = 4, /* wake one waiter only (shared listeners) */
};

struct loop_event {
	void *data;
	int mask; /* LOOP_READ / LOOP_WRITE; errors and hang-ups count as both */
};

struct loop;

struct loop *loop_new(int max_events);
void loop_free(struct loop *l);
int loop_add(struct loop *l, int fd, int mask, void *data);
int loop_mod(struct loop *l, int fd, int mask, void *data);
int loop_del(struct loop *l, int fd);
/* Waits up to timeout_ms (-1: forever). Returns the number of events
 * stored in *out (valid until the next call), or -1 with errno. */
int loop_wait(struct loop *l, int timeout_ms, struct loop_event **out);

#endif
