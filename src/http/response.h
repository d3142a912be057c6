/* A protocol-neutral HTTP response: what a handler decides (status,
 * header fields, body), never how it goes on the wire.
 *
 * Three steps with a plain struct between them (quark's parse / decide /
 * write): the protocol parses a request, a handler (static file, listing,
 * status report, error page) fills a struct http_response, and the
 * protocol's serializer writes it. HTTP/1.1's is http1_serialize.c; a
 * second serializer (HTTP/2) reads the same struct:
 *
 *   - Status: r->status (an enum http_status, equal to the HTTP code).
 *     http_status_reason() is for the HTTP/1.1 status line only;
 *     http_status_closes() is an HTTP/1.1 connection rule (HTTP/2 ignores
 *     it: a stream error never desyncs the connection).
 *   - Fields: r->fields[0..nfields), in order, each with its name in
 *     canonical case (http_field_name) and lower case (http_field_lname,
 *     static strings: HTTP/2 may pass them to HPACK without copying).
 *     Then Content-Type (r->content_type, NULL: none) and Content-Length
 *     (r->content_length; never on 204 or 304, RFC 9110 §8.6). The
 *     serializer adds what belongs to the connection or the server: Date,
 *     Server, the --header lines (cfg->extra_headers, "Name: value\r\n"
 *     each, validated at startup: HTTP/2 splits and lowercases them), and
 *     for HTTP/1.1 only Connection. Values are never request bytes that
 *     could split a header (handlers only copy what the parser checked).
 *   - Body: r->segs[0..nsegs), whose lengths add up to content_length.
 *     With r->head set (HEAD) the fields are those of the GET and the
 *     body is not sent. A segment is memory (HTTP_SEG_MEM at p) or a range
 *     of a descriptor (HTTP_SEG_FILE: fd, off). Memory is either the
 *     response's own (copied: seg.owned, valid until http_response_free)
 *     or referenced (valid while the hold is held). Walk it with a
 *     struct http_body_cursor: http_body_peek gives the next piece, up to
 *     a bound, without copying (for writev/sendfile or nghttp2's
 *     NO_COPY); http_body_pull copies the next bytes into a buffer
 *     (memcpy, or pread for a file range), for a protocol that sends
 *     bounded chunks under flow control. Neither changes the response,
 *     so a body can be walked again.
 *   - Lifetime: r->hold (release, arg) keeps what referenced memory and
 *     file ranges point at (a file-cache entry). A serializer that sends
 *     the body later takes the hold over with http_response_take_hold
 *     (HTTP/1.1 gives it to the conn; HTTP/2 keeps the response with the
 *     stream until the body is sent) and copies or keeps owned memory.
 *     http_response_free releases what is still the response's. Fields
 *     and owned segments may point into the response itself (its arena):
 *     build it where it will live (HTTP/2: in the stream, on the heap)
 *     and never copy the struct (about 2.9 KB) once built.
 *
 * Building never fails half-way in a way the caller must track: an
 * allocation or bound that fails sets r->failed (sticky), and the
 * protocol then closes the connection (as any out-of-memory does). */
#ifndef EISD_RESPONSE_H
#define EISD_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The statuses eisd sends; each value is its HTTP code. Adding one is a
 * line here and a line in the table in response.c. */
enum http_status {
	HTTP_CONTINUE = 100,
	HTTP_OK = 200,
	HTTP_NO_CONTENT = 204,
	HTTP_PARTIAL_CONTENT = 206,
	HTTP_MOVED_PERMANENTLY = 301,
	HTTP_NOT_MODIFIED = 304,
	HTTP_PERMANENT_REDIRECT = 308,
	HTTP_BAD_REQUEST = 400,
	HTTP_UNAUTHORIZED = 401,
	HTTP_FORBIDDEN = 403,
	HTTP_NOT_FOUND = 404,
	HTTP_METHOD_NOT_ALLOWED = 405,
	HTTP_REQUEST_TIMEOUT = 408,
	HTTP_PRECONDITION_FAILED = 412,
	HTTP_CONTENT_TOO_LARGE = 413,
	HTTP_URI_TOO_LONG = 414,
	HTTP_RANGE_NOT_SATISFIABLE = 416,
	HTTP_MISDIRECTED_REQUEST = 421,
	HTTP_TOO_MANY_REQUESTS = 429,
	HTTP_HEADER_FIELDS_TOO_LARGE = 431,
	HTTP_INTERNAL_SERVER_ERROR = 500,
	HTTP_NOT_IMPLEMENTED = 501,
	HTTP_SERVICE_UNAVAILABLE = 503,
	HTTP_VERSION_NOT_SUPPORTED = 505,
};

