/* Writing HTTP responses: status line, common headers, error pages. */
#ifndef EISD_HTTP_RESP_H
#define EISD_HTTP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_parse.h"

struct conn;
struct ctx;

/* One request and the response being made for it. */
struct http_exchange {
	struct conn *c;
	struct ctx *ctx; /* c->ctx */
	const struct http_request *req; /* NULL: the request did not parse */
	int status;          /* what was answered (for the log) */
	uint64_t body_bytes; /* body bytes queued (for the log) */
	bool head;           /* HEAD: headers only */
	bool close;          /* close the connection after this response */
};

const char *http_reason(int status);

/* A block of header lines assembled with plain copies into p[0..cap):
 * printf was most of the user-space cost of a small response. What does
 * not fit sets overflow (sticky) and is dropped. */
struct http_hdr {
	char *p;
	size_t len, cap;
	bool overflow;
};
void http_hdr_put(struct http_hdr *b, const char *s, size_t n);
void http_hdr_str(struct http_hdr *b, const char *s);
void http_hdr_u64(struct http_hdr *b, uint64_t v);
/* A string literal: its length is known at compile time. */
#define HTTP_HDR_LIT(b, lit) http_hdr_put((b), (lit), sizeof(lit) - 1)

/* Status line, Date, Server, Connection and the --header lines. Decides
 * whether the connection stays open (errors on broken requests close it). */
int http_resp_start(struct http_exchange *x, int status);
/* Content-Type (when given), Content-Length, then the empty line. */
int http_resp_end(struct http_exchange *x, const char *content_type,
		  uint64_t content_length);
/* A complete response with a tiny HTML body naming the status (never
 * request bytes). extra: additional header lines ending in CRLF, or NULL. */
int http_resp_error(struct http_exchange *x, int status, const char *extra);

#endif
