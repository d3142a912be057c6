/* One connection's life: reading, handing bytes to the protocol, sending
 * the queued output (writev + sendfile), deadlines, and closing. */
#include "core/conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/conn_io.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/proxy_hdr.h"
#include "core/transport.h"

/* Output buffers larger than this are freed after each response so a big
 * listing does not pin memory on a keep-alive connection. */
#define OUT_KEEP_CAP 16384
#define LINGER_MS 2000

/* Sizes of the buffers a pool lends to the connection it is serving. */
#define POOL_OUT_SCRATCH 16384
#define POOL_SEG_SCRATCH 64

/* One connection's share of a loop turn (issue 16: a greedy pipeliner
 * held a one-thread worker for tens of milliseconds): this many responses
 * or full reads of --max-request-bytes, and this many bytes sent. */
#define FAIR_SHARE 32
#define FAIR_SEND_BYTES (512 * 1024)

/* The pool whose context c works in. */
static inline struct conn_pool *pool_of(const struct conn *c)
{
	return (struct conn_pool *)(void *)((char *)c->ctx - offsetof(struct conn_pool, ctx));
}

/* The connection a list node of the pool's is in. */
#define CONN_OF(node, member) list_item((node), struct conn, member)

static void conn_close(struct conn *c);
static void conn_on_event(struct loop_handler *h, int mask);

/* ---- deadlines ---- */

static int timer_duration_ms(const struct conn_pool *w, enum conn_timer t)
{
	const struct config *cfg = w->ctx.cfg;
	switch (t) {
	case TIMER_HEADER: return cfg->header_timeout * 1000;
	case TIMER_IDLE:   return cfg->keepalive_timeout * 1000;
	case TIMER_SEND:   return cfg->send_timeout * 1000;
	case TIMER_LINGER: return LINGER_MS;
	default:           return 0;
	}
}

static void timer_unlink(struct conn *c)
{
	struct conn_pool *w = pool_of(c);
	if (c->timer == TIMER_NONE)
		return;
	list_unlink(&w->timers[c->timer], &c->timer_node);
	c->timer = TIMER_NONE;
}

static void conn_timer_set(struct conn *c, enum conn_timer t)
{
	struct conn_pool *w = pool_of(c);

	timer_unlink(c);
	c->timer = t;
	c->deadline_ms = w->ctx.now_ms + (uint64_t)timer_duration_ms(w, t);
	list_push_back(&w->timers[t], &c->timer_node);
	if (c->deadline_ms < w->timers_min)
		w->timers_min = c->deadline_ms;
}

/* ---- buffers lent by the worker ---- */

/* Lends the worker's scratch to c; only one connection holds it at a
 * time, and conn_settle takes it back before the worker moves on. */
static bool lend_ok(struct conn *c)
{
	struct conn_pool *w = pool_of(c);

	if (w->lent_to && w->lent_to != c)
		return false;
	w->lent_to = c;
	return true;
}

/* Empties b, freeing its memory unless the pool lent it. */
static void buf_drop(struct buf *b, bool *lent)
{
	if (!*lent)
		free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	*lent = false;
}

static void in_drop(struct conn *c)
{
	buf_drop(&c->in, &c->in_lent);
}

static void out_drop(struct conn *c)
{
	buf_drop(&c->out, &c->out_lent);
	if (!c->segs_lent)
		free(c->segs);
	c->segs = NULL;
	c->nsegs = c->seg_cap = c->seg_next = 0;
	c->segs_lent = false;
}

static void *dup_mem(const void *p, size_t len)
{
	void *n = malloc(len ? len : 1);
	if (n)
		memcpy(n, p, len);
	return n;
}

/* The worker is done with c for now: whatever c still needs moves from
 * the lent buffers into its own memory. Returns -1 when that memory could
 * not be had (the connection is then closed). */
static int conn_settle(struct conn_pool *w)
{
	struct conn *c = w->lent_to;

	if (!c)
		return 0;
	w->lent_to = NULL;
	if (c->in_lent) {
		c->in_lent = false;
		if (c->in.len == 0) {
			c->in.p = NULL;
			c->in.cap = 0;
		} else {
			char *p = malloc(c->in.cap);
			if (!p) {
				c->in.p = NULL;
				c->in.len = c->in.cap = 0;
				goto fail;
			}
			memcpy(p, c->in.p, c->in.len);
			c->in.p = p;
		}
	}
	if (c->out_lent) {
		c->out_lent = false;
		if (c->seg_next == c->nsegs) {
			c->out.p = NULL;
			c->out.len = c->out.cap = 0;
		} else {
			char *p = dup_mem(c->out.p, c->out.len);
			c->out.p = p;
			c->out.cap = c->out.len;
			if (!p) {
				c->out.len = c->out.cap = 0;
				goto fail;
			}
		}
	}
	if (c->segs_lent) {
		c->segs_lent = false;
		if (c->seg_next == c->nsegs) {
			c->segs = NULL;
			c->nsegs = c->seg_cap = c->seg_next = 0;
		} else {
			struct out_seg *p = dup_mem(c->segs, c->nsegs * sizeof(*p));
			c->segs = p;
			c->seg_cap = c->nsegs;
			if (!p) {
				c->nsegs = c->seg_cap = c->seg_next = 0;
				goto fail;
			}
		}
	}
	return 0;
fail:
	conn_close(c);
	return -1;
}

