/* The caches and the Date string of each worker, made and kept through
 * the engine's hooks. See worker_state.h. */
#include "app/worker_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files/fcache.h"
#include "files/lcache.h"
#include "files/zcache.h"
#include "http/http1_serialize.h"
#include "http/httpdate.h"

_Static_assert(CTX_DATE_LEN == HTTPDATE_LEN, "ctx.date holds an IMF-fixdate");

/* Entries each of a worker's caches may hold: its share of the open
 * files, split between the root and the vhosts. */
static unsigned cache_entries(const struct server *srv)
{
	unsigned n = srv->fcache_entries ? srv->fcache_entries : FCACHE_MAX_ENTRIES;

	n /= 1 + srv->nvhosts;
	return n < 16 ? 16 : n;
}

/* A file cache for the root, then one per vhost, typed by mime, for
 * the worker of x, into fc; all or none (-1). */
static int file_caches(const struct server *srv, struct ctx *x, const struct mime_table *mime,
		       struct fcache **fc)
{
	unsigned n = cache_entries(srv);

	for (unsigned i = 0; i <= srv->nvhosts; i++) {
		fc[i] = fcache_new(i ? srv->vhosts[i - 1].root_fd : srv->root_fd, mime, n);
		if (!fc[i]) {
			while (i-- > 0)
				fcache_free(fc[i]);
			return -1;
		}
		fcache_drain_after(fc[i], &x->reads);
	}
	return 0;
}

static int start(struct server *srv, char *err, size_t errlen)
{
	if (!srv->zcache)
		srv->zcache = zcache_new(ZCACHE_MEM_DEFAULT);
	if (!srv->zcache) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void stop(struct server *srv)
{
	zcache_free(srv->zcache);
	srv->zcache = NULL;
}

static int worker_init(struct ctx *x, const struct server *srv)
{
	x->zcache = srv->zcache;
	x->vhost_fcache = calloc(srv->nvhosts + 1, sizeof(*x->vhost_fcache));
	if (x->vhost_fcache) {
		struct fcache *fc[1 + SERVER_MAX_VHOSTS];

		if (file_caches(srv, x, srv->mime, fc) == 0) {
			x->fcache = fc[0];
			memcpy(x->vhost_fcache, fc + 1, srv->nvhosts * sizeof(*fc));
		}
	}
	/* Only with listings: a server without spends no inotify instance. */
	x->lcache = config_lists_anywhere(srv->cfg) ? lcache_new() : NULL;
	return !x->fcache || (config_lists_anywhere(srv->cfg) && !x->lcache) ? -1 : 0;
}

/* New MIME types need new file caches (their entries carry their type). */
static int worker_adopt(struct ctx *x, const struct server *srv,
			const struct server_snapshot *s)
{
	if (s->mime != x->mime) {
		struct fcache *fc[1 + SERVER_MAX_VHOSTS];

		if (file_caches(srv, x, s->mime, fc))
			return -1;
		fcache_free(x->fcache);
		x->fcache = fc[0];
		for (unsigned i = 0; i < x->nvhosts; i++) {
			fcache_free(x->vhost_fcache[i]);
			x->vhost_fcache[i] = fc[1 + i];
		}
	}
	if (!x->lcache && config_lists_anywhere(s->cfg)) {
		x->lcache = lcache_new();
		if (!x->lcache)
			return -1;
	}
	return 0;
}

static size_t worker_sweep(struct ctx *x)
{
	size_t freed;

	fcache_sweep(x->fcache);
	freed = lcache_sweep(x->lcache, x->now);
	for (unsigned i = 0; i < x->nvhosts; i++)
		fcache_sweep(x->vhost_fcache[i]);
	return freed;
}

static void worker_second(struct ctx *x)
{
	httpdate_format(x->now, x->date);
	http1_head_lines(x);
}

static void worker_fini(struct ctx *x)
{
	fcache_free(x->fcache);
	lcache_free(x->lcache);
	for (unsigned k = 0; x->vhost_fcache && k < x->nvhosts; k++)
		fcache_free(x->vhost_fcache[k]);
	free(x->vhost_fcache);
}

static void worker_counts(const struct ctx *x, uint64_t *hits, uint64_t *misses)
{
	fcache_counts(x->fcache, hits, misses);
}

const struct server_hooks worker_state_hooks = {
	.start = start,
	.stop = stop,
	.worker_init = worker_init,
	.worker_adopt = worker_adopt,
	.worker_sweep = worker_sweep,
	.worker_second = worker_second,
	.worker_fini = worker_fini,
	.worker_counts = worker_counts,
};
