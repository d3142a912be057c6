/* The neutral response as HTTP/1.1 wire text. See http1_serialize.h. */
#include "http/http1_serialize.h"

#include <string.h>

#include "core/conn.h"
#include "core/ctx.h"
#include "http/httpdate.h"
#include "util/bytes.h"

#define SERVER_LINE "Server: eisd/" EISD_VERSION "\r\n"

_Static_assert(sizeof("Date: \r\n" SERVER_LINE) - 1 + HTTPDATE_LEN <= CTX_HEAD_LINES_MAX,
	       "ctx.head_lines holds the Date and Server lines");

/* The Date and Server lines for date into out (CTX_HEAD_LINES_MAX
 * bytes): their length. */
static size_t date_lines(const char *date, char *out)
{
	struct bytes b;

	bytes_init_fixed(&b, out, CTX_HEAD_LINES_MAX);
	BYTES_LIT(&b, "Date: ");
	bytes_put(&b, date, HTTPDATE_LEN);
	BYTES_LIT(&b, "\r\n" SERVER_LINE);
	return b.len;
}

void http1_head_lines(struct ctx *x)
{
	x->head_lines_len = date_lines(x->date, x->head_lines);
}

/* "HTTP/1.1 " up to 20 digits " Unknown\r\n": a code not in the table. */
#define UNKNOWN_LINE_MAX 48

/* The status line: the table's, or one built in buf (UNKNOWN_LINE_MAX). */
static const char *status_line(enum http_status s, char *buf, size_t *len)
{
	const char *line = http_status_line(s, len);
	struct bytes b;

	if (line)
		return line;
	bytes_init_fixed(&b, buf, UNKNOWN_LINE_MAX);
	BYTES_LIT(&b, "HTTP/1.1 ");
	bytes_u64(&b, (uint64_t)s);
	bytes_char(&b, ' ');
	bytes_str(&b, http_status_reason(s));
	BYTES_LIT(&b, "\r\n");
	*len = b.len;
	return buf;
}

static char *put(char *p, const void *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

/* The head is written straight into the conn's output: its size is
 * bounded first (every length is known but the Content-Length digits),
 * so the copies need no checks and nothing is copied twice. */
static int queue_head(struct conn *c, const struct http_request *req,
		      const struct http_response *r)
{
	const struct ctx *cx = c->ctx;
	const char *extra = r->extra_headers ? r->extra_headers : cx->cfg->extra_headers;
	size_t extra_len = extra ? strlen(extra) : 0;
	size_t type_len = r->content_type ? strlen(r->content_type) : 0;
	/* RFC 9110 §8.6: never on 204; on 304 it would have to be the
	 * full representation's length, so leave it out. */
	bool length = r->status != HTTP_NO_CONTENT && r->status != HTTP_NOT_MODIFIED;
	char unknown[UNKNOWN_LINE_MAX], own_lines[CTX_HEAD_LINES_MAX];
	const char *lines = cx->head_lines;
	size_t status_len, lines_len = cx->head_lines_len, max;
	const char *status = status_line(r->status, unknown, &status_len);
	char *start, *p;

	if (!lines_len) {
		lines = own_lines;
		lines_len = date_lines(cx->date, own_lines);
	}
	max = status_len + lines_len + sizeof("Connection: keep-alive\r\n") + extra_len +
	      sizeof("Content-Type: \r\n") + type_len + sizeof("Content-Length: \r\n") + 20 +
	      sizeof("\r\n");
	for (unsigned i = 0; i < r->nfields; i++)
		max += http_field_name_len(r->fields[i].id) + sizeof(": \r\n") + r->fields[i].value_len;
	start = p = conn_out_room(c, max);
	if (!p)
		return -1;
	p = put(p, status, status_len);
	p = put(p, lines, lines_len);
	if (r->close)
		p = PUT_LIT(p, "Connection: close\r\n");
	else if (req->version_minor == 0)
		p = PUT_LIT(p, "Connection: keep-alive\r\n");
	/* --header lines go on every response, errors included; they were
	 * validated at startup (config.c). */
	if (extra)
		p = put(p, extra, extra_len);
	for (unsigned i = 0; i < r->nfields; i++) {
		const struct http_field *f = &r->fields[i];

		p = put(p, http_field_name(f->id), http_field_name_len(f->id));
		p = PUT_LIT(p, ": ");
		p = put(p, f->value, f->value_len);
		p = PUT_LIT(p, "\r\n");
	}
	if (r->content_type) {
		p = PUT_LIT(p, "Content-Type: ");
		p = put(p, r->content_type, type_len);
		p = PUT_LIT(p, "\r\n");
	}
	if (length) {
		p = PUT_LIT(p, "Content-Length: ");
		p = bytes_u64_at(p, r->content_length);
		p = PUT_LIT(p, "\r\n");
	}
	p = PUT_LIT(p, "\r\n");
	return conn_out_commit(c, (size_t)(p - start));
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