/* Waiting to write: the send deadline runs from now. It remembers how
 * much the peer had not acknowledged (sent or not), to see progress. */
static void send_timer_arm(struct conn *c)
{
	conn_timer_set(c, TIMER_SEND);
	c->send_queued = c->tp->queued(c);
}

/* ---- output queue ---- */

static int out_reserve(struct conn *c, size_t more)
{
	struct buf *b = &c->out;
	struct conn_pool *w = pool_of(c);
	size_t cap;
	char *p;

	if (b->len + more <= b->cap)
		return 0;
	if (!b->p && more <= POOL_OUT_SCRATCH && lend_ok(c)) {
		b->p = w->out_scratch;
		b->cap = POOL_OUT_SCRATCH;
		b->len = 0;
		c->out_lent = true;
		return 0;
	}
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	if (c->out_lent) {
		p = malloc(cap);
		if (p)
			memcpy(p, b->p, b->len);
	} else {
		p = realloc(b->p, cap);
	}
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	c->out_lent = false;
	return 0;
}

static int seg_push(struct conn *c, struct out_seg s)
{
	if (c->nsegs == c->seg_cap) {
		struct conn_pool *w = pool_of(c);
		unsigned cap = c->seg_cap ? c->seg_cap * 2 : 4;
		struct out_seg *n;

		if (!c->segs && lend_ok(c)) {
			n = w->seg_scratch;
			cap = POOL_SEG_SCRATCH;
			c->segs_lent = true;
		} else if (c->segs_lent) {
			n = malloc(cap * sizeof(*n));
			if (n)
				memcpy(n, c->segs, c->nsegs * sizeof(*n));
			c->segs_lent = !n;
		} else {
			n = realloc(c->segs, cap * sizeof(*n));
		}
		if (!n)
			return -1;
		c->segs = n;
		c->seg_cap = cap;
	}
	c->segs[c->nsegs++] = s;
	return 0;
}

/* Bytes just appended to out join the last segment when it is there. */
static int seg_add_mem(struct conn *c, size_t off, size_t len)
{
	if (c->nsegs && c->segs[c->nsegs - 1].fd < 0 && !c->segs[c->nsegs - 1].ext) {
		c->segs[c->nsegs - 1].len += len;
		return 0;
	}
	return seg_push(c, (struct out_seg){ .fd = -1, .mem_off = off, .len = len });
}

char *conn_out_room(struct conn *c, size_t max)
{
	if (out_reserve(c, max))
		return NULL;
	return c->out.p + c->out.len;
}

int conn_out_commit(struct conn *c, size_t len)
{
	size_t off = c->out.len;

	if (len == 0)
		return 0;
	c->out.len += len;
	return seg_add_mem(c, off, len);
}

int conn_out_bytes(struct conn *c, const void *p, size_t len)
{
	char *dst;

	if (len == 0)
		return 0;
	dst = conn_out_room(c, len);
	if (!dst)
		return -1;
	memcpy(dst, p, len);
	return conn_out_commit(c, len);
}

int conn_out_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	size_t off = c->out.len;
	int n;

	if (out_reserve(c, 256))
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(c->out.p + off, c->out.cap - off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= c->out.cap - off) {
		if (out_reserve(c, (size_t)n + 1))
			return -1;
		va_start(ap, fmt);
		vsnprintf(c->out.p + off, c->out.cap - off, fmt, ap);
		va_end(ap);
	}
	c->out.len += (size_t)n;
	return seg_add_mem(c, off, (size_t)n);
}

int conn_out_ref(struct conn *c, const void *p, size_t len)
{
	if (len == 0)
		return 0;
	return seg_push(c, (struct out_seg){ .fd = -1, .ext = p, .len = len });
}

int conn_out_file(struct conn *c, int fd, off_t off, uint64_t len)
{
	if (c->body_fd >= 0 && c->body_fd != fd)
		return -1; /* one body file per response */
	c->body_fd = fd;
	if (len == 0)
		return 0;
	return seg_push(c, (struct out_seg){ .fd = fd, .file_off = off, .len = len });
}

int conn_out_file_ref(struct conn *c, int fd, off_t off, uint64_t len)
{
	if (len == 0)
		return 0;
	return seg_push(c, (struct out_seg){ .fd = fd, .file_off = off, .len = len });
}