/* The reason phrase ("Not Found"); "Unknown" for a code not in the table. */
const char *http_status_reason(enum http_status s);
/* The HTTP/1.1 status line with its CRLF ("HTTP/1.1 404 Not Found\r\n",
 * *len bytes, static), or NULL for a code not in the table. */
const char *http_status_line(enum http_status s, size_t *len);
/* HTTP/1.1: after this status the byte stream can no longer be trusted to
 * be in sync (a broken or unfinished request), so the connection closes. */
bool http_status_closes(enum http_status s);

/* Header fields a handler may set. Adding one is a line here and a line
 * in the name table in response.c. */
enum http_field_id {
	HTTP_F_LAST_MODIFIED,
	HTTP_F_ETAG,
	HTTP_F_VARY,
	HTTP_F_CACHE_CONTROL,
	HTTP_F_ACCEPT_RANGES,
	HTTP_F_CONTENT_ENCODING,
	HTTP_F_CONTENT_RANGE,
	HTTP_F_ALLOW,
	HTTP_F_LOCATION,
	HTTP_F_RETRY_AFTER,
	HTTP_F_WWW_AUTHENTICATE,
	HTTP_F_ACAO,          /* Access-Control-Allow-Origin */
	HTTP_F_ACA_METHODS,   /* Access-Control-Allow-Methods */
	HTTP_F_ACA_HEADERS,   /* Access-Control-Allow-Headers */
	HTTP_F_ACA_MAX_AGE,   /* Access-Control-Max-Age */
	HTTP_F_ACE_HEADERS,   /* Access-Control-Expose-Headers */
	HTTP_F_COUNT,
};

/* The names by id, in response.c; read them through the accessors
 * below (inline: every field of every response looks its name up). */
struct http_field_names {
	const char *name, *lname;
	size_t len;
};
extern const struct http_field_names http_field_names[HTTP_F_COUNT];

/* "ETag", and its HTTP/2 form "etag"; both static. */
static inline const char *http_field_name(enum http_field_id id)
{
	return http_field_names[id].name;
}

static inline const char *http_field_lname(enum http_field_id id)
{
	return http_field_names[id].lname;
}

static inline size_t http_field_name_len(enum http_field_id id)
{
	return http_field_names[id].len;
}

struct http_field {
	enum http_field_id id;
	const char *value; /* not NUL-terminated; the response's or static */
	size_t value_len;
};

enum http_seg_kind {
	HTTP_SEG_MEM,  /* p[0..len) */
	HTTP_SEG_FILE, /* len bytes of fd from off (pread/sendfile) */
};

struct http_seg {
	enum http_seg_kind kind;
	bool owned;    /* MEM: the response's copy (else held by the hold) */
	const char *p;
	int fd;
	off_t off;
	uint64_t len;
};

/* Bounds: the most fields one response has (a 206 of a precompressed
 * file has seven) and the most body segments (multipart/byteranges: a
 * part head and a range per range, up to RANGE_MAX = 16, and the close
 * delimiter). */
#define HTTP_RESP_MAX_FIELDS 20
#define HTTP_RESP_MAX_SEGS 40
/* Short copied values and small bodies (an error page) live inside the
 * response, so the common response allocates nothing. */
#define HTTP_RESP_ARENA 768
#define HTTP_RESP_MAX_BLOCKS 4

struct http_response {
	enum http_status status;
	bool head;      /* HEAD: everything as for GET, but no body is sent */
	bool close;     /* close the connection after this response */
	bool failed;    /* building ran out of memory or room: sticky */

	struct http_field fields[HTTP_RESP_MAX_FIELDS];
	unsigned nfields;
	const char *content_type; /* NUL-terminated; NULL: none */
	/* The --header lines for this response ("Name: value\r\n" each): the
	 * request path's [location] block, or NULL for the site's
	 * (cfg->extra_headers). Serializers add them (HTTP/2 splits them). */
	const char *extra_headers;
	uint64_t content_length;  /* sum of the segments' lengths */

	struct http_seg segs[HTTP_RESP_MAX_SEGS];
	unsigned nsegs;

	/* What referenced segments point into, released once (see above). */
	void (*hold_release)(void *arg);
	void *hold_arg;

	/* Copies: the arena first, then malloc'd blocks (owned). */
	size_t arena_used;
	void *blocks[HTTP_RESP_MAX_BLOCKS];
	unsigned nblocks;
	char arena[HTTP_RESP_ARENA];
};

