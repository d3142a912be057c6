/* Prometheus metrics (text exposition format 0.0.4) at --metrics PATH:
 * the workers' counters summed (and per worker where the load is the
 * point), read without stopping them. Loopback clients only, unless
 * --metrics-public (the --status rule). */
#ifndef EISD_METRICS_H
#define EISD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/stats.h"

struct http_exchange;
struct server;

#define METRICS_MAX_WORKERS 1024 /* the most --threads allows */

struct metrics_worker {
	unsigned connections;
	uint64_t requests;
	uint64_t bytes_sent;
};

/* Everything one scrape shows, summed over the workers. */
struct metrics_snapshot {
	const char *version;
	time_t started;
	bool stopping;
	uint64_t by_method[STATS_METHODS][6];
	uint64_t bytes_sent;
	uint64_t duration[STATS_DURATION_BUCKETS + 1]; /* not cumulative */
	uint64_t duration_sum_us;
	uint64_t connections_open;
	uint64_t accepted, refused, proxy_refused;
	uint64_t timed_out[4];
	uint64_t tls_ok, tls_failed, tls_resumed, h2_streams;
	uint64_t fcache_hits, fcache_misses;
	int nworkers;
	struct metrics_worker workers[METRICS_MAX_WORKERS];
};

/* Sums the workers' figures into *m. */
void metrics_gather(const struct server *srv, struct metrics_snapshot *m);

/* The exposition text (malloc'd, *len set), or NULL. */
char *metrics_render(const struct metrics_snapshot *m, size_t *len);

/* HTTP glue: is this request for --metrics PATH (GET or HEAD)? */
bool metrics_is_request(const struct http_exchange *x);
/* Answers it: the metrics, or 404 for a non-loopback client without
 * --metrics-public. 0, or -1 when memory ran out. */
int metrics_serve(struct http_exchange *x);

#endif