int conn_out_hold(struct conn *c, void (*release)(void *arg), void *arg)
{
	if (c->hold_release && (c->hold_release != release || c->hold_arg != arg))
		return -1;
	c->hold_release = release;
	c->hold_arg = arg;
	return 0;
}

bool conn_has_output(const struct conn *c)
{
	return c->seg_next < c->nsegs;
}

static void hold_drop(struct conn *c)
{
	if (c->hold_release) {
		void (*release)(void *) = c->hold_release;
		c->hold_release = NULL;
		release(c->hold_arg);
	}
}

/* The response is sent: owned buffers go (an idle connection keeps
 * none), lent ones stay with c until conn_settle. */
static void out_reset(struct conn *c)
{
	c->nsegs = c->seg_next = 0;
	c->out.len = 0;
	if (!c->out_lent) {
		free(c->out.p);
		c->out.p = NULL;
		c->out.cap = 0;
	}
	if (!c->segs_lent) {
		free(c->segs);
		c->segs = NULL;
		c->seg_cap = 0;
	}
	if (c->body_fd >= 0) {
		close(c->body_fd);
		c->body_fd = -1;
	}
	hold_drop(c);
}

/* ---- life cycle ---- */

/* What c waits for: the one place where its state and its transport's
 * wants (read_wants_write, write_wants_read) become loop interest. */
static int conn_interest(const struct conn *c)
{
	switch (c->state) {
	case CONN_READING:
		return c->read_wants_write ? LOOP_WRITE : LOOP_READ;
	case CONN_WRITING: {
		int mask = c->write_wants_read ? LOOP_READ : LOOP_WRITE;
		/* Input while output is pending, as long as there is room. */
		if (c->proto->read_while_writing && c->in.len < c->ctx->cfg->max_request_bytes)
			mask |= LOOP_READ;
		return mask;
	}
	case CONN_LINGER:
		return LOOP_READ;
	}
	return LOOP_READ;
}

/* Tells the loop what c waits for now; c joins the loop on its first
 * wait, so a connection answered and closed right after accept never
 * does. Nothing to tell when the interest did not change. */
static int conn_watch(struct conn *c)
{
	struct loop *l = pool_of(c)->loop;
	int mask = conn_interest(c);

	if (c->in_loop) {
		if (mask == c->watching)
			return 0;
		c->watching = (unsigned char)mask;
		return loop_mod(l, c->fd, mask, &c->lh);
	}
	if (loop_add(l, c->fd, mask, &c->lh))
		return -1;
	c->watching = (unsigned char)mask;
	c->in_loop = true;
	return 0;
}

/* Whether on_input may run now: between responses, or always for a
 * protocol that reads while writing. */
static bool conn_reads(const struct conn *c)
{
	return c->state == CONN_READING ||
	       (c->state == CONN_WRITING && c->proto->read_while_writing);
}

/* c's share of this turn ran out with work left: it comes back, in
 * order, after the others had theirs (conn_pool_run_ready). */
static void conn_defer(struct conn *c)
{
	struct conn_pool *p = pool_of(c);

	if (c->on_ready)
		return;
	c->on_ready = true;
	list_push_back(&p->ready, &c->ready_node);
	p->nready++;
}

/* Takes c (on_ready) off the ready list. */
static void ready_unlink(struct conn *c)
{
	struct conn_pool *p = pool_of(c);

	list_unlink(&p->ready, &c->ready_node);
	p->nready--;
	c->on_ready = false;
}

void conn_defer_input(struct conn *c)
{
	c->defer_input = true;
}

int conn_set_proto(struct conn *c, const struct proto *p)
{
	if (c->proto && c->proto->on_close)
		c->proto->on_close(c);
	memset(&c->proto_state, 0, sizeof(c->proto_state));
	c->proto = p;
	if (c->in_loop && conn_watch(c))
		return -1;
	return p->on_open ? p->on_open(c) : 0;
}

/* A connection on fd, counted already. NULL when that failed: the fd is
 * closed then, and the connection counted out. */
static struct conn *conn_new(struct conn_pool *w, int fd, const struct sockaddr_storage *peer,
			     const struct transport *tp, const struct proto *proto)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		tp->reject(fd, NULL, 0);
		atomic_fetch_sub(&w->count->open, 1);
		return NULL;
	}
	c->fd = fd;
	c->lh.on_event = conn_on_event;
	c->ctx = &w->ctx;
	c->tp = tp;
	c->state = CONN_READING;
	c->timer = TIMER_NONE;
	c->body_fd = -1;
	/* IPv4 and IPv6 addresses fit; anything else is never printed. */
	memcpy(&c->peer, peer, sizeof(c->peer));
	c->connected_at = w->ctx.now;
	conn_format_addr(peer, c->peer_addr, sizeof(c->peer_addr));
	conn_timer_set(c, TIMER_HEADER);

	pthread_mutex_lock(&w->clients_lock);
	list_push_front(&w->clients, &c->client_node);
	w->nclients++;
	pthread_mutex_unlock(&w->clients_lock);

	if ((tp->open && tp->open(c)) || conn_set_proto(c, proto)) {
		conn_close(c);
		return NULL;
	}
	return c;
}

