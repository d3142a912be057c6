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

/* Requests by method: 0 for one that did not parse, else 1 + its enum
 * http_method (http/http_parse.h; the metrics name them). */
#define STATS_METHODS 11
/* Request duration histogram: upper bounds in microseconds, then +Inf. */
#define STATS_DURATION_BUCKETS 14
extern const uint64_t stats_duration_bounds_us[STATS_DURATION_BUCKETS];

/* One worker's counters: only that worker writes them, readers sum. */
struct stats {
	atomic_uint_fast64_t requests;
	atomic_uint_fast64_t bytes_sent;
	atomic_uint_fast64_t status_class[6]; /* [1..5]: 1xx..5xx */
	atomic_uint_fast64_t accepted;
	atomic_uint_fast64_t tls_handshakes;         /* completed */
	atomic_uint_fast64_t tls_resumed;            /* of those, from a ticket */
	atomic_uint_fast64_t tls_handshake_failures; /* failed or abandoned */
	atomic_uint_fast64_t proxy_refused; /* no, bad or late PROXY header */
	atomic_uint_fast64_t refused;       /* over --max-connections */
	atomic_uint_fast64_t timed_out[4];  /* by enum conn_timer (header, idle, send, linger) */

	/* HTTP requests by method and status class ([m][0]: other codes). */
	atomic_uint_fast64_t by_method[STATS_METHODS][6];
	/* Head received -> last byte handed to the kernel (--metrics only):
	 * not cumulative; [STATS_DURATION_BUCKETS] is above every bound. */
	atomic_uint_fast64_t duration[STATS_DURATION_BUCKETS + 1];
	atomic_uint_fast64_t duration_sum_us;

	/* HTTP/2 bumps this (stat_add). */
	atomic_uint_fast64_t h2_streams;       /* HTTP/2 streams opened */
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

/* An HTTP request answered: method as STATS_METHODS counts it. */
static inline void stats_count_method(struct stats *s, unsigned method, int status)
{
	int cls = status / 100;

	if (method >= STATS_METHODS)
		method = 1;
	stat_add(&s->by_method[method][cls >= 1 && cls <= 5 ? cls : 0], 1);
}

/* A response's duration, in microseconds. */
void stats_observe_duration(struct stats *s, uint64_t us);

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
	const char *tls_body_path;       /* NULL: plain TCP (server.tls_body_path) */
	uint64_t tls_handshakes, tls_resumed, tls_handshake_failures;
};

/* Fills *t and calls each(arg, c) for every connected client, stopping
 * after max calls in all. each runs under the owning worker's registry
 * lock: it must only copy (no allocation, no blocking). */
void stats_gather(const struct server *srv, struct stats_totals *t, size_t max,
		  void (*each)(void *arg, const struct conn *c), void *arg);

/* One worker's part, for the metrics: its counters (read them with
 * relaxed loads), its open connections and its file cache's lookups. */
struct stats_worker {
	int index;
	const struct stats *stats;
	unsigned connections;
	uint64_t fcache_hits, fcache_misses;
};

/* Calls each(arg, w) for every worker, in order; returns the count. */
int stats_workers(const struct server *srv, void (*each)(void *arg, const struct stats_worker *w),
		  void *arg);

#endif
