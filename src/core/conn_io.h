/* The engine side of connections: the per-worker pool that owns them (their
 * deadlines, the scratch buffers lent to the one being served, the
 * registry the status report reads) and the calls a worker drives it with.
 * The worker owns the loop and the listener; everything about a
 * connection after accept is conn.c's. A protocol never calls these. */
#ifndef EISD_CONN_IO_H
#define EISD_CONN_IO_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/conn.h"
#include "core/ctx.h"

struct loop;
struct proto;
struct transport;

/* Open connections over all workers, against --max-connections. */
struct conn_count {
	atomic_long open;
	atomic_long peak;
	long max;
};

struct conn_pool {
	/* What the pool's connections and their protocols see (c->ctx);
	 * the worker fills it and keeps its clock. */
	struct ctx ctx;
	struct loop *loop;
	struct conn_count *count; /* shared by all pools */

	/* One list per deadline kind; each kind has one duration, so
	 * appending keeps every list ordered and expiry is O(1). */
	struct list timers[TIMER_COUNT]; /* of conn.timer_node */
	/* No deadline comes before this (it may be early: a deadline that
	 * moved later or went away leaves it behind), so a turn with
	 * nothing due is one compare, not a look at every list head; 0
	 * (a zeroed pool): not known yet. */
	uint64_t timers_min;

	/* All the pool's connections. The lock is held only to link,
	 * unlink or copy, so a status reader never stalls the worker. */
	pthread_mutex_t clients_lock;
	struct list clients; /* of conn.client_node, newest first */
	unsigned nclients;

	/* Lent to one connection at a time: input of
	 * cfg->max_request_bytes, output, output segments. */
	struct conn *lent_to;
	char *in_scratch;
	size_t in_scratch_cap; /* its size: max_request_bytes at the start */
	char *out_scratch;
	struct out_seg *seg_scratch;

	unsigned early_read_score, early_read_probe; /* conn_start */

	/* Fairness: the connection being served may answer this many more
	 * requests (or make this many more full reads) in this turn; then it
	 * waits in the ready list, in order, for the next turn. */
	int budget;
	struct list ready; /* of conn.ready_node */
	unsigned nready;

	/* A binary upgrade (set by the worker): while a forked child holds
	 * copies of the sockets, closing one must unregister it explicitly;
	 * during the hand-over stop, fresh connections get their answer. */
	const atomic_bool *fds_shared; /* NULL: never */
	bool keep_fresh;
};

/* Sets up p for connections whose protocols see p->ctx (filled by the
 * caller first: cfg at least). Returns 0, or -1 when memory ran out
 * (conn_pool_fini then frees what was made). */
int conn_pool_init(struct conn_pool *p, struct loop *loop, struct conn_count *count);
void conn_pool_fini(struct conn_pool *p);

/* A socket the listener accepted (non-blocking): counted, refused over
 * the limit (the transport's reject, with the protocol's reply), or made
 * a connection speaking proto over tp and served at once. */
void conn_accept(struct conn_pool *p, int fd, const struct sockaddr_storage *peer,
		 const struct transport *tp, const struct proto *proto);

/* Connections whose fair share ran out with work left: the worker polls
 * the loop without waiting while there are any, and after handling the
 * loop's events serves the first n of them (those that were ready before
 * the events: conn_pool_ready), each once, for another share. */
static inline unsigned conn_pool_ready(const struct conn_pool *p)
{
	return p->nready;
}
void conn_pool_run_ready(struct conn_pool *p, unsigned n);

/* Handles every deadline that has passed by p->ctx.now_ms; returns a
 * time no later than the earliest one left (ms, on the ctx.now_ms
 * clock; it may be earlier, then that turn finds nothing due and
 * returns the next), UINT64_MAX for none.
 * Only handling connections arms deadlines, so it holds until the pool's
 * connections are next served. */
uint64_t conn_pool_expire(struct conn_pool *p);
/* A graceful stop began: idle connections go now; busy ones may finish. */
void conn_pool_stop(struct conn_pool *p);
/* Closes every connection (the end of the grace period). */
void conn_pool_close_all(struct conn_pool *p);
/* Open connections (read by the owning worker only). */
static inline unsigned conn_pool_size(const struct conn_pool *p)
{
	return p->nclients;
}
/* Calls each(arg, c) for up to max connections, under the registry lock
 * (each only copies); returns the number of connections, all of them.
 * Callable from any thread. */
size_t conn_pool_each(struct conn_pool *p, size_t max,
		      void (*each)(void *arg, const struct conn *c), void *arg);

void conn_format_addr(const struct sockaddr_storage *ss, char *out, size_t len);

#endif