static void conn_drop(struct conn *c, enum transport_close how)
{
	struct conn_pool *w = pool_of(c);

	if (c->proto && c->proto->on_close)
		c->proto->on_close(c);
	timer_unlink(c);
	if (c->on_ready)
		ready_unlink(c);
	pthread_mutex_lock(&w->clients_lock);
	list_unlink(&w->clients, &c->client_node);
	w->nclients--;
	pthread_mutex_unlock(&w->clients_lock);

	if (c->in_loop) {
		/* While a child process holds copies of our descriptors (a
		 * binary upgrade between fork and exec), closing ours would
		 * leave the socket registered and its events naming freed
		 * memory. */
		if (w->fds_shared && atomic_load_explicit(w->fds_shared, memory_order_relaxed))
			loop_del(w->loop, c->fd);
		loop_forget(w->loop, c->fd);
	}
	c->tp->close(c, how);
	if (c->body_fd >= 0)
		close(c->body_fd);
	hold_drop(c);
	in_drop(c);
	out_drop(c);
	proxy_hdr_drop(c);
	if (w->lent_to == c)
		w->lent_to = NULL;
	free(c);
	atomic_fetch_sub(&w->count->open, 1);
}

static void conn_close(struct conn *c)
{
	conn_drop(c, TRANSPORT_CLOSE_GRACEFUL);
}

/* Closes without cutting off the response: if the client may still be
 * sending, a close() would answer with RST and could destroy the reply
 * in flight, so shut down our side and drain for a while first. */
static void conn_finish(struct conn *c)
{
	char scratch[512];

	/* The client said this request was its last: nothing more is on its
	 * way, so skip the look for it. */
	if (c->peer_done && c->in.len == 0 && !c->linger) {
		conn_close(c);
		return;
	}
	/* Nothing there (or the peer is gone): close at once. */
	if (c->in.len == 0 && !c->read_eof && !c->linger &&
	    c->tp->read(c, scratch, sizeof(scratch)) <= 0) {
		conn_close(c);
		return;
	}
	if (c->read_eof) {
		conn_close(c);
		return;
	}
	c->tp->shutdown(c);
	in_drop(c);
	c->state = CONN_LINGER;
	if (conn_watch(c)) {
		conn_close(c);
		return;
	}
	conn_timer_set(c, TIMER_LINGER);
}

static void conn_linger_read(struct conn *c)
{
	char scratch[4096];

	for (;;) {
		ssize_t n = c->tp->read(c, scratch, sizeof(scratch));
		if (n > 0)
			continue;
		if (n == TRANSPORT_WANT_READ || n == TRANSPORT_WANT_WRITE)
			return;
		conn_close(c);
		return;
	}
}

/* A write could not go on: the transport wants the socket writable (or,
 * TLS, readable) first. Returns -1 when the loop refused. */
static int conn_send_wait(struct conn *c, ssize_t want, bool progressed)
{
	c->write_wants_read = want == TRANSPORT_WANT_READ;
	if (c->state != CONN_WRITING) {
		c->state = CONN_WRITING;
		if (conn_watch(c))
			return -1;
		send_timer_arm(c);
		return 0;
	}
	if (conn_watch(c))
		return -1;
	if (progressed)
		send_timer_arm(c);
	return 0;
}

/* The response's last byte went to the transport: its duration. Read
 * from the clock now rather than the loop turn's, which would make every
 * response answered within one turn take 0. Only with --metrics. */
static void conn_request_timed(struct conn *c)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	stats_observe_duration(&c->ctx->stats, now > c->req_start_us ? now - c->req_start_us : 0);
	c->req_start_us = 0;
}

/* Sends queued output. Returns 1 when all is sent, 0 when the transport
 * cannot take more now (now waiting in the loop), -1 on a dead
 * connection. */
