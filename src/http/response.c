/* The neutral response. See response.h. */
#include "http/response.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/page_style.h"
#include "util/bytes.h"

/* STATUS(200, "OK", false): the reason phrase and, built from the same
 * two literals, the whole HTTP/1.1 status line, so a response head
 * copies one string of known length (no number to format, no strlen). */
#define STATUS(code, reason, closes) \
	[code] = { reason, "HTTP/1.1 " #code " " reason "\r\n", \
		   sizeof("HTTP/1.1 " #code " " reason "\r\n") - 1, closes }
static const struct {
	const char *reason;
	const char *line;
	size_t line_len;
	bool closes;
} status_table[600] = {
	STATUS(100, "Continue", false),
	STATUS(200, "OK", false),
	STATUS(204, "No Content", false),
	STATUS(206, "Partial Content", false),
	STATUS(301, "Moved Permanently", false),
	STATUS(304, "Not Modified", false),
	STATUS(308, "Permanent Redirect", false),
	STATUS(401, "Unauthorized", false),
	STATUS(400, "Bad Request", true),
	STATUS(403, "Forbidden", false),
	STATUS(404, "Not Found", false),
	STATUS(405, "Method Not Allowed", false),
	STATUS(408, "Request Timeout", true),
	STATUS(412, "Precondition Failed", false),
	STATUS(413, "Content Too Large", true),
	STATUS(414, "URI Too Long", true),
	STATUS(416, "Range Not Satisfiable", false),
	STATUS(421, "Misdirected Request", false),
	STATUS(429, "Too Many Requests", false),
	STATUS(431, "Request Header Fields Too Large", true),
	STATUS(500, "Internal Server Error", true),
	STATUS(501, "Not Implemented", false),
	STATUS(503, "Service Unavailable", false),
	STATUS(505, "HTTP Version Not Supported", true),
};
#undef STATUS

const char *http_status_reason(enum http_status s)
{
	if ((unsigned)s < 600 && status_table[s].reason)
		return status_table[s].reason;
	return "Unknown";
}

const char *http_status_line(enum http_status s, size_t *len)
{
	if ((unsigned)s >= 600 || !status_table[s].line)
		return NULL;
	*len = status_table[s].line_len;
	return status_table[s].line;
}

bool http_status_closes(enum http_status s)
{
	return (unsigned)s < 600 && status_table[s].closes;
}

#define NAME(canon, lower) { canon, lower, sizeof(canon) - 1 }
const struct http_field_names http_field_names[HTTP_F_COUNT] = {
	[HTTP_F_LAST_MODIFIED] = NAME("Last-Modified", "last-modified"),
	[HTTP_F_ETAG] = NAME("ETag", "etag"),
	[HTTP_F_VARY] = NAME("Vary", "vary"),
	[HTTP_F_CACHE_CONTROL] = NAME("Cache-Control", "cache-control"),
	[HTTP_F_ACCEPT_RANGES] = NAME("Accept-Ranges", "accept-ranges"),
	[HTTP_F_CONTENT_ENCODING] = NAME("Content-Encoding", "content-encoding"),
	[HTTP_F_CONTENT_RANGE] = NAME("Content-Range", "content-range"),
	[HTTP_F_ALLOW] = NAME("Allow", "allow"),
	[HTTP_F_LOCATION] = NAME("Location", "location"),
	[HTTP_F_RETRY_AFTER] = NAME("Retry-After", "retry-after"),
	[HTTP_F_WWW_AUTHENTICATE] = NAME("WWW-Authenticate", "www-authenticate"),
	[HTTP_F_ACAO] = NAME("Access-Control-Allow-Origin", "access-control-allow-origin"),
	[HTTP_F_ACA_METHODS] = NAME("Access-Control-Allow-Methods", "access-control-allow-methods"),
	[HTTP_F_ACA_HEADERS] = NAME("Access-Control-Allow-Headers", "access-control-allow-headers"),
	[HTTP_F_ACA_MAX_AGE] = NAME("Access-Control-Max-Age", "access-control-max-age"),
	[HTTP_F_ACE_HEADERS] = NAME("Access-Control-Expose-Headers", "access-control-expose-headers"),
};
#undef NAME

void http_response_init(struct http_response *r, bool head)
{
	r->status = HTTP_OK;
	r->head = head;
	r->close = false;
	r->failed = false;
	r->nfields = 0;
	r->content_type = NULL;
	r->extra_headers = NULL;
	r->content_length = 0;
	r->nsegs = 0;
	r->hold_release = NULL;
	r->hold_arg = NULL;
	r->arena_used = 0;
	r->nblocks = 0;
}

static void hold_drop(struct http_response *r)
{
	if (r->hold_release) {
		void (*release)(void *) = r->hold_release;

		r->hold_release = NULL;
		release(r->hold_arg);
	}
}

void http_response_free(struct http_response *r)
{
	hold_drop(r);
	for (unsigned i = 0; i < r->nblocks; i++)
		free(r->blocks[i]);
	r->nblocks = 0;
	r->arena_used = 0;
}

void http_response_reset(struct http_response *r, enum http_status status)
{
	bool head = r->head, failed = r->failed, close = r->close;
	const char *extra = r->extra_headers;

	http_response_free(r);
	http_response_init(r, head);
	r->extra_headers = extra;
	r->failed = failed;
	r->close = close;
	r->status = status;
}

int http_response_adopt(struct http_response *r, void *p)
{
	if (r->nblocks == HTTP_RESP_MAX_BLOCKS) {
		free(p);
		r->failed = true;
		return -1;
	}
	r->blocks[r->nblocks++] = p;
	return 0;
}

const char *http_response_copy(struct http_response *r, const void *p, size_t n)
{
	char *dst;

	if (n <= sizeof(r->arena) - r->arena_used) {
		dst = r->arena + r->arena_used;
		r->arena_used += n;
	} else {
		dst = malloc(n ? n : 1);
		if (!dst || http_response_adopt(r, dst) < 0) {
			r->failed = true;
			return NULL;
		}
	}
	if (n)
		memcpy(dst, p, n);
	return dst;
}

void http_response_field(struct http_response *r, enum http_field_id id,
			 const char *value, size_t len)
{
	const char *v = http_response_copy(r, value, len);

	if (v)
		http_response_field_ref(r, id, v, len);
}

void http_response_field_u64(struct http_response *r, enum http_field_id id,
			     const char *prefix, uint64_t v)
{
	char tmp[128];
	struct bytes b;

	bytes_init_fixed(&b, tmp, sizeof(tmp));
	bytes_str(&b, prefix);
	bytes_u64(&b, v);
	if (b.failed) {
		r->failed = true;
		return;
	}
	http_response_field(r, id, b.p, b.len);
}

const struct http_field *http_response_find(const struct http_response *r,
					    enum http_field_id id)
{
	for (unsigned i = 0; i < r->nfields; i++)
		if (r->fields[i].id == id)
			return &r->fields[i];
	return NULL;
}

static void seg_push(struct http_response *r, struct http_seg s)
{
	if (s.len == 0)
		return;
	if (r->nsegs == HTTP_RESP_MAX_SEGS) {
		r->failed = true;
		return;
	}
	r->segs[r->nsegs++] = s;
	r->content_length += s.len;
}

void http_response_body_copy(struct http_response *r, const void *p, size_t len)
{
	const char *v;

	if (len == 0)
		return;
	v = http_response_copy(r, p, len);
	if (v)
		seg_push(r, (struct http_seg){ .kind = HTTP_SEG_MEM, .owned = true, .p = v,
					       .fd = -1, .len = len });
}

void http_response_body_owned(struct http_response *r, const char *p, size_t len)
{
	seg_push(r, (struct http_seg){ .kind = HTTP_SEG_MEM, .owned = true, .p = p, .fd = -1,
				       .len = len });
}

void http_response_body_ref(struct http_response *r, const void *p, size_t len)
{
	seg_push(r, (struct http_seg){ .kind = HTTP_SEG_MEM, .p = p, .fd = -1, .len = len });
}

void http_response_body_file(struct http_response *r, int fd, off_t off, uint64_t len)
{
	seg_push(r, (struct http_seg){ .kind = HTTP_SEG_FILE, .fd = fd, .off = off, .len = len });
}

void http_response_hold(struct http_response *r, void (*release)(void *arg), void *arg)
{
	if (r->hold_release == release && r->hold_arg == arg)
		return;
	if (r->hold_release) {
		r->failed = true;
		release(arg);
		return;
	}
	r->hold_release = release;
	r->hold_arg = arg;
}

bool http_response_take_hold(struct http_response *r, void (**release)(void *arg),
			     void **arg)
{
	if (!r->hold_release)
		return false;
	*release = r->hold_release;
	*arg = r->hold_arg;
	r->hold_release = NULL;
	r->hold_arg = NULL;
	return true;
}

void http_response_body_clear(struct http_response *r)
{
	r->nsegs = 0;
	r->content_length = 0;
}

/* The parts of an error page that never change: referenced, not copied. */
static const char error_start[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
static const char error_head[] =
	"</title>\n<style>" HTTP_PAGE_STYLE "</style>\n</head>\n<body>\n<main>\n<h1>";
static const char error_tail[] =
	"<footer><a href=\"/\">Home</a> &middot; eisd</footer>\n</main>\n</body>\n</html>\n";

int http_response_error_detail(struct http_response *r, enum http_status status,
			       const char *detail)
{
	const char *reason = http_status_reason(status);
	char title[96], h1[96];
	struct bytes b;
	size_t tlen;

	r->status = status;
	http_response_body_ref(r, error_start, sizeof(error_start) - 1);
	bytes_init_fixed(&b, title, sizeof(title));
	bytes_u64(&b, (uint64_t)status);
	BYTES_LIT(&b, " ");
	bytes_str(&b, reason);
	if (b.failed)
		r->failed = true;
	tlen = b.len;
	http_response_body_copy(r, b.p, b.len);
	http_response_body_ref(r, error_head, sizeof(error_head) - 1);
	bytes_init_fixed(&b, h1, sizeof(h1));
	bytes_put(&b, title, tlen);
	BYTES_LIT(&b, "</h1>\n");
	if (b.failed)
		r->failed = true;
	http_response_body_copy(r, b.p, b.len);
	if (detail)
		http_response_body_ref(r, detail, strlen(detail));
	http_response_body_ref(r, error_tail, sizeof(error_tail) - 1);
	r->content_type = "text/html; charset=utf-8";
	return r->failed ? -1 : 0;
}

int http_response_error(struct http_response *r, enum http_status status)
{
	return http_response_error_detail(r, status, NULL);
}

/* ---- walking the body ---- */

bool http_body_peek(const struct http_response *r, const struct http_body_cursor *cur,
		    size_t max, struct http_body_piece *out)
{
	const struct http_seg *s;
	uint64_t left;

	if (cur->seg >= r->nsegs)
		return false;
	s = &r->segs[cur->seg];
	left = s->len - cur->off;
	out->len = left < max ? (size_t)left : max;
	if (s->kind == HTTP_SEG_MEM) {
		out->p = s->p + cur->off;
		out->fd = -1;
		out->off = 0;
	} else {
		out->p = NULL;
		out->fd = s->fd;
		out->off = s->off + (off_t)cur->off;
	}
	return true;
}

void http_body_advance(const struct http_response *r, struct http_body_cursor *cur, size_t n)
{
	while (n > 0 && cur->seg < r->nsegs) {
		uint64_t left = r->segs[cur->seg].len - cur->off;

		if (n < left) {
			cur->off += n;
			return;
		}
		n -= (size_t)left;
		cur->seg++;
		cur->off = 0;
	}
	/* A segment just finished moves the cursor to the next one, so a
	 * zero-length advance at a boundary leaves it there. */
	if (cur->seg < r->nsegs && cur->off == r->segs[cur->seg].len) {
		cur->seg++;
		cur->off = 0;
	}
}

ssize_t http_body_pull(const struct http_response *r, struct http_body_cursor *cur,
		       char *buf, size_t max)
{
	struct http_body_piece pc;
	size_t done = 0;

	while (done < max && http_body_peek(r, cur, max - done, &pc)) {
		if (pc.fd < 0) {
			memcpy(buf + done, pc.p, pc.len);
		} else {
			ssize_t n = pread(pc.fd, buf + done, pc.len, pc.off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 && done > 0)
				break; /* what was read first; the error comes next call */
			if (n < 0)
				return -1;
			if (n == 0) {
				errno = EIO; /* the file shrank under us */
				return -1;
			}
			pc.len = (size_t)n;
		}
		done += pc.len;
		http_body_advance(r, cur, pc.len);
	}
	return (ssize_t)done;
}

uint64_t http_body_left(const struct http_response *r, const struct http_body_cursor *cur)
{
	uint64_t left = 0;

	for (unsigned i = cur->seg; i < r->nsegs; i++)
		left += r->segs[i].len;
	return left - (cur->seg < r->nsegs ? cur->off : 0);
}
