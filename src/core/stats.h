/* Counters a worker bumps for the requests it serves, and the server-wide
 * figures the status report reads without stopping the workers. */
#ifndef EISD_STATS_H
#define EISD_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct conn;
struct server;

/* One worker's counters: only that worker writes them, readers sum. */
struct stats {
	atomic_uint_fast64_t requests;
	atomic_uint_fast64_t bytes_sent;
	atomic_uint_fast64_t status_class[6]; /* [1..5]: 1xx..5xx */
	atomic_uint_fast64_t accepted;
};

/* Only the owning worker writes its counters: a relaxed load and store
 * is enough, and cheaper on the hot path than a locked add. */
static inline void stat_add(atomic_uint_fast64_t *v, uint64_t n)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* One request answered with status (any protocol: HTTP, echo, file). */
static inline void stats_count(struct stats *s, int status)
{
	int cls = status / 100;

	stat_add(&s->requests, 1);
	if (cls >= 1 && cls <= 5)
		stat_add(&s->status_class[cls], 1);
}

/* The whole server at one moment (each worker's part is read on its own,
 * so the sum is not one instant, but every figure is a real one). */
struct stats_totals {
	const char *protocol; /* the listener's protocol ("http", "echo", "file") */
	bool running;         /* false once stopping */
	const char *listen;   /* "127.0.0.1:8080" or "[::1]:8080" */
	int port;
	int threads;
	time_t started;
	uint64_t requests;
	uint64_t bytes_sent;
	uint64_t accepted;
	uint64_t responses[6]; /* [1..5]: 1xx..5xx */
	long connections;      /* open now */
	long peak_connections;
	size_t client_count;   /* connected clients, all of them */
	uint64_t log_dropped;  /* access-log lines the reader did not take */
	uint64_t err_dropped;  /* reports and messages stderr did not take */
};

/* Fills *t and calls each(arg, c) for every connected client, stopping
 * after max calls in all. each runs under the owning worker's registry
 * lock: it must only copy (no allocation, no blocking). */
void stats_gather(const struct server *srv, struct stats_totals *t, size_t max,
		  void (*each)(void *arg, const struct conn *c), void *arg);

#endif