static int conn_send(struct conn *c)
{
	struct conn_pool *w = pool_of(c);
	bool progressed = false;
	uint64_t sent = 0;
	ssize_t n;

	for (;;) {
		while (c->seg_next < c->nsegs) {
			struct out_seg *s = &c->segs[c->seg_next];

			/* A fast reader of a large body: the others' turn,
			 * then back (the loop reports the socket writable). */
			if (sent >= FAIR_SEND_BYTES) {
				stat_add(&w->ctx.stats.bytes_sent, sent);
				return conn_send_wait(c, TRANSPORT_WANT_WRITE, true) ? -1 : 0;
			}
			if (s->fd < 0) {
				struct iovec iov[16];
				unsigned k = 0, i = c->seg_next;
				int flags = 0;

				for (; i < c->nsegs && k < 16 && c->segs[i].fd < 0; i++, k++) {
					const struct out_seg *m = &c->segs[i];
					iov[k].iov_base = (char *)(m->ext ? m->ext : c->out.p) + m->mem_off;
					iov[k].iov_len = (size_t)m->len;
				}
				/* More to follow from a file: let the kernel merge
				 * the header with the first body bytes. The last
				 * bytes before a close wait for it too, so the FIN
				 * rides in the same packet (close() pushes them). */
				if (i < c->nsegs || c->close_after)
					flags |= TRANSPORT_MORE;
				n = c->tp->writev(c, iov, (int)k, flags);
				if (n < 0)
					goto stuck;
				sent += (uint64_t)n;
				progressed = true;
				while (n > 0) {
					s = &c->segs[c->seg_next];
					if ((uint64_t)n >= s->len) {
						n -= (ssize_t)s->len;
						c->seg_next++;
					} else {
						s->mem_off += (size_t)n;
						s->len -= (uint64_t)n;
						n = 0;
					}
				}
			} else {
				size_t chunk = s->len > 0x7ffff000 ? 0x7ffff000 : (size_t)s->len;
				int flags = c->seg_next + 1 < c->nsegs || c->close_after ? TRANSPORT_MORE : 0;

				n = c->tp->sendfile(c, s->fd, &s->file_off, chunk, flags);
				if (n < 0)
					goto stuck;
				if (n == 0)
					goto dead; /* the file shrank under us */
				sent += (uint64_t)n;
				progressed = true;
				s->len -= (uint64_t)n;
				if (s->len == 0)
					c->seg_next++;
			}
		}
		stat_add(&w->ctx.stats.bytes_sent, sent);
		sent = 0;
		out_reset(c);
		if (c->req_start_us)
			conn_request_timed(c);
		/* A streaming protocol makes its next output as this drains. */
		if (!c->proto->on_writable)
			break;
		c->proto->on_writable(c);
		if (!conn_has_output(c))
			break;
	}
	if (c->state == CONN_WRITING) {
		c->state = CONN_READING;
		c->write_wants_read = false;
		if (conn_watch(c))
			return -1;
	}
	return 1;
stuck:
	stat_add(&w->ctx.stats.bytes_sent, sent);
	if (n == TRANSPORT_WANT_WRITE || n == TRANSPORT_WANT_READ)
		return conn_send_wait(c, n, progressed) ? -1 : 0;
	return -1;
dead:
	stat_add(&w->ctx.stats.bytes_sent, sent);
	return -1;
}

/* Between requests. An idle keep-alive connection keeps no buffers, so
 * it costs only its struct conn however many requests it made; pipelined
 * input (in.len) keeps them for the next response. */
static void conn_wait_next(struct conn *c)
{
	if (c->in.len) {
		conn_timer_set(c, TIMER_HEADER);
		return;
	}
	/* out_reset already freed what c owned; lent buffers go back. */
	if (!conn_has_output(c))
		out_drop(c);
	conn_timer_set(c, TIMER_IDLE);
}

/* Feeds buffered input to the protocol until it needs more bytes or a
 * response is waiting on the socket (for a protocol that reads while
 * writing: until it needs more bytes). Returns -1 when c was freed. */
static int conn_process(struct conn *c)
{
	while (conn_reads(c)) {
		const struct proto *p = c->proto;
		long r = 0;

		if (c->in.len) {
			r = p->on_input(c, c->in.p, c->in.len);
			if (r < 0) {
				conn_close(c);
				return -1;
			}
			if (r == 0 && c->defer_input) {
				/* Next turn, the same input again: nothing else
				 * (not even the peer's EOF) is looked at now. */
				c->defer_input = false;
				conn_defer(c);
				return 0;
			}
			if (r > 0) {
				c->in.len -= (size_t)r;
				if (c->in.len)
					memmove(c->in.p, c->in.p + r, c->in.len);
			}
			if (c->proto != p)
				continue; /* the rest is the new protocol's */
		}
		if (c->state == CONN_WRITING) {
			/* The transport is full: what on_input queued waits
			 * behind the pending output for the loop. */
			if (r == 0 || c->in.len == 0)
				break;
			continue;
		}
		if (!conn_has_output(c)) {
			if (r == 0 && c->in.len == c->in.cap && c->in.cap) {
				p->on_overflow(c);
				c->close_after = true;
				if (!conn_has_output(c)) {
					conn_close(c);
					return -1;
				}
			} else if (r == 0 || c->in.len == 0) {
				break;
			} else {
				continue;
			}
		}
		int s = conn_send(c);
		if (s < 0) {
			conn_close(c);
			return -1;
		}
		if (s == 0)
			continue; /* now writing: only a read_while_writing protocol goes on */
		if (c->close_after || (ctx_stopping(c->ctx) && !c->proto->on_stop)) {
			conn_finish(c);
			return -1;
		}
		conn_wait_next(c);
		if (--pool_of(c)->budget <= 0 && c->in.len) {
			conn_defer(c); /* pipelined requests wait for the next turn */
			break;
		}
	}
	if (c->state == CONN_READING) {
		const struct proto *p = c->proto;

		if (c->in.len == 0 && c->in.p)
			in_drop(c);
		if (c->read_eof) {
			conn_close(c);
			return -1;
		}
		/* A discarded request body has ended: between requests now. */
		if (c->in.len == 0 && c->timer == TIMER_HEADER && p->mid_request &&
		    !p->mid_request(c))
			conn_wait_next(c);
	} else if (c->state == CONN_WRITING && conn_watch(c)) {
		/* the input buffer's room decides whether to read on */
		conn_close(c);
		return -1;
	}
	return 0;
}

