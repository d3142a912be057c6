/* HTTP/1.x request-head parser (RFC 9112) and chunked-body skipper.
 *
 * The head is parsed line by line from the start of the buffer on every
 * call, so the parser keeps no state between calls. Each line is checked
 * left to right and the first bad byte decides the answer; a line that has
 * not ended yet is checked as far as it goes, so garbage is refused as soon
 * as it arrives instead of after max_head bytes. Checks that need the whole
 * head (Host present, Transfer-Encoding vs Content-Length) run once the
 * empty line is seen. Because of that order, a prefix of the input answers
 * either "need more" or the same error as the whole input. */
#include "http/http_parse.h"

#include <stddef.h>
#include <string.h>

#include "util/chars.h"

/* What the header lines said, gathered until the head is complete. */
struct head_facts {
	bool host_seen;
	bool cl_seen;
	uint64_t cl;
	bool te_seen;
	bool te_chunked; /* "chunked" was listed (and, so far, last) */
	bool te_other;   /* a coding other than chunked was listed */
	bool conn_close;
	bool conn_keep_alive;
	bool expect_continue;
};

static const struct {
	const char *name;
	enum http_method method;
} methods[] = {
	{ "GET", HTTP_METHOD_GET },
	{ "HEAD", HTTP_METHOD_HEAD },
	{ "POST", HTTP_METHOD_POST },
	{ "PUT", HTTP_METHOD_PUT },
	{ "DELETE", HTTP_METHOD_DELETE },
	{ "PATCH", HTTP_METHOD_PATCH },
	{ "CONNECT", HTTP_METHOD_CONNECT },
	{ "OPTIONS", HTTP_METHOD_OPTIONS },
	{ "TRACE", HTTP_METHOD_TRACE },
};

/* Headers copied into named fields of struct http_request. A repeated one
 * keeps its first value (Host may not repeat at all). */
static const struct {
	const char *name;
	size_t offset;
	size_t len;  /* of name */
} known_fields[] = {
	{ "Host", offsetof(struct http_request, host), 4 },
	{ "If-None-Match", offsetof(struct http_request, if_none_match), 13 },
	{ "If-Modified-Since", offsetof(struct http_request, if_modified_since), 17 },
	{ "If-Match", offsetof(struct http_request, if_match), 8 },
	{ "If-Unmodified-Since",
	  offsetof(struct http_request, if_unmodified_since), 19 },
	{ "If-Range", offsetof(struct http_request, if_range), 8 },
	{ "Range", offsetof(struct http_request, range), 5 },
	{ "Accept", offsetof(struct http_request, accept), 6 },
	{ "Accept-Encoding", offsetof(struct http_request, accept_encoding), 15 },
	{ "User-Agent", offsetof(struct http_request, user_agent), 10 },
	{ "Referer", offsetof(struct http_request, referer), 7 },
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A byte allowed in a field value (RFC 9110 §5.5): VCHAR, obs-text, SP,
 * HTAB. NUL, CR, LF and the other controls are what smuggling and header
 * injection ride on, so they are refused rather than replaced. */
static bool is_field_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* unreserved / sub-delims / '%' of RFC 3986: what a reg-name is made of. */
static bool is_host_byte(unsigned char c)
{
	if (chars_is_unreserved(c))
		return true;
	switch (c) {
	case '!': case '$': case '&':
	case '\'': case '(': case ')': case '*': case '+': case ',': case ';':
	case '=': case '%':
		return true;
	default:
		return false;
	}
}

static bool eq_nocase_n(struct http_str s, const char *lit, size_t n)
{
	return chars_eq_nocase(s.p, s.len, lit, n);
}

/* For string literals: the length is known at compile time, so a name of
 * the wrong length costs one comparison. */
#define EQ_LIT(s, lit) eq_nocase_n((s), (lit), sizeof(lit) - 1)

bool http_str_eq_nocase(struct http_str s, const char *lit)
{
	return eq_nocase_n(s, lit, strlen(lit));
}

struct http_str http_request_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->header_count; i++)
		if (http_str_eq_nocase(req->headers[i].name, name))
			return req->headers[i].value;
	return (struct http_str){ NULL, 0 };
}

