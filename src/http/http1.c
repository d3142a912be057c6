/* The HTTP/1.1 protocol on the engine: parse, route, answer, log, and skip
 * request bodies so they can never be read as the next request. */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/conn.h"
#include "http/forwarded.h"
#include "http/http_parse.h"
#include "http/http_resp.h"
#include "core/proto.h"
#include "core/ctx.h"
#include "files/static.h"
#include "services/status.h"

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

/* The address the log names: the peer, or when the peer is a trusted
 * proxy, the client its X-Forwarded-For / Forwarded names. out has room
 * for INET6_ADDRSTRLEN. */
static const char *log_client(const struct conn *c, const struct http_request *req, char *out)
{
	const struct config *cfg = c->ctx->cfg;
	size_t n = (size_t)cfg->ntrusted_proxies;
	struct sockaddr_storage ss;

	if (n == 0 || !req ||
	    !cidr_match_any(cfg->trusted_proxies, n, (const struct sockaddr *)&c->peer) ||
	    !http_forwarded_client(req, cfg->trusted_proxies, n, &ss))
		return c->peer_addr;
	cidr_addr_format(&ss, out, INET6_ADDRSTRLEN);
	return out;
}

static void account(struct http_exchange *x)
{
	char fwd[INET6_ADDRSTRLEN];

	struct conn *c = x->c;
	struct ctx *cx = c->ctx;
	const struct http_request *req = x->req;
	int cls = x->status / 100;

	stat_add(&cx->stats.requests, 1);
	if (cls >= 1 && cls <= 5)
		stat_add(&cx->stats.status_class[cls], 1);
	if (cx->log.fd < 0)
		return;
	if (req)
		log_access(&cx->log, cx->now, log_client(c, req, fwd), req->method_name.p, req->method_name.len,
			   req->target.p, req->target.len, req->version_minor, x->status,
			   x->body_bytes);
	else
		log_access(&cx->log, cx->now, c->peer_addr, NULL, 0, NULL, 0, 1, x->status,
			   x->body_bytes);
}

static int route(struct http_exchange *x)
{
	switch (x->req->method) {
	case HTTP_METHOD_GET:
	case HTTP_METHOD_HEAD:
		if (status_is_request(x))
			return status_serve(x);
		return static_serve(x);
	case HTTP_METHOD_OPTIONS: {
		int rc = http_resp_start(x, 204);
		rc |= conn_out_printf(x->c, "Allow: GET, HEAD, OPTIONS\r\n");
		return rc | http_resp_end(x, NULL, 0);
	}
	case HTTP_METHOD_POST:
	case HTTP_METHOD_PUT:
	case HTTP_METHOD_DELETE:
	case HTTP_METHOD_PATCH:
	case HTTP_METHOD_CONNECT:
	case HTTP_METHOD_TRACE:
		return http_resp_error(x, 405, "Allow: GET, HEAD\r\n");
	default:
		return http_resp_error(x, 501, NULL);
	}
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
	struct http_exchange x = { .c = c, .ctx = c->ctx, .close = true };

	if (http_parse_request(hs->held->head, hs->held->len, hs->held->len, &req) > 0) {
		x.req = &req;
		x.head = req.method == HTTP_METHOD_HEAD;
	}
	hs->skip = SKIP_NONE;
	if (http_resp_error(&x, status, NULL)) {
		drop_held(hs);
		return -1;
	}
	account(&x);
	drop_held(hs);
	return 0;
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
	struct http_exchange x = { .c = c, .ctx = c->ctx };
	long head;

	head = http_parse_request(data, len, cx->cfg->max_request_bytes, &req);
	if (head == 0)
		return 0;
	if (head < 0) {
		if (http_resp_error(&x, (int)-head, NULL))
			return -1;
		account(&x);
		return (long)len; /* the rest cannot be trusted */
	}
	x.req = &req;
	x.head = req.method == HTTP_METHOD_HEAD;

	if (req.body == HTTP_BODY_LENGTH && req.content_length > cx->cfg->max_body_bytes) {
		if (http_resp_error(&x, 413, NULL))
			return -1;
		account(&x);
		return (long)len;
	}
	/* A client waiting for 100 Continue may or may not send its body
	 * after our final answer; only closing keeps the stream in sync
	 * (RFC 9110 §10.1.1). */
	if (req.body != HTTP_BODY_NONE && req.expect_continue)
		x.close = true;
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
	if (route(&x))
		return -1;
	account(&x);

	if (x.close)
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
	struct http_exchange x = { .c = c, .ctx = c->ctx };

	/* Only reachable while skipping cannot make progress: answer 431. */
	if (http_resp_error(&x, 431, NULL) == 0)
		account(&x);
}

static void http_on_header_timeout(struct conn *c)
{
	struct http_exchange x = { .c = c, .ctx = c->ctx };

	if (http_resp_error(&x, 408, NULL) == 0)
		account(&x);
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
