/* The event loop seam: a handful of calls, with epoll behind them
 * (loop_epoll.c). Nothing above this file sees an epoll flag. What is
 * registered is a handler object: the loop hands each ready one back with
 * what it is ready for, and the caller calls it (no dispatch on addresses). */
#ifndef EISD_LOOP_H
#define EISD_LOOP_H

enum {
	LOOP_READ = 1,
	LOOP_WRITE = 2,
	LOOP_EXCLUSIVE = 4, /* wake one waiter only (shared listeners) */
};

/* Embedded in whatever waits on a descriptor (a connection, the
 * listener, a wake-up eventfd); on_event finds its owner from h. */
struct loop_handler {
	void (*on_event)(struct loop_handler *h, int mask);
};

struct loop_event {
	struct loop_handler *h;
	int mask; /* LOOP_READ / LOOP_WRITE; errors and hang-ups count as both */
};

struct loop;

struct loop *loop_new(int max_events);
void loop_free(struct loop *l);
int loop_add(struct loop *l, int fd, int mask, struct loop_handler *h);
int loop_mod(struct loop *l, int fd, int mask, struct loop_handler *h);
int loop_del(struct loop *l, int fd);
/* fd, registered, is about to be closed: the loop forgets it (it may not
 * be named in loop_mod/loop_del again). */
void loop_forget(struct loop *l, int fd);
/* Waits up to timeout_ms (-1: forever). Returns the number of events
 * stored in *out (valid until the next call), or -1 with errno. */
int loop_wait(struct loop *l, int timeout_ms, struct loop_event **out);

/* Calls each event's handler. */
static inline void loop_dispatch(struct loop_event *ev, int n)
{
	for (int i = 0; i < n; i++)
		ev[i].h->on_event(ev[i].h, ev[i].mask);
}

#endif
