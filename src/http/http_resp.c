#include "http/http_resp.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/conn.h"
#include "core/ctx.h"
#include "http/httpdate.h"

const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default:  return "Unknown";
	}
}

/* After these the byte stream can no longer be trusted to be in sync. */
static bool status_forces_close(int status)
{
	switch (status) {
	case 400: case 408: case 413: case 414: case 431: case 500: case 505:
		return true;
	default:
		return false;
	}
}

void http_hdr_put(struct http_hdr *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void http_hdr_str(struct http_hdr *b, const char *s)
{
	http_hdr_put(b, s, strlen(s));
}

void http_hdr_u64(struct http_hdr *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	http_hdr_put(b, tmp + i, sizeof(tmp) - i);
}

int http_resp_start(struct http_exchange *x, int status)
{
	struct conn *c = x->c;
	const struct ctx *cx = x->ctx;
	const char *conn_hdr = "";

	x->status = status;
	if (!x->req || !x->req->keep_alive || status_forces_close(status) ||
	    atomic_load(cx->stopping))
		x->close = true;
	if (x->close)
		conn_hdr = "Connection: close\r\n";
	else if (x->req->version_minor == 0)
		conn_hdr = "Connection: keep-alive\r\n";
	c->close_after = c->close_after || x->close;
	/* A bodiless request asking to close: nothing more will follow. */
	if (x->req && !x->req->keep_alive && x->req->body == HTTP_BODY_NONE)
		c->peer_done = true;
	if (!x->req || status_forces_close(status))
		c->linger = true; /* the client may be mid-request */
	char line[256];
	struct http_hdr b = { line, 0, sizeof(line), false };
	HTTP_HDR_LIT(&b, "HTTP/1.1 ");
	http_hdr_u64(&b, (uint64_t)status);
	http_hdr_put(&b, " ", 1);
	http_hdr_str(&b, http_reason(status));
	HTTP_HDR_LIT(&b, "\r\nDate: ");
	http_hdr_put(&b, cx->date, HTTPDATE_LEN);
	HTTP_HDR_LIT(&b, "\r\nServer: eisd/" EISD_VERSION "\r\n");
	http_hdr_str(&b, conn_hdr);
	if (b.overflow)
		return -1;
	/* --header lines go on every response, errors included; they were
	 * validated at startup (config.c). */
	const char *extra = cx->cfg->extra_headers;
	int rc = conn_out_bytes(c, line, b.len);
	if (extra)
		rc |= conn_out_bytes(c, extra, strlen(extra));
	return rc;
}

int http_resp_end(struct http_exchange *x, const char *content_type,
		  uint64_t content_length)
{
	char line[512];
	struct http_hdr b = { line, 0, sizeof(line), false };

	if (content_type) {
		HTTP_HDR_LIT(&b, "Content-Type: ");
		http_hdr_str(&b, content_type);
		HTTP_HDR_LIT(&b, "\r\n");
	}
	/* RFC 9110 §8.6: never on 204; on 304 it would have to be the
	 * full representation's length, so leave it out. */
	if (x->status != 204 && x->status != 304) {
		HTTP_HDR_LIT(&b, "Content-Length: ");
		http_hdr_u64(&b, content_length);
		HTTP_HDR_LIT(&b, "\r\n");
	}
	HTTP_HDR_LIT(&b, "\r\n");
	if (!b.overflow)
		return conn_out_bytes(x->c, line, b.len);
	/* A media type too long for the line above (a --mime-type). */
	int rc = 0;
	if (content_type)
		rc |= conn_out_printf(x->c, "Content-Type: %s\r\n", content_type);
	if (x->status != 204 && x->status != 304)
		rc |= conn_out_printf(x->c, "Content-Length: %llu\r\n",
				      (unsigned long long)content_length);
	return rc | conn_out_bytes(x->c, "\r\n", 2);
}

int http_resp_error(struct http_exchange *x, int status, const char *extra)
{
	char body[256];
	int len = snprintf(body, sizeof(body),
			   "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>"
			   "<body><h1>%d %s</h1></body></html>\n",
			   status, http_reason(status), status, http_reason(status));
	int rc = http_resp_start(x, status);

	if (extra)
		rc |= conn_out_printf(x->c, "%s", extra);
	rc |= http_resp_end(x, "text/html; charset=utf-8", (uint64_t)len);
	if (!x->head) {
		rc |= conn_out_bytes(x->c, body, (size_t)len);
		x->body_bytes = (uint64_t)len;
	}
	return rc;
}