/* Reads until the transport is drained (a short read says so without
 * another call), handing each burst to the protocol. Returns 1 when bytes
 * came, 0 when none did, -1 when c is gone (or going). */
static int conn_read(struct conn *c)
{
	struct conn_pool *w = pool_of(c);
	size_t cap = c->ctx->cfg->max_request_bytes;
	int got = 0;

	if (c->proxy_wait) {
		int r = proxy_hdr_read(c);

		if (r <= 0) {
			if (r < 0) {
				stat_add(&c->ctx->stats.proxy_refused, 1);
				conn_close(c);
			}
			return r;
		}
	}
	for (;;) {
		ssize_t n;

		if (!c->in.p) {
			/* A reload may have raised --max-request-bytes past the
			 * scratch made at the start: then it is not lent. */
			if (cap <= w->in_scratch_cap && lend_ok(c)) {
				c->in.p = w->in_scratch;
				c->in_lent = true;
			} else {
				c->in.p = malloc(cap);
				if (!c->in.p) {
					conn_close(c);
					return -1;
				}
			}
			c->in.cap = cap;
			c->in.len = 0;
		}
		if (c->in.len == c->in.cap)
			break; /* the protocol is consuming; wait */
		n = c->tp->read(c, c->in.p + c->in.len, c->in.cap - c->in.len);
		if (n > 0) {
			size_t room = c->in.cap - c->in.len;

			c->ctx->reads++;
			if (c->timer == TIMER_IDLE)
				conn_timer_set(c, TIMER_HEADER);
			c->in.len += (size_t)n;
			if (conn_process(c) < 0)
				return -1;
			if (!conn_reads(c) || c->on_ready)
				return 1;
			if ((size_t)n < room && !(c->tp->read_pending && c->tp->read_pending(c)))
				return 1;
			if (--w->budget <= 0) {
				conn_defer(c); /* more may wait in the socket */
				return 1;
			}
			got = 1;
			continue;
		}
		if (n == 0) {
			c->read_eof = true;
			conn_close(c);
			return -1;
		}
		if (n != TRANSPORT_WANT_READ && n != TRANSPORT_WANT_WRITE) {
			conn_close(c);
			return -1;
		}
		/* TLS: the handshake may need the socket writable first. */
		if ((n == TRANSPORT_WANT_WRITE) != c->read_wants_write) {
			c->read_wants_write = n == TRANSPORT_WANT_WRITE;
			if (conn_watch(c)) {
				conn_close(c);
				return -1;
			}
		}
		if (c->in.len == 0)
			in_drop(c);
		/* Output a new protocol queued on taking over (from inside
		 * the transport's read: ALPN) goes out now. */
		if (c->state == CONN_READING && conn_has_output(c) && conn_process(c) < 0)
			return -1;
		return got;
	}
	return got;
}

/* After the output went out: input the transport holds is not seen by the
 * loop, so read it now. Returns -1 when c is gone. */
static int conn_read_held(struct conn *c)
{
	if (conn_reads(c) && c->tp->read_pending && c->tp->read_pending(c))
		return conn_read(c) < 0 ? -1 : 0;
	return 0;
}

static void conn_event(struct conn *c, int mask)
{
	switch (c->state) {
	case CONN_WRITING:
		if (mask & (c->write_wants_read ? LOOP_READ : LOOP_WRITE)) {
			int s = conn_send(c);
			if (s < 0) {
				conn_close(c);
				return;
			}
			if (s > 0) {
				if (c->close_after || (ctx_stopping(c->ctx) && !c->proto->on_stop)) {
					conn_finish(c);
					return;
				}
				conn_wait_next(c);
				if (conn_process(c) == 0)
					conn_read_held(c);
				return;
			}
		}
		if ((mask & LOOP_READ) && conn_reads(c))
			conn_read(c);
		return;
	case CONN_READING:
		if (mask & (c->read_wants_write ? LOOP_WRITE : LOOP_READ))
			conn_read(c);
		return;
	case CONN_LINGER:
		conn_linger_read(c);
		return;
	}
}