static struct http_str str_make(const char *p, size_t len)
{
	struct http_str s = { p, len };
	return s;
}

static struct http_str str_trim(struct http_str s)
{
	while (s.len > 0 && chars_is_ows((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && chars_is_ows((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

/* Steps through a comma-separated list (RFC 9110 §5.6.1), yielding each
 * element with its OWS trimmed; empty elements are yielded too. */
static bool list_next(struct http_str list, size_t *pos, struct http_str *elem)
{
	size_t start = *pos, end = start;

	if (start > list.len)
		return false;
	while (end < list.len && list.p[end] != ',')
		end++;
	*elem = str_trim(str_make(list.p + start, end - start));
	*pos = end + 1;
	return true;
}

/* uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2). Userinfo ('@'),
 * paths and whitespace have no place here, and a Host that smuggles them
 * would confuse anything that builds a URL or a log line from it. */
static bool host_valid(struct http_str h)
{
	size_t i = 0;

	if (h.len == 0)
		return true; /* RFC 9112 §3.2: empty when the URI has no host */
	if (h.p[0] == '[') {
		for (i = 1; i < h.len && h.p[i] != ']'; i++)
			if (!is_host_byte((unsigned char)h.p[i]) && h.p[i] != ':')
				return false;
		if (i == h.len || i == 1)
			return false;
		i++;
	} else {
		while (i < h.len && is_host_byte((unsigned char)h.p[i]))
			i++;
		if (i == 0)
			return false;
	}
	if (i == h.len)
		return true;
	if (h.p[i] != ':')
		return false;
	for (i++; i < h.len; i++)
		if (!chars_is_digit((unsigned char)h.p[i]))
			return false;
	return true;
}

static void split_query(const char *p, size_t n, struct http_request *req)
{
	const char *q = memchr(p, '?', n);

	if (q == NULL) {
		req->path = str_make(p, n);
		return;
	}
	req->path = str_make(p, (size_t)(q - p));
	req->query = str_make(q + 1, n - (size_t)(q - p) - 1);
}

/* "http://" or "https://", scheme case-insensitive. Returns the length of
 * the prefix, or 0. */
static size_t http_scheme_len(const char *p, size_t n)
{
	static const char *const schemes[] = { "http://", "https://" };

	for (size_t i = 0; i < N_ELEMS(schemes); i++) {
		size_t sl = strlen(schemes[i]);
		if (n >= sl && http_str_eq_nocase(str_make(p, sl), schemes[i]))
			return sl;
	}
	return 0;
}

/* request-target, RFC 9112 §3.2. The bytes are already known to be
 * visible ASCII without '#'. Authority-form (CONNECT) is not served. */
static int parse_target(const char *t, size_t n, struct http_request *req)
{
	size_t sl;

	req->target = str_make(t, n);
	if (t[0] == '/') {
		split_query(t, n, req);
		return 0;
	}
	if (n == 1 && t[0] == '*') {
		if (req->method != HTTP_METHOD_OPTIONS)
			return -400;
		req->path = str_make(t, 1);
		return 0;
	}
	sl = http_scheme_len(t, n);
	if (sl > 0) {
		const char *a = t + sl, *end = t + n, *e = a;
		while (e < end && *e != '/' && *e != '?')
			e++;
		/* An http(s) URI must name a host (RFC 9110 §4.2.1), and
		 * userinfo in one is to be treated as an error (§4.2.4). */
		if (e == a || !host_valid(str_make(a, (size_t)(e - a))))
			return -400;
		split_query(e, (size_t)(end - e), req);
		if (req->path.len == 0)
			req->path = str_make("/", 1); /* static, not in buf */
		return 0;
	}
	return -400;
}

/* A run of bytes in_run accepts from p[from], which must be nonempty and
 * end at the byte stop: 1 with *end at stop; 0 when the line runs out
 * first but has not ended yet (need more); -400 otherwise. The method,
 * the request-target and a field name are each such a run. */
static inline int scan_run(const char *p, size_t n, size_t from, bool complete,
			   bool (*in_run)(unsigned char), char stop, size_t *end)
{
	size_t i = from;

	while (i < n && in_run((unsigned char)p[i]))
		i++;
	if (i == n)
		return complete ? -400 : 0;
	if (i == from || p[i] != stop)
		return -400;
	*end = i;
	return 1;
}

/* A fragment is never sent (RFC 9112 §3.2), so '#' is refused. */
static inline bool is_target_byte(unsigned char c)
{
	return chars_is_vchar(c) && c != '#';
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
 * p[0..n) is the line without its ending; complete tells whether the
 * ending has arrived. */
static int parse_request_line(const char *p, size_t n, bool complete,
			      struct http_request *req)
{
	static const char version[] = "HTTP/#.#"; /* '#' is any digit */
	size_t i, t, v;
	int rc;

	/* One SP exactly after the method and the target: lenient
	 * whitespace is what lets a front-end and a back-end disagree about
	 * where the target ends (§3, §11.2). */
	rc = scan_run(p, n, 0, complete, chars_is_tchar, ' ', &i);
	if (rc <= 0)
		return rc;
	req->method_name = str_make(p, i);
	req->method = HTTP_METHOD_OTHER;
	for (size_t m = 0; m < N_ELEMS(methods); m++)
		if (strlen(methods[m].name) == i &&
		    memcmp(methods[m].name, p, i) == 0)
			req->method = methods[m].method;

	t = i + 1;
	rc = scan_run(p, n, t, complete, is_target_byte, ' ', &i);
	if (rc <= 0)
		return rc;
	rc = parse_target(p + t, i - t, req);
	if (rc < 0)
		return rc;

	v = ++i;
	for (; i < n; i++) {
		size_t k = i - v;
		unsigned char c = (unsigned char)p[i];
		if (k >= sizeof(version) - 1)
			return -400;
		if (version[k] == '#' ? !chars_is_digit(c) : c != version[k])
			return -400;
	}
	if (!complete)
		return 0;
	if (n - v != sizeof(version) - 1)
		return -400;
	/* Well-formed but another major version: the version is the
	 * problem. A later 1.x is answered as the highest minor version we
	 * implement (RFC 9110 §6.2, RFC 9112 §2.3): 1.1 rules throughout
	 * (Host required, keep-alive by default), and an HTTP/1.1 reply. */
	if (p[v + 5] != '1')
		return -505;
	req->version_major = 1;
	req->version_minor = p[v + 7] > '1' ? 1 : p[v + 7] - '0';
	return 0;
}

/* field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). */
static int parse_field_line(const char *p, size_t n, bool complete,
			    struct http_header *h)
{
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	/* obs-fold, or whitespace before the first field (§2.2, §5.2). */
	if (chars_is_ows((unsigned char)p[0]))
		return -400;
	/* No whitespace before the colon (§5.1): it is a smuggling vector. */
	rc = scan_run(p, n, 0, complete, chars_is_tchar, ':', &i);
	if (rc <= 0)
		return rc;
	for (size_t j = i + 1; j < n; j++)
		if (!is_field_byte((unsigned char)p[j]))
			return -400;
	h->name = str_make(p, i);
	h->value = str_trim(str_make(p + i + 1, n - i - 1));
	return 0;
}

/* Content-Length = 1*DIGIT; a list of identical values is accepted as one
 * (RFC 9110 §8.6). */
static int apply_content_length(struct http_str v, struct head_facts *f)
{
	struct http_str e;
	size_t pos = 0;

	while (list_next(v, &pos, &e)) {
		uint64_t n = 0;
		if (e.len == 0)
			return -400;
		for (size_t i = 0; i < e.len; i++) {
			unsigned d;
			if (!chars_is_digit((unsigned char)e.p[i]))
				return -400;
			d = (unsigned)(e.p[i] - '0');
			if (n > (UINT64_MAX - d) / 10)
				return -400;
			n = n * 10 + d;
		}
		if (f->cl_seen && n != f->cl)
			return -400;
		f->cl_seen = true;
		f->cl = n;
	}
	return 0;
}

/* Transfer-Encoding (RFC 9112 §6.1). Chunked must come last and only once;
 * anything that could make two parsers frame the body differently is
 * refused. */
static int apply_transfer_encoding(struct http_str v, struct head_facts *f)
{
	struct http_str e;
	size_t pos = 0;

	f->te_seen = true;
	while (list_next(v, &pos, &e)) {
		size_t i = 0;
		if (e.len == 0)
			continue; /* empty list elements are allowed (§5.6.1) */
		if (f->te_chunked)
			return -400; /* something after chunked */
		while (i < e.len && chars_is_tchar((unsigned char)e.p[i]))
			i++;
		if (i == 0)
			return -400;
		if (http_str_eq_nocase(str_make(e.p, i), "chunked")) {
			if (i != e.len)
				return -400; /* chunked takes no parameters */
			f->te_chunked = true;
			continue;
		}
		while (i < e.len && chars_is_ows((unsigned char)e.p[i]))
			i++;
		if (i != e.len && e.p[i] != ';')
			return -400;
		f->te_other = true;
	}
	return 0;
}

static void apply_connection(struct http_str v, struct head_facts *f)
{
	struct http_str e;
	size_t pos = 0;

	while (list_next(v, &pos, &e)) {
		if (http_str_eq_nocase(e, "close"))
			f->conn_close = true;
		else if (http_str_eq_nocase(e, "keep-alive"))
			f->conn_keep_alive = true;
	}
}

static int apply_field(const struct http_header *h, struct http_request *req,
		       struct head_facts *f)
{
	for (size_t i = 0; i < N_ELEMS(known_fields); i++) {
		if (eq_nocase_n(h->name, known_fields[i].name, known_fields[i].len)) {
			struct http_str *s = (struct http_str *)
				((char *)req + known_fields[i].offset);
			if (s->p == NULL)
				*s = h->value;
			break;
		}
	}
	if (EQ_LIT(h->name, "Host")) {
		/* RFC 9112 §3.2: more than one Host, or a bad one, is 400. */
		if (f->host_seen || !host_valid(h->value))
			return -400;
		f->host_seen = true;
	} else if (EQ_LIT(h->name, "Content-Length")) {
		return apply_content_length(h->value, f);
	} else if (EQ_LIT(h->name, "Transfer-Encoding")) {
		/* A 1.0 recipient may not understand it, so the framing
		 * would be ambiguous (RFC 9112 §6.1). */
		if (req->version_minor == 0)
			return -400;
		return apply_transfer_encoding(h->value, f);
	} else if (EQ_LIT(h->name, "Connection")) {
		apply_connection(h->value, f);
	} else if (EQ_LIT(h->name, "Expect")) {
		if (EQ_LIT(h->value, "100-continue"))
			f->expect_continue = true;
	}
	return 0;
}

/* Decisions that need every field line. */
static int finish_head(struct http_request *req, const struct head_facts *f)
{
	if (req->version_minor == 1 && !f->host_seen)
		return -400;
	if (f->te_seen) {
		/* Both framings present is the classic smuggling setup
		 * (RFC 9112 §6.3 item 3): refuse rather than pick one. */
		if (f->cl_seen || !f->te_chunked)
			return -400;
		if (f->te_other)
			return -501; /* codings we cannot undo */
		req->body = HTTP_BODY_CHUNKED;
	} else if (f->cl_seen) {
		req->body = HTTP_BODY_LENGTH;
		req->content_length = f->cl;
	}
	if (f->conn_close)
		req->keep_alive = false;
	else
		req->keep_alive = req->version_minor == 1 || f->conn_keep_alive;
	/* A 100-continue expectation in 1.0 must be ignored (RFC 9110
	 * §10.1.1). */
	req->expect_continue = f->expect_continue && req->version_minor == 1;
	return 0;
}

long http_parse_request(const char *buf, size_t len, size_t max_head,
			struct http_request *req)
{
	/* Bytes past max_head are never looked at, so the answer for a long
	 * input is the answer for its first max_head bytes. */
	size_t end = len < max_head ? len : max_head;
	size_t pos = 0;
	bool have_request_line = false;
	struct head_facts facts;
	int rc;

	/* headers[] is valid up to header_count only: no need to clear it. */
	memset(req, 0, offsetof(struct http_request, headers));
	memset(&facts, 0, sizeof(facts));
	while (pos < end) {
		const char *lf = memchr(buf + pos, '\n', end - pos);
		size_t stop = lf != NULL ? (size_t)(lf - buf) : end;
		size_t n = stop - pos;
		bool complete = lf != NULL;
		const char *line = buf + pos;

		/* CRLF or a bare LF ends a line (RFC 9112 §2.2). A CR
		 * anywhere else is left in the line, where every field
		 * refuses it. At the end of an unfinished line a CR may
		 * still become a CRLF, so it is not judged yet. */
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (!have_request_line) {
			/* Empty lines before the request line are skipped
			 * (RFC 9112 §2.2). */
			if (n == 0 && complete) {
				pos = stop + 1;
				continue;
			}
			rc = parse_request_line(line, n, complete, req);
			if (rc < 0)
				return rc;
			if (complete)
				have_request_line = true;
		} else if (n == 0 && complete) {
			rc = finish_head(req, &facts);
			return rc < 0 ? rc : (long)(stop + 1);
		} else {
			struct http_header h;
			rc = parse_field_line(line, n, complete, &h);
			if (rc < 0)
				return rc;
			if (complete) {
				if (req->header_count == HTTP_MAX_HEADERS)
					return -431;
				req->headers[req->header_count++] = h;
				rc = apply_field(&h, req, &facts);
				if (rc < 0)
					return rc;
			}
		}
		if (!complete)
			break;
		pos = stop + 1;
	}
	if (len >= max_head)
		return have_request_line ? -431 : -414;
	return 0;
}

/* Chunked decoder states. */
enum {
	CH_SIZE_FIRST = 0, /* first hex digit of chunk-size */
	CH_SIZE,         /* further hex digits */
	CH_SIZE_BWS,     /* whitespace after the size: only ';' may follow */
	CH_EXT,          /* chunk-ext, skipped up to the line end */
	CH_SIZE_LF,      /* CR seen after the size line */
	CH_DATA,         /* chunk_left data bytes to go */
	CH_DATA_CR,      /* the CRLF after the data */
	CH_DATA_LF,
	CH_TRAILER,      /* start of a trailer line or of the final CRLF */
	CH_TRAILER_NAME, /* a trailer field name, up to its ':' */
	CH_TRAILER_VALUE, /* the rest of a trailer field line */
	CH_TRAILER_LF,
	CH_END_LF,       /* CR of the final CRLF seen */
	CH_DONE,
	CH_ERROR,
};

/* 2^60: more than any body we could be sent, and far from overflowing
 * the uint64_t that counts it. */
#define CHUNK_SIZE_MAX ((uint64_t)1 << 60)

void http_chunked_init(struct http_chunked *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->state = CH_SIZE_FIRST;
}

/* The size line has ended: on to the data, or to the trailer section. */
static int chunk_size_done(struct http_chunked *ch, uint64_t max_body)
{
	ch->line_len = 0;
	if (ch->chunk_left == 0)
		return CH_TRAILER;
	/* wire <= max_body always holds, so this cannot wrap; refusing
	 * here stops an oversized body before any of its data is read. */
	if (ch->chunk_left > max_body - ch->wire) {
		ch->too_large = true;
		return CH_ERROR;
	}
	return CH_DATA;
}

/* The CRLF after a chunk's data has ended: the next size line starts. */
static int chunk_next(struct http_chunked *ch)
{
	ch->line_len = 0;
	return CH_SIZE_FIRST;
}

/* Consumes one byte outside chunk data. Returns the next state. */
static int chunk_step(struct http_chunked *ch, unsigned char c,
		      uint64_t max_body)
{
	int d;

	switch (ch->state) {
	case CH_SIZE_FIRST:
	case CH_SIZE:
		d = chars_hex_value(c);
		if (d >= 0) {
			if (ch->chunk_left >
			    (CHUNK_SIZE_MAX - (uint64_t)d) / 16)
				return CH_ERROR;
			ch->chunk_left = ch->chunk_left * 16 + (uint64_t)d;
			return CH_SIZE;
		}
		if (ch->state == CH_SIZE_FIRST)
			return CH_ERROR; /* chunk-size = 1*HEXDIG */
		if (c == '\r')
			return CH_SIZE_LF;
		if (c == '\n')
			return chunk_size_done(ch, max_body);
		if (c == ';')
			return CH_EXT;
		if (chars_is_ows(c))
			return CH_SIZE_BWS;
		return CH_ERROR;
	case CH_SIZE_BWS:
		if (chars_is_ows(c))
			return CH_SIZE_BWS;
		return c == ';' ? CH_EXT : CH_ERROR;
	case CH_EXT:
		if (c == '\r')
			return CH_SIZE_LF;
		if (c == '\n')
			return chunk_size_done(ch, max_body);
		return is_field_byte(c) ? CH_EXT : CH_ERROR;
	case CH_SIZE_LF:
		return c == '\n' ? chunk_size_done(ch, max_body) : CH_ERROR;
	case CH_DATA_CR:
		if (c == '\r')
			return CH_DATA_LF;
		return c == '\n' ? chunk_next(ch) : CH_ERROR;
	case CH_DATA_LF:
		return c == '\n' ? chunk_next(ch) : CH_ERROR;
	case CH_TRAILER:
		if (c == '\r')
			return CH_END_LF;
		if (c == '\n')
			return CH_DONE;
		/* obs-fold is as unwelcome in trailers as in the head. */
		return chars_is_tchar(c) ? CH_TRAILER_NAME : CH_ERROR;
	case CH_TRAILER_NAME:
		/* A trailer line is a field line like any in the head: a line
		 * without a colon, or with whitespace before it, is refused
		 * there and so here. */
		if (c == ':')
			return CH_TRAILER_VALUE;
		return chars_is_tchar(c) ? CH_TRAILER_NAME : CH_ERROR;
	case CH_TRAILER_VALUE:
		if (c == '\r')
			return CH_TRAILER_LF;
		if (c == '\n')
			return CH_TRAILER;
		return is_field_byte(c) ? CH_TRAILER_VALUE : CH_ERROR;
	case CH_TRAILER_LF:
		return c == '\n' ? CH_TRAILER : CH_ERROR;
	case CH_END_LF:
		return c == '\n' ? CH_DONE : CH_ERROR;
	default:
		return CH_ERROR;
	}
}

long http_chunked_feed(struct http_chunked *ch, const char *buf, size_t len,
		       uint64_t max_body, bool *done)
{
	size_t i = 0;

	while (i < len && ch->state != CH_DONE && ch->state != CH_ERROR) {
		size_t limit;
		if (ch->state == CH_DATA) {
			size_t take = len - i;
			if (take > ch->chunk_left)
				take = (size_t)ch->chunk_left;
			ch->chunk_left -= take;
			ch->total += take;
			ch->wire += take;
			i += take;
			if (ch->chunk_left == 0)
				ch->state = CH_DATA_CR;
			continue;
		}
		/* line_len bounds each size line (extensions are skipped,
		 * not stored, but must not go on forever) and the trailer
		 * section as a whole, whose lines do not reset it. */
		limit = ch->state >= CH_TRAILER ? HTTP_CHUNK_TRAILER_MAX
						: HTTP_CHUNK_LINE_MAX;
		/* Framing counts against the body limit like data does. */
		if (++ch->wire > max_body) {
			ch->too_large = true;
			ch->state = CH_ERROR;
			break;
		}
		if (++ch->line_len > limit) {
			ch->state = CH_ERROR;
			break;
		}
		ch->state = chunk_step(ch, (unsigned char)buf[i], max_body);
		i++;
	}
	*done = ch->state == CH_DONE;
	if (ch->state == CH_ERROR)
		return -1;
	return (long)i;
}
