/* Listener, worker threads (one event loop each), accept, deadlines,
 * graceful stop. */
#include "core/server.h"

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conn_io.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/transport.h"

_Static_assert((int)LOG_FORMAT_JSON == (int)CONFIG_LOG_JSON &&
	       (int)LOG_FORMAT_COMBINED == (int)CONFIG_LOG_COMBINED, "one numbering of log formats");

#define ACCEPT_BATCH 64
#define ACCEPT_PAUSE_MS 100 /* after EMFILE: retry later, do not spin */
#define TICK_MS 1000        /* log flush and clock granularity */
#define TRIM_MIN_PEAK 64    /* bursts smaller than this are not worth it */
#define SWEEP_TRIM_BYTES (1u << 20) /* let go by a sweep (listings): worth a trim */
/* At exit a slow log reader gets this long for the last lines: bounded, so
 * a stalled one cannot hold up SIGTERM past --shutdown-grace + 1 s. */
#define LOG_FINAL_FLUSH_MS 300

/* The listener's own address into srv (port, url_host, addr_text). */
static int describe_listener(struct server *srv, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	bool v6;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return -1;
	if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						   : ((struct sockaddr_in *)&ss)->sin_port);
	v6 = ss.ss_family == AF_INET6;
	conn_format_addr(&ss, srv->url_host, sizeof(srv->url_host));
	snprintf(srv->addr_text, sizeof(srv->addr_text), "%s%s%s:%d", v6 ? "[" : "",
		 srv->url_host, v6 ? "]" : "", srv->port);
	return 0;
}

int server_adopt_listener(struct server *srv, int fd, char *err, size_t errlen)
{
	int one = 1, type = 0, listening = 0;
	socklen_t l = sizeof(type);
	int flags = fcntl(fd, F_GETFL);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) || type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &(socklen_t){ sizeof(listening) }) ||
	    !listening) {
		snprintf(err, errlen, "inherited descriptor %d is not a listening TCP socket", fd);
		return -1;
	}
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) || fcntl(fd, F_SETFD, FD_CLOEXEC) ||
	    describe_listener(srv, fd)) {
		snprintf(err, errlen, "inherited socket %d: %s", fd, strerror(errno));
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	srv->listen_fd = fd;
	return 0;
}

int server_listen(struct server *srv, char *err, size_t errlen)
{
	const struct config *cfg = srv->cfg;
	struct addrinfo hints = { 0 }, *res = NULL;
	char port[8];
	int fd = -1, one = 1, rc;
	const char *bind_txt = cfg->bind;
	bool v6 = strchr(bind_txt, ':') != NULL;

	snprintf(port, sizeof(port), "%d", cfg->port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(bind_txt, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot bind %s%s%s:%d: %s", v6 ? "[" : "", bind_txt,
			 v6 ? "]" : "", cfg->port, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Accepted sockets inherit it: one setsockopt, not one per client. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 4096))
		goto fail;
	if (describe_listener(srv, fd))
		goto fail;
	srv->listen_fd = fd;
	freeaddrinfo(res);
	return 0;
fail:
	snprintf(err, errlen, "cannot bind %s%s%s:%d: %s", v6 ? "[" : "", bind_txt, v6 ? "]" : "",
		 cfg->port, strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return -1;
}

/* The hooks of srv that are set (a NULL pointer: none of them). */
#define HOOK(srv, name) ((srv)->hooks && (srv)->hooks->name)

static void worker_tick(struct worker *w)
{
	struct timespec ts;
	time_t now;

	w->pool.ctx.turn++;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	w->pool.ctx.now_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	w->pool.ctx.now_ms = w->pool.ctx.now_us / 1000;
	now = time(NULL);
	if (now != w->pool.ctx.now) {
		w->pool.ctx.now = now;
		if (HOOK(w->srv, worker_second))
			w->srv->hooks->worker_second(&w->pool.ctx);
	}
}

static void worker_accept(struct worker *w)
{
	struct server *srv = w->srv;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(srv->listen_fd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: stop listening for a moment
				 * instead of waking up for the same error forever. */
				loop_del(w->loop, srv->listen_fd);
				w->listening = false;
				w->accept_resume_ms = w->pool.ctx.now_ms + ACCEPT_PAUSE_MS;
			}
			return;
		}
		conn_accept(&w->pool, fd, &ss, srv->transport, srv->proto);
		if (conn_pool_size(&w->pool) > w->trim_peak)
			w->trim_peak = conn_pool_size(&w->pool);
	}
}

static void worker_on_listen(struct loop_handler *h, int mask)
{
	struct worker *w = (struct worker *)(void *)((char *)h - offsetof(struct worker, listen_h));

	if (!w->stopping)
		worker_accept(w);
}