/* An empty 200 response (head: a HEAD request). */
void http_response_init(struct http_response *r, bool head);
/* Releases the hold if still held and frees the copies. */
void http_response_free(struct http_response *r);
/* Drops fields, body and hold (released) and starts over with status:
 * for an error found after a handler began (keeps head). */
void http_response_reset(struct http_response *r, enum http_status status);

/* Copies n bytes into the response: a stable pointer, or NULL (failed set). */
const char *http_response_copy(struct http_response *r, const void *p, size_t n);
/* Takes over a malloc'd buffer (freed with the response); -1 (failed set,
 * p freed) when the response holds too many. */
int http_response_adopt(struct http_response *r, void *p);

/* Adds a field whose value is copied (http_response_field) or static /
 * held for the response's life (http_response_field_ref); _u64 writes a
 * decimal number. Order is kept. */
void http_response_field(struct http_response *r, enum http_field_id id,
			 const char *value, size_t len);
/* Inline: a static file sets three or more fields per request. */
static inline void http_response_field_ref(struct http_response *r, enum http_field_id id,
					   const char *value, size_t len)
{
	if (r->nfields == HTTP_RESP_MAX_FIELDS) {
		r->failed = true;
		return;
	}
	r->fields[r->nfields++] = (struct http_field){ id, value, len };
}
void http_response_field_u64(struct http_response *r, enum http_field_id id,
			     const char *prefix, uint64_t v);
#define HTTP_RESPONSE_FIELD_LIT(r, id, lit) \
	http_response_field_ref((r), (id), (lit), sizeof(lit) - 1)
/* The value of the first field id, or NULL. */
const struct http_field *http_response_find(const struct http_response *r,
					    enum http_field_id id);

/* Body segments; each adds its length to content_length. _copy copies the
 * bytes into the response, _ref and _file refer to memory or a file range
 * that the hold keeps valid. */
void http_response_body_copy(struct http_response *r, const void *p, size_t len);
void http_response_body_ref(struct http_response *r, const void *p, size_t len);
void http_response_body_file(struct http_response *r, int fd, off_t off, uint64_t len);
/* Bytes the response already owns (from http_response_copy or a buffer
 * it adopted): a segment without another copy. */
void http_response_body_owned(struct http_response *r, const char *p, size_t len);
/* Keeps what _ref and _file point at alive: release(arg) runs once, when
 * the response (or whoever took the hold over) is done. One per response;
 * setting a different one sets failed and releases it at once. */
void http_response_hold(struct http_response *r, void (*release)(void *arg), void *arg);
/* Hands the hold to the caller (who then calls release): false when none. */
bool http_response_take_hold(struct http_response *r, void (**release)(void *arg),
			     void **arg);

/* Drops the body segments (not the fields, not the hold): for a body
 * that replaces another (an --error-page file instead of the built-in
 * page). */
void http_response_body_clear(struct http_response *r);

/* A complete error response: status, and a small HTML page naming it
 * (never request bytes) in the listings' look (http/page_style.h: system
 * fonts, dark mode) with a link to /. Fields added before (Allow, Location, ...) stay;
 * call after http_response_reset, or on a fresh response. Returns 0, or
 * -1 when r->failed (for handlers to pass on). */
int http_response_error(struct http_response *r, enum http_status status);
/* The same page with a paragraph more: detail is static HTML (never
 * request bytes, referenced as it is), e.g. "<p>...</p>\n". */
int http_response_error_detail(struct http_response *r, enum http_status status,
			       const char *detail);

/* ---- walking the body (a serializer's side) ---- */

struct http_body_cursor {
	unsigned seg;  /* next segment */
	uint64_t off;  /* bytes of it already taken */
};

/* What http_body_peek returns: memory (fd < 0) or a file range. */
struct http_body_piece {
	const char *p;
	int fd;
	off_t off;
	size_t len;
};

/* The next piece of at most max bytes (one segment's worth or less), or
 * false at the end of the body. Does not advance. */
bool http_body_peek(const struct http_response *r, const struct http_body_cursor *cur,
		    size_t max, struct http_body_piece *out);
/* Moves past n bytes (n <= what was peeked). */
void http_body_advance(const struct http_response *r, struct http_body_cursor *cur,
		       size_t n);
/* Copies up to max of the next body bytes into buf (across segments;
 * pread for file ranges) and advances. Returns the bytes copied, 0 at the
 * end, -1 when a read failed before any byte was copied (errno; a file
 * that shrank gives EIO). */
ssize_t http_body_pull(const struct http_response *r, struct http_body_cursor *cur,
		       char *buf, size_t max);
/* Body bytes not yet walked. */
uint64_t http_body_left(const struct http_response *r, const struct http_body_cursor *cur);

#endif
