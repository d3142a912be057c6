/* The context a protocol or handler works in: everything it may use of the
 * engine, and nothing of the worker, the loop or the listener. Each worker
 * has one; a connection reaches its worker's as c->ctx. The clock and the
 * Date string are refreshed by the worker once per loop turn; the log,
 * the counters and the file cache belong to that worker alone, so using
 * them takes no lock. The rest is server-wide and read-only while the
 * workers run. */
#ifndef EISD_CTX_H
#define EISD_CTX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "app/config.h"
#include "core/stats.h"
#include "util/log.h"

struct fcache;
struct zcache;
struct lcache;
struct mime_table;
struct server;

#define CTX_DATE_LEN 29 /* an IMF-fixdate (HTTPDATE_LEN) */
#define CTX_HEAD_LINES_MAX 96 /* Date and Server lines (ctx.head_lines) */
#define CTX_IO_SCRATCH 16384 /* one TLS record's worth of plaintext */

/* A --vhost: its name ("example.org", or "*.example.org" for one label
 * more), lower case, and its root, opened at start. */
struct ctx_vhost {
	const char *name;
	size_t len;
	bool wildcard;
	int root_fd;
};

struct ctx {
	/* Clock, read once per loop turn. */
	uint64_t now_ms;              /* monotonic */
	uint64_t now_us;              /* the same, in microseconds */
	time_t now;                   /* wall clock */
	char date[CTX_DATE_LEN + 1];  /* Date header for now */
	/* What every HTTP/1.1 head carries after its status line, for date
	 * ("Date: ...\r\nServer: ...\r\n"): rebuilt with date once a
	 * second (the worker_second hook calls http1_head_lines), so a
	 * response copies one block. Length 0: never built (a context made
	 * by hand); the serializer then writes the lines itself. */
	char head_lines[CTX_HEAD_LINES_MAX];
	size_t head_lines_len;
	uint64_t turn;                /* loop turns so far (1 the first) */
	/* Reads that brought a connection bytes, so far: every request
	 * arrives by one, so what must be looked at after a request came in
	 * (a cache's change queue) is looked at once per read, not once per
	 * request (fcache_drain_after). */
	uint64_t reads;

	struct log_buf log;           /* this worker's access log */
	struct stats stats;           /* this worker's counters */
	struct fcache *fcache;        /* this worker's open files */
	struct lcache *lcache;        /* this worker's directory listings (--listing) */
	/* CTX_IO_SCRATCH bytes a transport may use within one call (TLS:
	 * a file chunk on its way to SSL_write); nothing survives the call. */
	char *io_scratch;
	/* What a handler keeps per worker between requests (the auth
	 * cache): made by the handler on first use, freed with
	 * handler_state_free when the worker ends. */
	void *handler_state;
	void (*handler_state_free)(void *state);

	/* Server-wide, read-only. */
	const struct config *cfg;
	const struct mime_table *mime;
	int root_fd;                  /* the document root, -1 for echo */
	/* The vhosts (from the start: a reload keeps them), each with its
	 * own file cache in this worker; a Host no vhost has gets the root
	 * above, or 421 when vhost_strict. */
	const struct ctx_vhost *vhosts;
	unsigned nvhosts;
	bool vhost_strict;
	struct fcache **vhost_fcache;
	const char *url_host;         /* host part for URLs ("127.0.0.1", "::1") */
	const atomic_bool *stopping;  /* set once a graceful stop began */
	const atomic_bool *draining;  /* set once --health says 503 */
	const struct server *srv;     /* only for stats_gather (opaque here) */
	/* Shared by every worker, with its own lock (files/zcache.h). */
	struct zcache *zcache;        /* compressed files */
};

/* A stop is coming or under way: what --health reports. */
static inline bool ctx_draining(const struct ctx *x)
{
	return atomic_load_explicit(x->draining, memory_order_relaxed) ||
	       atomic_load_explicit(x->stopping, memory_order_relaxed);
}

static inline bool ctx_stopping(const struct ctx *x)
{
	return atomic_load_explicit(x->stopping, memory_order_relaxed);
}

#endif
