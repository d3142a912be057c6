/* The HTTP/2 protocol on the engine (RFC 9113): a session per connection
 * (h2_session.h) fed from on_input, producing its frames as the socket
 * drains (on_writable), each request answered by the one handler
 * (handler.h) and written by the HTTP/2 serializer (h2_serialize.h).
 *
 * Entered from HTTP/1.1 when a plain connection starts with the client
 * preface (prior knowledge, "h2c"; http1.c), or by ALPN "h2" over TLS.
 * Deadlines are the engine's: an idle connection (no stream open) closes
 * at the keep-alive deadline, counted from when its last stream ended,
 * however many PINGs or SETTINGS arrive meanwhile; a peer that stops
 * taking its responses or opening its window hits the send or keep-alive
 * deadline. */
#include <stdlib.h>
#include <string.h>

#include "core/conn.h"
#include "core/ctx.h"
#include "core/proto.h"
#include "http/h2_serialize.h"
#include "http/h2_session.h"
#include "http/handler.h"

/* What c->proto_state points at. */
struct h2_conn {
	struct conn *c;
	struct h2_session *s;
	uint64_t idle_since_ms; /* when the last stream ended (or the connection began) */
	bool stop_sent;         /* the graceful GOAWAY is out */
};

static struct h2_conn *h2_of(const struct conn *c)
{
	return c->proto_state.ptr;
}

static int out(void *arg, const void *p, size_t n)
{
	return conn_out_bytes(((struct h2_conn *)arg)->c, p, n);
}

static size_t out_queued(void *arg)
{
	const struct conn *c = ((struct h2_conn *)arg)->c;
	size_t n = 0;

	for (unsigned i = c->seg_next; i < c->nsegs; i++)
		n += (size_t)c->segs[i].len;
	return n;
}

static void on_request(void *arg, struct h2_session *s, int32_t stream,
		       const struct http_request *req)
{
	struct h2_conn *hc = arg;
	struct conn *c = hc->c;

	c->requests++;
	h2_answer(s, stream, c->ctx, &c->peer.sa, c->peer_addr, req);
}

static void on_refused(void *arg, const struct http_request *req, int status)
{
	struct h2_conn *hc = arg;

	http_account(hc->c->ctx, hc->c->peer_addr, req, (enum http_status)status, 0);
}

static int h2_on_open(struct conn *c)
{
	struct h2_conn *hc = calloc(1, sizeof(*hc));
	struct h2_session_cfg cfg = {
		.max_header_list = c->ctx->cfg->max_request_bytes,
		.arg = hc,
		.out = out,
		.out_queued = out_queued,
		.on_request = on_request,
		.on_refused = on_refused,
	};

	if (!hc)
		return -1;
	hc->c = c;
	hc->idle_since_ms = c->ctx->now_ms;
	hc->s = h2_session_new(&cfg);
	if (!hc->s) {
		free(hc);
		return -1;
	}
	c->proto_state.ptr = hc;
	/* The server's SETTINGS go out with the first answer. */
	return h2_session_pump(hc->s);
}

/* After the session did something: close once it has nothing more to
 * say; say GOAWAY once when the server is stopping. */
static int settle(struct conn *c, struct h2_conn *hc)
{
	const struct ctx *cx = c->ctx;

	if (ctx_stopping(cx) && !hc->stop_sent) {
		hc->stop_sent = true;
		if (h2_session_shutdown(hc->s))
			return -1;
	}
	if (h2_session_open_streams(hc->s) == 0) {
		if (hc->idle_since_ms == 0)
			hc->idle_since_ms = cx->now_ms;
		/* Control frames do not keep a connection without streams
		 * alive past the keep-alive deadline. */
		if (cx->now_ms - hc->idle_since_ms >= (uint64_t)cx->cfg->keepalive_timeout * 1000 &&
		    h2_session_goaway(hc->s, 0))
			return -1;
	} else {
		hc->idle_since_ms = 0;
	}
	/* The peer may have frames in flight (it always may): drain them
	 * before closing, so a reset does not destroy the GOAWAY. */
	if (h2_session_done(hc->s))
		c->close_after = c->linger = true;
	return 0;
}

static long h2_on_input(struct conn *c, const char *data, size_t len)
{
	struct h2_conn *hc = h2_of(c);
	long n = h2_session_input(hc->s, data, len);

	if (n < 0 || settle(c, hc))
		return -1;
	return n;
}

static void h2_on_writable(struct conn *c)
{
	struct h2_conn *hc = h2_of(c);

	if (h2_session_pump(hc->s) || settle(c, hc))
		c->close_after = true;
}

static void h2_on_close(struct conn *c)
{
	struct h2_conn *hc = h2_of(c);

	if (!hc)
		return;
	h2_session_free(hc->s);
	free(hc);
	c->proto_state.ptr = NULL;
}

static bool h2_mid_request(const struct conn *c)
{
	const struct h2_conn *hc = h2_of(c);

	return hc && h2_session_open_streams(hc->s) > 0;
}

static bool h2_on_stop(struct conn *c)
{
	struct h2_conn *hc = h2_of(c);

	if (!hc->stop_sent) {
		hc->stop_sent = true;
		if (h2_session_shutdown(hc->s))
			c->close_after = true;
	}
	if (h2_session_done(hc->s))
		c->close_after = c->linger = true;
	return h2_session_open_streams(hc->s) > 0;
}

static void h2_on_overflow(struct conn *c)
{
	/* The session consumes all its input: only reachable if it could
	 * not; end politely. */
	h2_session_goaway(h2_of(c)->s, 0);
}

static void h2_on_header_timeout(struct conn *c)
{
	/* A stream waited too long for the rest of its frames. */
	h2_session_goaway(h2_of(c)->s, 0);
}

const struct proto proto_h2 = {
	.name = "h2",
	.on_open = h2_on_open,
	.on_input = h2_on_input,
	.read_while_writing = true,
	.on_writable = h2_on_writable,
	.on_overflow = h2_on_overflow,
	.on_header_timeout = h2_on_header_timeout,
	.on_close = h2_on_close,
	.mid_request = h2_mid_request,
	.on_stop = h2_on_stop,
};
