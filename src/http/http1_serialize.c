/* The neutral response as HTTP/1.1 wire text. See http1_serialize.h. */
#include "http/http1_serialize.h"

#include <string.h>

#include "core/conn.h"
#include "core/ctx.h"
#include "http/httpdate.h"
#include "util/bytes.h"

/* Room on the stack for a usual head; a longer one (many --header lines,
 * a long Location) is built on the heap. */
#define HEAD_STACK 1024

static void write_head(struct bytes *b, const struct ctx *cx, const struct http_request *req,
		       const struct http_response *r)
{
	const char *extra = r->extra_headers ? r->extra_headers : cx->cfg->extra_headers;

	BYTES_LIT(b, "HTTP/1.1 ");
	bytes_u64(b, (uint64_t)r->status);
	bytes_char(b, ' ');
	bytes_str(b, http_status_reason(r->status));
	BYTES_LIT(b, "\r\nDate: ");
	bytes_put(b, cx->date, HTTPDATE_LEN);
	BYTES_LIT(b, "\r\nServer: eisd/" EISD_VERSION "\r\n");
	if (r->close)
		BYTES_LIT(b, "Connection: close\r\n");
	else if (req->version_minor == 0)
		BYTES_LIT(b, "Connection: keep-alive\r\n");
	/* --header lines go on every response, errors included; they were
	 * validated at startup (config.c). */
	if (extra)
		bytes_str(b, extra);
	for (unsigned i = 0; i < r->nfields; i++) {
		const struct http_field *f = &r->fields[i];

		bytes_put(b, http_field_name(f->id), http_field_name_len(f->id));
		BYTES_LIT(b, ": ");
		bytes_put(b, f->value, f->value_len);
		BYTES_LIT(b, "\r\n");
	}
	if (r->content_type) {
		BYTES_LIT(b, "Content-Type: ");
		bytes_str(b, r->content_type);
		BYTES_LIT(b, "\r\n");
	}
	/* RFC 9110 §8.6: never on 204; on 304 it would have to be the
	 * full representation's length, so leave it out. */
	if (r->status != HTTP_NO_CONTENT && r->status != HTTP_NOT_MODIFIED) {
		BYTES_LIT(b, "Content-Length: ");
		bytes_u64(b, r->content_length);
		BYTES_LIT(b, "\r\n");
	}
	BYTES_LIT(b, "\r\n");
}

static int queue_head(struct conn *c, const struct http_request *req,
		      const struct http_response *r)
{
	char buf[HEAD_STACK];
	struct bytes b;
	int rc;

	bytes_init_fixed(&b, buf, sizeof(buf));
	write_head(&b, c->ctx, req, r);
	if (!b.failed)
		return conn_out_bytes(c, b.p, b.len);
	bytes_init_heap(&b);
	write_head(&b, c->ctx, req, r);
	rc = b.failed ? -1 : conn_out_bytes(c, b.p, b.len);
	bytes_free(&b);
	return rc;
}

static int queue_body(struct conn *c, struct http_response *r)
{
	void (*release)(void *);
	void *arg;
	bool shared = false;
	int rc = 0;

	for (unsigned i = 0; i < r->nsegs; i++)
		shared = shared || !r->segs[i].owned;
	/* What the conn sends in place must outlive the response. */
	if (shared && http_response_take_hold(r, &release, &arg) &&
	    conn_out_hold(c, release, arg) < 0) {
		release(arg);
		return -1;
	}
	for (unsigned i = 0; i < r->nsegs && rc == 0; i++) {
		const struct http_seg *s = &r->segs[i];

		if (s->kind == HTTP_SEG_FILE)
			rc = conn_out_file_ref(c, s->fd, s->off, s->len);
		else if (s->owned)
			rc = conn_out_bytes(c, s->p, (size_t)s->len);
		else
			rc = conn_out_ref(c, s->p, (size_t)s->len);
	}
	return rc;
}

int http1_serialize(struct conn *c, const struct http_request *req, struct http_response *r)
{
	bool closes = http_status_closes(r->status);

	if (!req || !req->keep_alive || closes || ctx_stopping(c->ctx))
		r->close = true;
	c->close_after = c->close_after || r->close;
	/* A bodiless request asking to close: nothing more will follow. */
	if (req && !req->keep_alive && req->body == HTTP_BODY_NONE)
		c->peer_done = true;
	if (!req || closes)
		c->linger = true; /* the client may be mid-request */
	if (r->failed || queue_head(c, req, r) < 0)
		return -1;
	if (r->head)
		return 0;
	return queue_body(c, r);
}
