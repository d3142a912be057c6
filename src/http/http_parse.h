/* HTTP/1.x request-head parser (RFC 9112). Pure: bytes in, result out.
 * No I/O, no allocation, no global state. Every string in the result
 * points into the caller's buffer, which must outlive the result. */
#ifndef EISD_HTTP_PARSE_H
#define EISD_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_str {
	const char *p;
	size_t len;
};

enum http_method {
	HTTP_METHOD_OTHER = 0, /* a valid token we do not know: 501 */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_PATCH,
	HTTP_METHOD_CONNECT,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_TRACE,
};

enum http_body_kind {
	HTTP_BODY_NONE = 0,
	HTTP_BODY_LENGTH,  /* content_length bytes follow the head */
	HTTP_BODY_CHUNKED, /* chunked transfer coding follows the head */
};

#define HTTP_MAX_HEADERS 64

struct http_header {
	struct http_str name;
	struct http_str value; /* leading/trailing OWS stripped */
};

struct http_request {
	enum http_method method;
	struct http_str method_name;
	struct http_str target; /* request-target exactly as sent */
	struct http_str path;   /* origin-form path; for absolute-form the path
	                           after the authority ("/" when empty: then
	                           p is a static string, not in the buffer);
	                           "*" for asterisk-form (OPTIONS only); never
	                           includes the query */
	struct http_str query;  /* after '?', without it; len 0 when none
	                           (p == NULL when there is no '?') */
	int version_major;      /* 1 from this parser (2: HTTP/2) */
	int version_minor;      /* 0 or 1 (a later 1.x counts as 1) */
	bool keep_alive;        /* from version and Connection header */
	bool expect_continue;   /* Expect: 100-continue */
	enum http_body_kind body;
	uint64_t content_length; /* set with HTTP_BODY_LENGTH (may be 0) */

	/* Known headers, located once so handlers need not search.
	 * p == NULL when absent; a present but empty one has p != NULL and
	 * len 0. A repeated header keeps its first value (a repeated Host is
	 * refused). host is the Host header even for an absolute-form target;
	 * the authority in the target is still in target. */
	struct http_str host;
	struct http_str if_none_match;
	struct http_str if_modified_since;
	struct http_str if_match;
	struct http_str if_unmodified_since;
	struct http_str if_range;
	struct http_str range;
	struct http_str accept;
	struct http_str accept_encoding;
	struct http_str user_agent;
	struct http_str referer;

	size_t header_count;
	struct http_header headers[HTTP_MAX_HEADERS];
};

/* Result of http_parse_request():
 *   > 0  the head is complete; the value is its length in bytes (the body,
 *        if any, and any pipelined request start right after it)
 *   = 0  need more bytes
 *   < 0  the request is bad: the value is minus the HTTP status to answer
 *        (-400, -414, -431, -501, -505) and the connection must close.
 *
 * max_head: the largest head accepted (--max-request-bytes). When len
 * reaches max_head and the head is still incomplete, the answer is -414 if
 * the request line itself has not ended yet, else -431. */
long http_parse_request(const char *buf, size_t len, size_t max_head,
			struct http_request *req);

/* Incremental decoder that skips a chunked body (RFC 9112 §7.1), so a body
 * is consumed and can never be mistaken for the next request. Accepts CRLF
 * or a bare LF as line ending; chunk extensions and trailer fields are
 * skipped. A chunk-size above 2^60 is malformed. max_body bounds the body
 * as sent: data, size lines, extensions, CRLFs and trailers all count, so
 * no framing (76 MB of extensions around 20 KB of data) gets past it. */
#define HTTP_CHUNK_LINE_MAX 4096    /* one size line, with extensions */
#define HTTP_CHUNK_TRAILER_MAX 8192 /* the whole trailer section */

struct http_chunked {
	int state;
	uint64_t chunk_left;
	uint64_t total; /* data bytes seen so far */
	uint64_t wire;  /* body bytes consumed so far, framing included */
	size_t line_len;
	bool too_large; /* the error was the max_body limit (413) */
};

void http_chunked_init(struct http_chunked *ch);

/* Feeds len bytes. Returns how many bytes were consumed (<= len); sets *done
 * when the last chunk and trailers have been read (bytes after that belong
 * to the next request and are not consumed). Returns -1 on a malformed
 * body, or when the body's bytes (wire) exceed max_body (too_large). */
long http_chunked_feed(struct http_chunked *ch, const char *buf, size_t len,
		       uint64_t max_body, bool *done);

/* The first value of the header called name (any case), or p == NULL:
 * for the headers a handler needs rarely (Origin, Authorization). */
struct http_str http_request_header(const struct http_request *req, const char *name);

/* Case-insensitive comparison of an http_str with a C string. */
bool http_str_eq_nocase(struct http_str s, const char *lit);

#endif
