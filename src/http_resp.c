#include "http_resp.h"

#include <stdatomic.h>
#include <stdio.h>

#include "conn.h"
#include "server.h"

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

int http_resp_start(struct http_exchange *x, int status)
{
	struct conn *c = x->c;
	const struct worker *w = c->w;
	const char *conn_hdr = "";

	x->status = status;
	if (!x->req || !x->req->keep_alive || status_forces_close(status) ||
	    atomic_load(&x->srv->stopping))
		x->close = true;
	if (x->close)
		conn_hdr = "Connection: close\r\n";
	else if (x->req->version_minor == 0)
		conn_hdr = "Connection: keep-alive\r\n";
	c->close_after = c->close_after || x->close;
	if (!x->req || status_forces_close(status))
		c->linger = true; /* the client may be mid-request */
	/* --header lines go on every response, errors included; they were
	 * validated at startup (config.c). */
	const char *extra = x->srv->cfg->extra_headers;
	return conn_out_printf(c, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: eisd/%s\r\n%s%s",
			       status, http_reason(status), w->date, EISD_VERSION, conn_hdr,
			       extra ? extra : "");
}

int http_resp_end(struct http_exchange *x, const char *content_type,
		  uint64_t content_length)
{
	struct conn *c = x->c;
	int rc = 0;

	if (content_type)
		rc |= conn_out_printf(c, "Content-Type: %s\r\n", content_type);
	/* RFC 9110 §8.6: never on 204; on 304 it would have to be the
	 * full representation's length, so leave it out. */
	if (x->status != 204 && x->status != 304)
		rc |= conn_out_printf(c, "Content-Length: %llu\r\n",
				      (unsigned long long)content_length);
	rc |= conn_out_bytes(c, "\r\n", 2);
	return rc;
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
