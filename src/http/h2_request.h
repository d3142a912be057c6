/* An HTTP/2 request's header fields turned into the same struct
 * http_request HTTP/1.1 produces. Pure: fields in, request out; no I/O and
 * no nghttp2. The fields are checked as they arrive (RFC 9113 §8.2, §8.3)
 * and, at the end of the header block, rewritten as an HTTP/1.1 head that
 * http_parse_request() reads, so both versions share one set of rules
 * (target bytes, Host syntax, header counts, sizes) and one request value. */
#ifndef EISD_H2_REQUEST_H
#define EISD_H2_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http_parse.h"

/* What a field, or the whole block, amounts to. */
enum h2_req_verdict {
	H2_REQ_OK = 0,
	H2_REQ_MALFORMED,  /* stream error PROTOCOL_ERROR (RFC 9113 §8.1.1) */
	H2_REQ_TOO_LARGE,  /* over max_bytes: answer 431, store nothing more */
};

/* The fields of one request as they arrive. Zero it, set max_bytes
 * (--max-request-bytes), feed each field, finish, then free. */
struct h2_req {
	size_t max_bytes;
	char *buf;             /* pseudo-header values, then "name: value\r\n" lines */
	size_t len, cap;
	size_t total;          /* bytes of the head this request makes */
	enum h2_req_verdict verdict; /* sticky: the first problem wins */
	unsigned pseudo_seen;  /* bit per pseudo-header */
	bool regular_seen;     /* a regular field came: no pseudo-header may follow */
	/* offsets and lengths in buf */
	size_t method_off, method_len, scheme_off, scheme_len;
	size_t authority_off, authority_len, path_off, path_len;
	size_t lines_off;      /* where the header lines start */
	size_t host_line_off, host_off, host_len; /* the host line, its value */
	bool host_seen;
	char *head;            /* the HTTP/1.1 form, built by h2_req_finish */
};

/* One field as decoded by HPACK (name is what the peer sent: it must be
 * lower case here). Returns the verdict so far. */
enum h2_req_verdict h2_req_field(struct h2_req *r, const char *name, size_t nlen,
				 const char *value, size_t vlen);

/* The header block has ended. Returns 0 with *req filled (its strings
 * point into r, valid until h2_req_free); H2_REQ_RESET when the stream
 * must be reset with PROTOCOL_ERROR; or the HTTP status to answer (400,
 * 414, 431, 501...), *req then holding what could be read (method and
 * target when known, for the log; version_major 2). */
#define H2_REQ_RESET (-1)
int h2_req_finish(struct h2_req *r, struct http_request *req);

void h2_req_free(struct h2_req *r);

/* RFC 9113 §8.2.2: a field that only means something to one HTTP/1.1 hop
 * (connection, keep-alive, proxy-connection, transfer-encoding, upgrade;
 * any case), never carried by HTTP/2. */
bool h2_per_hop_field(const char *name, size_t len);

#endif