static void worker_on_wake(struct loop_handler *h, int mask)
{
	struct worker *w = (struct worker *)(void *)((char *)h - offsetof(struct worker, wake_h));
	uint64_t v;

	if (read(w->wake_fd, &v, sizeof(v)) < 0) {
		/* nothing to do: the stopping flag is what counts */
	}
}

/* After a burst, the buffers of the clients that left are free chunks
 * wedged between live ones in this thread's malloc arena, and RSS would
 * stay at the peak for good. Once the load has fallen to a quarter of its
 * peak, hand whole free pages back to the kernel. Under steady load this
 * never runs. */
static void trim_now(struct worker *w)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	w->trim_peak = conn_pool_size(&w->pool);
}

static void worker_trim_memory(struct worker *w)
{
	unsigned n = conn_pool_size(&w->pool);

	if (w->pool.ctx.now_ms - w->trim_check_ms < TICK_MS)
		return;
	w->trim_check_ms = w->pool.ctx.now_ms;
	if (w->trim_peak < TRIM_MIN_PEAK || n > w->trim_peak / 4)
		return;
	trim_now(w);
}

static int worker_next_timeout(const struct worker *w)
{
	uint64_t now = w->pool.ctx.now_ms;
	uint64_t next = now + TICK_MS;

	if (w->conn_deadline < next)
		next = w->conn_deadline;
	if (!w->listening && w->accept_resume_ms < next)
		next = w->accept_resume_ms;
	/* Connections wait for their next share: look, do not sleep. */
	if (conn_pool_ready(&w->pool))
		return 0;
	return next <= now ? 0 : (int)(next - now);
}

/* Stop: no more accepting; idle connections go now, busy ones may finish
 * their response within the grace period. */
static void worker_begin_stop(struct worker *w)
{
	if (w->listening) {
		loop_del(w->loop, w->srv->listen_fd);
		w->listening = false;
	}
	w->accept_resume_ms = UINT64_MAX;
	w->pool.keep_fresh = atomic_load(&w->srv->handing_over);
	conn_pool_stop(&w->pool);
}

void server_snapshot_release(struct server_snapshot *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		s->destroy(s);
}

/* A published snapshot, taken between two loop turns, once the hooks
 * have what it needs (a new MIME table: new file caches); without memory
 * for that the worker stays on what it has. */
static void worker_adopt(struct worker *w)
{
	struct ctx *cx = &w->pool.ctx;
	struct server_snapshot *s;

	if (!atomic_load_explicit(&w->next_snap, memory_order_relaxed))
		return;
	s = atomic_exchange_explicit(&w->next_snap, NULL, memory_order_acquire);
	if (!s)
		return;
	if (HOOK(w->srv, worker_adopt) && w->srv->hooks->worker_adopt(cx, w->srv, s)) {
		server_snapshot_release(s);
		return;
	}
	cx->cfg = s->cfg;
	cx->mime = s->mime;
	cx->log.format = (enum log_format)s->cfg->log_format;
	server_snapshot_release(w->snap);
	w->snap = s;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct server *srv = w->srv;
	struct ctx *cx = &w->pool.ctx;
	uint64_t stop_deadline = 0, last_flush = 0, last_sweep = 0;

	worker_tick(w);
	last_flush = cx->now_ms;
	for (;;) {
		struct loop_event *ev;
		int n = loop_wait(w->loop, worker_next_timeout(w), &ev);

		unsigned ready = conn_pool_ready(&w->pool);

		worker_tick(w);
		/* Only this worker writes it: a load and a store, no locked add. */
		atomic_store_explicit(&w->turns, atomic_load_explicit(&w->turns, memory_order_relaxed) + 1,
				      memory_order_release);
		worker_adopt(w);
		if (n > 0)
			loop_dispatch(ev, n);
		/* Those that waited for the next share get it now; the ones
		 * that ran out in these events wait for the next turn. */
		conn_pool_run_ready(&w->pool, ready);
		if (!w->stopping && atomic_load(&srv->stopping)) {
			w->stopping = true;
			stop_deadline = cx->now_ms + (uint64_t)cx->cfg->shutdown_grace * 1000;
			worker_begin_stop(w);
		}
		w->conn_deadline = conn_pool_expire(&w->pool);
		if (!w->listening && !w->stopping && cx->now_ms >= w->accept_resume_ms) {
			if (loop_add(w->loop, srv->listen_fd, LOOP_READ | LOOP_EXCLUSIVE, &w->listen_h) == 0)
				w->listening = true;
			else
				w->accept_resume_ms = cx->now_ms + ACCEPT_PAUSE_MS;
		}
		worker_trim_memory(w);
		if (cx->now_ms - last_sweep >= TICK_MS) {
			/* Listing pages are big: once they go, give the
			 * pages back (the burst rule above may have run). */
			if (HOOK(srv, worker_sweep) &&
			    srv->hooks->worker_sweep(cx) >= SWEEP_TRIM_BYTES)
				trim_now(w);
			last_sweep = cx->now_ms;
		}
		if (cx->log.len && cx->now_ms - last_flush >= TICK_MS) {
			log_flush(&cx->log);
			last_flush = cx->now_ms;
		}
		if (w->stopping && (conn_pool_size(&w->pool) == 0 || cx->now_ms >= stop_deadline ||
				    atomic_load_explicit(&srv->stop_now, memory_order_relaxed)))
			break;
	}
	conn_pool_close_all(&w->pool);
	log_flush_final(&cx->log, LOG_FINAL_FLUSH_MS);
	atomic_fetch_sub(&srv->running, 1);
	return NULL;
}