/* Whether to read a new connection at once: when the request is usually
 * there already this saves a trip through epoll; when it usually is not,
 * the read is a wasted call. So the worker keeps score, and still tries
 * one connection in EARLY_READ_PROBE while the score is low. */
#define EARLY_READ_MAX 16
#define EARLY_READ_ON 8
#define EARLY_READ_PROBE 16

static void conn_start(struct conn *c)
{
	struct conn_pool *w = pool_of(c);
	int r = 0;

	if (c->ctx->cfg->proxy_protocol && proxy_hdr_start(c)) {
		stat_add(&c->ctx->stats.proxy_refused, 1);
		conn_close(c);
		return;
	}
	w->budget = FAIR_SHARE;
	if (w->early_read_score >= EARLY_READ_ON ||
	    ++w->early_read_probe % EARLY_READ_PROBE == 0) {
		r = conn_read(c);
		if (r != 0) {
			if (w->early_read_score < EARLY_READ_MAX)
				w->early_read_score++;
		} else {
			w->early_read_score = w->early_read_score >= 2 ? w->early_read_score - 2 : 0;
		}
	}
	if (r >= 0 && c->state == CONN_READING && !c->in_loop && conn_watch(c))
		conn_close(c);
	conn_settle(w);
}

static void conn_on_event(struct loop_handler *h, int mask)
{
	struct conn *c = (struct conn *)(void *)((char *)h - offsetof(struct conn, lh));
	struct conn_pool *w = pool_of(c);

	/* Waiting for its next share: served from the ready list. */
	if (c->on_ready)
		return;
	w->budget = FAIR_SHARE;
	conn_event(c, mask);
	conn_settle(w);
}

static void conn_timeout(struct conn *c)
{
	enum conn_timer t = c->timer;

	timer_unlink(c);
	/* A client reading slowly may not free enough of a large socket
	 * buffer to wake us within the deadline; it is progress all the
	 * same when the peer has acknowledged bytes since. So a reader is
	 * dropped once it took nothing for one to two send deadlines. */
	if (t == TIMER_SEND && c->state == CONN_WRITING) {
		int q = c->tp->queued(c);
		if (q >= 0 && q < c->send_queued) {
			send_timer_arm(c);
			return;
		}
		/* Dropped for not reading: a reset, so the kernel frees what is
		 * queued for it now (a FIN would wait behind megabytes the peer
		 * never takes, in an orphaned socket). */
		stat_add(&c->ctx->stats.timed_out[t], 1);
		conn_drop(c, TRANSPORT_CLOSE_ABORT);
		return;
	}
	if (t >= 0 && t < TIMER_COUNT)
		stat_add(&c->ctx->stats.timed_out[t], 1);
	/* The PROXY header is late: nobody to answer yet, just close. */
	if (c->proxy_wait) {
		stat_add(&c->ctx->stats.proxy_refused, 1);
		conn_close(c);
		return;
	}
	if (t == TIMER_HEADER && c->state == CONN_READING && c->proto->on_header_timeout) {
		c->close_after = true;
		c->proto->on_header_timeout(c);
		if (conn_has_output(c)) {
			int s = conn_send(c);
			if (s < 0)
				conn_close(c);
			else if (s > 0)
				conn_finish(c);
			return;
		}
	}
	conn_close(c);
}

static void conn_on_timeout(struct conn *c)
{
	struct conn_pool *w = pool_of(c);

	conn_timeout(c);
	conn_settle(w);
}

/* ---- the pool ---- */

int conn_pool_init(struct conn_pool *p, struct loop *loop, struct conn_count *count)
{
	p->loop = loop;
	p->count = count;
	pthread_mutex_init(&p->clients_lock, NULL);
	p->in_scratch = malloc(p->ctx.cfg->max_request_bytes);
	p->in_scratch_cap = p->ctx.cfg->max_request_bytes;
	p->out_scratch = malloc(POOL_OUT_SCRATCH);
	p->seg_scratch = malloc(POOL_SEG_SCRATCH * sizeof(*p->seg_scratch));
	return p->in_scratch && p->out_scratch && p->seg_scratch ? 0 : -1;
}

void conn_pool_fini(struct conn_pool *p)
{
	conn_pool_close_all(p);
	pthread_mutex_destroy(&p->clients_lock);
	free(p->in_scratch);
	free(p->out_scratch);
	free(p->seg_scratch);
	p->in_scratch = p->out_scratch = NULL;
	p->seg_scratch = NULL;
}

