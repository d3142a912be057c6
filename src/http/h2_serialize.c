/* The neutral response as HTTP/2 fields and a pulled body. See
 * h2_serialize.h. */
#include "http/h2_serialize.h"

#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "http/h2_request.h"
#include "http/httpdate.h"
#include "util/chars.h"

/* The --header lines, lower-cased, in a buffer this big on the stack; a
 * longer set goes to the heap. */
#define EXTRA_STACK 1024
#define MAX_OUT_FIELDS 64

void h2_exchange_free(void *arg)
{
	struct h2_exchange *hx = arg;

	http_response_free(&hx->x.resp);
	free(hx);
}

static ssize_t pull(void *arg, char *buf, size_t max)
{
	struct h2_exchange *hx = arg;

	return http_body_pull(&hx->x.resp, &hx->cur, buf, max);
}

static void add(struct h2_field *f, size_t *n, const char *name, size_t nlen, const char *v,
		size_t vlen)
{
	if (*n == MAX_OUT_FIELDS)
		return;
	f[*n] = (struct h2_field){ name, nlen, v, vlen };
	(*n)++;
}

/* Splits "Name: value\r\n" lines (validated at startup) into fields,
 * names lower-cased in place in buf (a copy of extra). */
static void add_extra(struct h2_field *f, size_t *n, char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		char *line = buf + i, *colon, *end, *v;
		char *eol = memchr(line, '\n', len - i);

		if (!eol)
			break;
		i = (size_t)(eol - buf) + 1;
		end = eol;
		if (end > line && end[-1] == '\r')
			end--;
		colon = memchr(line, ':', (size_t)(end - line));
		if (!colon)
			continue;
		for (char *p = line; p < colon; p++)
			*p = (char)chars_lower((unsigned char)*p);
		v = colon + 1;
		while (v < end && chars_is_ows((unsigned char)*v))
			v++;
		/* (config.c refuses most per-hop names in --header already.) */
		if (!h2_per_hop_field(line, (size_t)(colon - line)) &&
		    !chars_eq_nocase_str(line, (size_t)(colon - line), "te"))
			add(f, n, line, (size_t)(colon - line), v, (size_t)(end - v));
	}
}

int h2_serialize(struct h2_session *s, int32_t stream, struct h2_exchange *hx)
{
	struct http_response *r = &hx->x.resp;
	const struct ctx *cx = hx->x.ctx;
	const char *extra = r->extra_headers ? r->extra_headers : cx->cfg->extra_headers;
	struct h2_field f[MAX_OUT_FIELDS];
	char stack[EXTRA_STACK], *xbuf = stack, clen[24];
	size_t n = 0, xlen = extra ? strlen(extra) : 0;
	struct h2_body body = { .pull = pull, .release = h2_exchange_free, .arg = hx };
	bool has_body;
	int rc;

	if (r->failed) {
		h2_exchange_free(hx);
		return -1;
	}
	add(f, &n, "date", 4, cx->date, HTTPDATE_LEN);
	add(f, &n, "server", 6, "eisd/" EISD_VERSION, sizeof("eisd/" EISD_VERSION) - 1);
	if (xlen) {
		if (xlen > sizeof(stack) && !(xbuf = malloc(xlen))) {
			h2_exchange_free(hx);
			return -1;
		}
		memcpy(xbuf, extra, xlen);
		add_extra(f, &n, xbuf, xlen);
	}
	for (unsigned i = 0; i < r->nfields; i++) {
		const struct http_field *hf = &r->fields[i];
		add(f, &n, http_field_lname(hf->id), http_field_name_len(hf->id), hf->value,
		    hf->value_len);
	}
	if (r->content_type)
		add(f, &n, "content-type", 12, r->content_type, strlen(r->content_type));
	/* RFC 9110 §8.6, as for HTTP/1.1: never on 204 or 304. */
	if (r->status != HTTP_NO_CONTENT && r->status != HTTP_NOT_MODIFIED) {
		char *p = clen + sizeof(clen);
		uint64_t v = r->content_length;
		do
			*--p = (char)('0' + v % 10);
		while (v /= 10);
		add(f, &n, "content-length", 14, p, (size_t)(clen + sizeof(clen) - p));
	}
	has_body = !r->head && r->content_length > 0;
	body.len = has_body ? r->content_length : 0;
	/* The session copies the fields; the body (and hx) it keeps until
	 * the stream is done, then calls h2_exchange_free. */
	rc = h2_respond(s, stream, (int)r->status, f, n, &body);
	if (xbuf != stack)
		free(xbuf);
	return rc;
}

void h2_answer(struct h2_session *s, int32_t stream, struct ctx *cx, const struct sockaddr *peer,
	       const char *peer_addr, const struct http_request *req)
{
	struct h2_exchange *hx = calloc(1, sizeof(*hx));
	struct http_response *r;

	if (!hx)
		return; /* the session answers 500 */
	http_exchange_init(&hx->x, cx, req, peer);
	r = &hx->x.resp;
	if (req->body == HTTP_BODY_LENGTH && req->content_length > cx->cfg->max_body_bytes) {
		http_response_error(r, HTTP_CONTENT_TOO_LARGE);
	} else if (http_handle(&hx->x) < 0) {
		http_response_reset(r, HTTP_INTERNAL_SERVER_ERROR);
		http_response_error(r, HTTP_INTERNAL_SERVER_ERROR);
	}
	http_account(cx, peer_addr, req, r->status, r->head ? 0 : r->content_length);
	h2_serialize(s, stream, hx);
}