static int worker_init(struct worker *w, struct server *srv, int index)
{
	struct ctx *cx = &w->pool.ctx;
	int state_rc;

	w->srv = srv;
	w->index = index;
	w->wake_fd = -1;
	w->wake_h.on_event = worker_on_wake;
	w->listen_h.on_event = worker_on_listen;
	w->conn_deadline = UINT64_MAX;
	cx->cfg = srv->cfg;
	cx->mime = srv->mime;
	cx->root_fd = srv->root_fd;
	cx->url_host = srv->url_host;
	cx->stopping = &srv->stopping;
	cx->draining = &srv->draining;
	cx->srv = srv;
	log_buf_init(&cx->log, srv->log_shared ? srv->log_shared : &srv->log);
	cx->log.format = (enum log_format)srv->cfg->log_format;
	cx->io_scratch = malloc(CTX_IO_SCRATCH);
	cx->vhosts = srv->vhosts;
	cx->nvhosts = srv->nvhosts;
	cx->vhost_strict = srv->vhost_strict;
	state_rc = HOOK(srv, worker_init) ? srv->hooks->worker_init(cx, srv) : 0;
	w->loop = loop_new(512);
	if (conn_pool_init(&w->pool, w->loop, &srv->conns) || !cx->io_scratch || state_rc)
		return -ENOMEM;
	w->pool.fds_shared = &srv->fds_shared;
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!w->loop || w->wake_fd < 0 ||
	    loop_add(w->loop, w->wake_fd, LOOP_READ, &w->wake_h) ||
	    loop_add(w->loop, srv->listen_fd, LOOP_READ | LOOP_EXCLUSIVE, &w->listen_h))
		return -errno;
	w->listening = true;
	return 0;
}

int server_start(struct server *srv, char *err, size_t errlen)
{
	srv->started = time(NULL);
	if (!srv->transport)
		srv->transport = &transport_tcp;
	srv->conns.max = srv->max_connections;
	if (HOOK(srv, start) && srv->hooks->start(srv, err, errlen))
		return -1;
	srv->workers = calloc((size_t)srv->nworkers, sizeof(*srv->workers));
	if (!srv->workers) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < srv->nworkers; i++) {
		int rc = worker_init(&srv->workers[i], srv, i);
		if (rc == -ENOMEM) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (rc) {
			snprintf(err, errlen, "cannot start worker: %s", strerror(-rc));
			return -1;
		}
	}
	for (int i = 0; i < srv->nworkers; i++) {
		int rc;

		atomic_fetch_add(&srv->running, 1);
		rc = pthread_create(&srv->workers[i].thread, NULL, worker_main, &srv->workers[i]);
		if (rc) {
			snprintf(err, errlen, "cannot start worker thread: %s", strerror(rc));
			atomic_fetch_sub(&srv->running, 1);
			srv->nworkers = i;
			return -1;
		}
	}
	return 0;
}

static void wake_workers(struct server *srv)
{
	uint64_t one = 1;

	for (int i = 0; i < srv->nworkers; i++)
		if (write(srv->workers[i].wake_fd, &one, sizeof(one)) < 0) {
			/* an eventfd write only fails when the counter would
			 * overflow: the worker is already awake */
		}
}

void server_drain(struct server *srv)
{
	atomic_store(&srv->draining, true);
}

void server_stop(struct server *srv)
{
	atomic_store(&srv->stopping, true);
	/* Refuse new clients from now on (they can go elsewhere at once)
	 * rather than queue them in the backlog until exit. The fd itself
	 * stays open: the workers still name it in loop_del. */
	shutdown(srv->listen_fd, SHUT_RD);
	wake_workers(srv);
}

void server_hand_over(struct server *srv)
{
	/* The socket is shared with the process taking over: shutting it
	 * down would stop that one too. The workers only stop accepting;
	 * what waits in the backlog is the new process's. */
	atomic_store(&srv->handing_over, true);
	atomic_store(&srv->stopping, true);
	wake_workers(srv);
}

