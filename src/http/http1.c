/* The HTTP/1.1 protocol on the engine: parse a request, hand it to the
 * shared handler (http_handle), write its response with the HTTP/1.1
 * serializer, account for it (http_account), and skip request bodies so
 * they can never be read as the next request. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conn.h"
#include "http/http_parse.h"
#include "http/handler.h"
#include "http/http1_serialize.h"
#include "core/proto.h"
#include "core/ctx.h"

enum body_mode {
	SKIP_NONE,
	SKIP_LENGTH,
	SKIP_CHUNKED,
};

/* A request with a chunked body, held until the body ends: its length is
 * unknown until then, so it is answered only then (413 if it grows too
 * big). Allocated only meanwhile, so an idle connection does not carry it. */
struct http_held {
	struct http_chunked chunked;
	size_t len;
	char head[]; /* the request head, len bytes */
};

/* Lives in conn.proto. */
struct http_state {
	enum body_mode skip;
	uint64_t skip_left;
	struct http_held *held; /* owned; SKIP_CHUNKED only */
};

_Static_assert(sizeof(struct http_state) <= sizeof(((struct conn *)0)->proto_state),
	       "http_state must fit in conn.proto");

static struct http_state *state_of(struct conn *c)
{
	return (struct http_state *)(void *)&c->proto_state;
}

/* Writes x's response, counts and logs it, and lets the response go.
 * Returns 0, or -1 when the connection must be dropped. */
static int respond(struct conn *c, struct http_exchange *x)
{
	struct http_response *r = &x->resp;
	int rc = http1_serialize(c, x->req, r);

	if (rc == 0)
		http_account(c->ctx, c->peer_addr, x->req, r->status,
			     r->head ? 0 : r->content_length);
	http_response_free(r);
	return rc;
}

/* A response that is only an error page for status. */
static int respond_error(struct conn *c, const struct http_request *req, int status,
			 bool close)
{
	struct http_exchange x;

	http_exchange_init(&x, c->ctx, req, &c->peer.sa);
	x.resp.close = close;
	http_response_error(&x.resp, (enum http_status)status);
	return respond(c, &x);
}

static long answer(struct conn *c, const char *head, size_t len, bool body_done);

static void drop_held(struct http_state *hs)
{
	free(hs->held);
	hs->held = NULL;
}

/* The chunked body went wrong: answer for the held request and close. */
static long fail_held(struct conn *c, struct http_state *hs, int status)
{
	struct http_request req;
	const struct http_request *rp = NULL;
	int rc;

	if (http_parse_request(hs->held->head, hs->held->len, hs->held->len, &req) > 0)
		rp = &req;
	hs->skip = SKIP_NONE;
	rc = respond_error(c, rp, status, true);
	drop_held(hs);
	return rc;
}

static long skip_body(struct conn *c, struct http_state *hs, const char *data, size_t len)
{
	if (hs->skip == SKIP_LENGTH) {
		size_t n = len < hs->skip_left ? len : (size_t)hs->skip_left;
		hs->skip_left -= n;
		if (hs->skip_left == 0)
			hs->skip = SKIP_NONE;
		return (long)n;
	}
	bool done = false;
	uint64_t max = c->ctx->cfg->max_body_bytes;
	long n = http_chunked_feed(&hs->held->chunked, data, len, max, &done);
	if (n < 0) {
		if (fail_held(c, hs, hs->held->chunked.too_large ? 413 : 400) < 0)
			return -1;
		return (long)len;
	}
	if (done) {
		hs->skip = SKIP_NONE;
		if (answer(c, hs->held->head, hs->held->len, true) < 0) {
			drop_held(hs);
			return -1;
		}
		drop_held(hs);
	}
	return n;
}

/* Parses and answers the request at the start of data. body_done: its
 * body has been consumed already (a held chunked request). Returns the
 * bytes consumed, 0 for more, -1 to close now. */
static long answer(struct conn *c, const char *data, size_t len, bool body_done)
{
	struct http_state *hs = state_of(c);
	const struct ctx *cx = c->ctx;
	struct http_request req;
	struct http_exchange x;
	long head;

	head = http_parse_request(data, len, cx->cfg->max_request_bytes, &req);
	if (head == 0)
		return 0;
	if (head < 0) {
		if (respond_error(c, NULL, (int)-head, false))
			return -1;
		return (long)len; /* the rest cannot be trusted */
	}
	if (req.body == HTTP_BODY_LENGTH && req.content_length > cx->cfg->max_body_bytes) {
		if (respond_error(c, &req, HTTP_CONTENT_TOO_LARGE, false))
			return -1;
		return (long)len;
	}
	http_exchange_init(&x, c->ctx, &req, &c->peer.sa);
	/* A client waiting for 100 Continue may or may not send its body
	 * after our final answer; only closing keeps the stream in sync
	 * (RFC 9110 §10.1.1). */
	if (req.body != HTTP_BODY_NONE && req.expect_continue)
		x.resp.close = true;
	else if (req.body == HTTP_BODY_CHUNKED && !body_done) {
		hs->held = malloc(sizeof(*hs->held) + (size_t)head);
		if (!hs->held)
			return -1;
		memcpy(hs->held->head, data, (size_t)head);
		hs->held->len = (size_t)head;
		hs->skip = SKIP_CHUNKED;
		http_chunked_init(&hs->held->chunked);
		return head;
	}
	c->requests++;
	if (http_handle(&x) < 0) {
		http_response_free(&x.resp);
		return -1;
	}
	if (respond(c, &x))
		return -1;
	if (x.resp.close)
		return (long)len;
	if (req.body == HTTP_BODY_LENGTH && req.content_length && !body_done) {
		hs->skip = SKIP_LENGTH;
		hs->skip_left = req.content_length;
	}
	return head;
}

static long http_on_input(struct conn *c, const char *data, size_t len)
{
	struct http_state *hs = state_of(c);

	if (hs->skip != SKIP_NONE)
		return skip_body(c, hs, data, len);
	return answer(c, data, len, false);
}

static void http_on_close(struct conn *c)
{
	drop_held(state_of(c));
}

static bool http_mid_request(const struct conn *c)
{
	const struct http_state *hs = (const struct http_state *)(const void *)&c->proto_state;

	return hs->skip != SKIP_NONE;
}

static void http_on_overflow(struct conn *c)
{
	/* Only reachable while skipping cannot make progress: answer 431. */
	respond_error(c, NULL, HTTP_HEADER_FIELDS_TOO_LARGE, false);
}

static void http_on_header_timeout(struct conn *c)
{
	respond_error(c, NULL, HTTP_REQUEST_TIMEOUT, false);
}

static const char http_busy[] =
	"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
	"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\n\r\n"
	"server at capacity.\n";

const struct proto proto_http = {
	.name = "http",
	.on_input = http_on_input,
	.on_overflow = http_on_overflow,
	.on_header_timeout = http_on_header_timeout,
	.reject_reply = http_busy,
	.on_close = http_on_close,
	.mid_request = http_mid_request,
};