void conn_accept(struct conn_pool *p, int fd, const struct sockaddr_storage *peer,
		 const struct transport *tp, const struct proto *proto)
{
	struct conn_count *n = p->count;
	long open = atomic_fetch_add(&n->open, 1) + 1;

	if (open > n->max) {
		const char *reply = proto->reject_reply;

		atomic_fetch_sub(&n->open, 1);
		stat_add(&p->ctx.stats.refused, 1);
		tp->reject(fd, reply, reply ? strlen(reply) : 0);
		return;
	}
	long peak = atomic_load(&n->peak);
	while (open > peak && !atomic_compare_exchange_weak(&n->peak, &peak, open))
		;
	stat_add(&p->ctx.stats.accepted, 1);
	struct conn *c = conn_new(p, fd, peer, tp, proto);
	if (c)
		conn_start(c);
}

void conn_pool_run_ready(struct conn_pool *p, unsigned n)
{
	while (n-- && !list_empty(&p->ready)) {
		struct conn *c = CONN_OF(p->ready.head, ready_node);

		ready_unlink(c);
		p->budget = FAIR_SHARE;
		/* What it has buffered first, then what waits in the socket
		 * (or in the transport). */
		if (conn_process(c) == 0 && conn_reads(c) && !c->on_ready)
			conn_read(c);
		conn_settle(p);
	}
}

static uint64_t pool_next_deadline(const struct conn_pool *p)
{
	uint64_t next = UINT64_MAX;

	for (int t = 0; t < TIMER_COUNT; t++) {
		const struct conn *c = CONN_OF(p->timers[t].head, timer_node);

		if (c && c->deadline_ms < next)
			next = c->deadline_ms;
	}
	return next;
}

uint64_t conn_pool_expire(struct conn_pool *p)
{
	if (p->timers_min > p->ctx.now_ms)
		return p->timers_min; /* the usual turn: nothing due */
	p->timers_min = pool_next_deadline(p);
	if (p->timers_min > p->ctx.now_ms)
		return p->timers_min;
	for (int t = 0; t < TIMER_COUNT; t++) {
		struct conn *c;
		while ((c = CONN_OF(p->timers[t].head, timer_node)) &&
		       c->deadline_ms <= p->ctx.now_ms)
			conn_on_timeout(c);
	}
	p->timers_min = pool_next_deadline(p);
	return p->timers_min;
}

/* A protocol with on_stop says its last word and whether it is busy. */
static void conn_stop_proto(struct conn *c)
{
	bool busy = c->proto->on_stop(c);

	if (c->state != CONN_READING)
		return; /* the output in flight goes first */
	if (conn_has_output(c)) {
		int s = conn_send(c);
		if (s < 0) {
			conn_close(c);
			return;
		}
		if (s == 0)
			return;
	}
	if (!busy || c->close_after)
		conn_finish(c);
}

void conn_pool_stop(struct conn_pool *p)
{
	struct conn *c, *next;

	for (c = CONN_OF(p->clients.head, client_node); c; c = next) {
		next = CONN_OF(c->client_node.next, client_node);
		if (c->proto->on_stop) {
			conn_stop_proto(c);
			conn_settle(p);
			continue;
		}
		/* Handing over to a new process, a connection accepted an
		 * instant ago is a client whose request is on its way: it is
		 * answered (and closed), not dropped. */
		if (c->state != CONN_READING || c->in.len != 0 ||
		    (p->keep_fresh && c->requests == 0))
			continue;
		/* A request sent before the stop may wait in the socket,
		 * unread: one last look, so it is answered, not dropped. */
		if (conn_read(c) == 0 && c->state == CONN_READING && c->in.len == 0)
			conn_close(c);
		conn_settle(p);
	}
}

void conn_pool_close_all(struct conn_pool *p)
{
	while (!list_empty(&p->clients))
		conn_close(CONN_OF(p->clients.head, client_node));
}

size_t conn_pool_each(struct conn_pool *p, size_t max,
		      void (*each)(void *arg, const struct conn *c), void *arg)
{
	size_t n;

	pthread_mutex_lock(&p->clients_lock);
	n = p->nclients;
	for (const struct conn *c = CONN_OF(p->clients.head, client_node); c && max;
	     c = CONN_OF(c->client_node.next, client_node), max--)
		each(arg, c);
	pthread_mutex_unlock(&p->clients_lock);
	return n;
}

void conn_format_addr(const struct sockaddr_storage *ss, char *out, size_t len)
{
	const void *a = NULL;
	int fam = ss->ss_family;

	if (fam == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (fam == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (!a || !inet_ntop(fam, a, out, (socklen_t)len))
		snprintf(out, len, "-");
}

_Static_assert(TIMER_COUNT == sizeof(((struct stats *)0)->timed_out) /
				 sizeof(((struct stats *)0)->timed_out[0]),
	       "one timed_out counter per deadline");