void server_publish(struct server *srv, struct server_snapshot *s)
{
	for (int i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];

		atomic_fetch_add(&s->refs, 1);
		server_snapshot_release(atomic_exchange(&w->next_snap, s));
	}
	wake_workers(srv);
}

int server_share_fds_begin(struct server *srv, int timeout_ms)
{
	unsigned seen[srv->nworkers > 0 ? srv->nworkers : 1];
	struct timespec tick = { 0, 1000000 };

	atomic_store(&srv->fds_shared, true);
	for (int i = 0; i < srv->nworkers; i++)
		seen[i] = atomic_load(&srv->workers[i].turns);
	wake_workers(srv);
	for (int i = 0; i < srv->nworkers; i++) {
		int waited = 0;

		while (atomic_load(&srv->workers[i].turns) == seen[i]) {
			if (waited++ >= timeout_ms)
				return -1;
			nanosleep(&tick, NULL);
		}
	}
	return 0;
}

void server_share_fds_end(struct server *srv)
{
	atomic_store(&srv->fds_shared, false);
}

void server_stop_now(struct server *srv)
{
	atomic_store(&srv->stop_now, true);
	wake_workers(srv);
}

bool server_stopped(const struct server *srv)
{
	return atomic_load(&srv->running) == 0;
}

void server_join(struct server *srv)
{
	for (int i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];
		pthread_join(w->thread, NULL);
		server_snapshot_release(atomic_exchange(&w->next_snap, NULL));
		server_snapshot_release(w->snap);
		conn_pool_fini(&w->pool);
		loop_free(w->loop);
		close(w->wake_fd);
		if (HOOK(srv, worker_fini))
			srv->hooks->worker_fini(&w->pool.ctx);
		free(w->pool.ctx.io_scratch);
		if (w->pool.ctx.handler_state_free)
			w->pool.ctx.handler_state_free(w->pool.ctx.handler_state);
	}
	free(srv->workers);
	srv->workers = NULL;
	srv->nworkers = 0;
	if (HOOK(srv, stop))
		srv->hooks->stop(srv);
}

/* ---- figures for the status report (core/stats.h) ---- */

void stats_gather(const struct server *srv, struct stats_totals *t, size_t max,
		  void (*each)(void *arg, const struct conn *c), void *arg)
{
	size_t calls = 0;

	memset(t, 0, sizeof(*t));
	t->protocol = srv->proto->name;
	t->running = !atomic_load(&srv->stopping);
	t->listen = srv->addr_text;
	t->port = srv->port;
	t->threads = srv->nworkers;
	t->started = srv->started;
	t->log_dropped = log_sink_dropped_count(&srv->log);
	t->err_dropped = log_sink_dropped_count(&srv->err);
	t->tls_body_path = srv->tls_body_path;

	for (int i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];
		const struct stats *st = &w->pool.ctx.stats;

		t->requests += atomic_load_explicit(&st->requests, memory_order_relaxed);
		t->bytes_sent += atomic_load_explicit(&st->bytes_sent, memory_order_relaxed);
		t->accepted += atomic_load_explicit(&st->accepted, memory_order_relaxed);
		t->tls_handshakes += atomic_load_explicit(&st->tls_handshakes, memory_order_relaxed);
		t->tls_resumed += atomic_load_explicit(&st->tls_resumed, memory_order_relaxed);
		t->tls_handshake_failures += atomic_load_explicit(&st->tls_handshake_failures,
								  memory_order_relaxed);
		for (int k = 1; k <= 5; k++)
			t->responses[k] += atomic_load_explicit(&st->status_class[k],
								memory_order_relaxed);
		size_t n = conn_pool_each(&w->pool, max - calls, each, arg);
		t->client_count += n;
		calls += n < max - calls ? n : max - calls;
	}
	/* One source for "open" and "connected" (the registries just read),
	 * and the peak read after them: a report never shows more clients
	 * than connections, or a peak below what is open. */
	t->connections = (long)t->client_count;
	t->peak_connections = atomic_load(&srv->conns.peak);
	if (t->peak_connections < t->connections)
		t->peak_connections = t->connections;
}

/* ---- per worker, for the metrics (core/stats.h) ---- */

static void count_one(void *arg, const struct conn *c)
{
	(void)arg;
	(void)c;
}

int stats_workers(const struct server *srv, void (*each)(void *arg, const struct stats_worker *w),
		  void *arg)
{
	for (int i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];
		struct stats_worker sw = { .index = i, .stats = &w->pool.ctx.stats };

		sw.connections = (unsigned)conn_pool_each(&w->pool, 0, count_one, NULL);
		if (HOOK(srv, worker_counts))
			srv->hooks->worker_counts(&w->pool.ctx, &sw.fcache_hits,
						  &sw.fcache_misses);
		each(arg, &sw);
	}
	return srv->nworkers;
}
