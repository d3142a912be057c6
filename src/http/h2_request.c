/* HTTP/2 request fields -> struct http_request (see h2_request.h). */
#include "http/h2_request.h"

#include <stdlib.h>
#include <string.h>

#include "util/chars.h"

enum pseudo {
	PS_METHOD = 1u << 0,
	PS_SCHEME = 1u << 1,
	PS_AUTHORITY = 1u << 2,
	PS_PATH = 1u << 3,
};

/* RFC 9110 §5.6.2 tchar, without upper case (RFC 9113 §8.2.1). */
static bool is_lower_tchar(unsigned char c)
{
	return chars_is_tchar(c) && !(c >= 'A' && c <= 'Z');
}

static bool eq(const char *p, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(p, lit, n) == 0;
}

/* RFC 9113 §8.2.1: no NUL, CR or LF anywhere, no white space at either
 * end. (The bytes of the rebuilt head rely on the first rule.) */
static bool value_ok(const char *v, size_t n)
{
	if (n && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i] == '\0' || v[i] == '\r' || v[i] == '\n')
			return false;
	return true;
}

bool h2_per_hop_field(const char *n, size_t len)
{
	return chars_eq_nocase_str(n, len, "connection") ||
	       chars_eq_nocase_str(n, len, "keep-alive") ||
	       chars_eq_nocase_str(n, len, "proxy-connection") ||
	       chars_eq_nocase_str(n, len, "transfer-encoding") ||
	       chars_eq_nocase_str(n, len, "upgrade");
}

static int append(struct h2_req *r, const char *p, size_t n)
{
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 256;
		char *b;

		while (cap < r->len + n)
			cap *= 2;
		b = realloc(r->buf, cap);
		if (!b)
			return -1;
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	return 0;
}

static enum h2_req_verdict fail(struct h2_req *r, enum h2_req_verdict v)
{
	if (r->verdict == H2_REQ_OK || v == H2_REQ_MALFORMED)
		r->verdict = v;
	return r->verdict;
}

static enum h2_req_verdict pseudo(struct h2_req *r, const char *name, size_t nlen,
				  const char *value, size_t vlen)
{
	unsigned bit;
	size_t *off, *len;

	if (r->regular_seen)
		return fail(r, H2_REQ_MALFORMED);
	if (eq(name, nlen, ":method")) {
		bit = PS_METHOD, off = &r->method_off, len = &r->method_len;
		for (size_t i = 0; i < vlen; i++)
			if (!chars_is_tchar((unsigned char)value[i]))
				return fail(r, H2_REQ_MALFORMED);
		if (vlen == 0)
			return fail(r, H2_REQ_MALFORMED);
	} else if (eq(name, nlen, ":scheme")) {
		bit = PS_SCHEME, off = &r->scheme_off, len = &r->scheme_len;
	} else if (eq(name, nlen, ":authority")) {
		bit = PS_AUTHORITY, off = &r->authority_off, len = &r->authority_len;
	} else if (eq(name, nlen, ":path")) {
		bit = PS_PATH, off = &r->path_off, len = &r->path_len;
		/* What HTTP/1.1 allows in a request-target: visible ASCII. */
		for (size_t i = 0; i < vlen; i++)
			if ((unsigned char)value[i] <= 0x20 || (unsigned char)value[i] >= 0x7f)
				return fail(r, H2_REQ_MALFORMED);
		if (vlen == 0)
			return fail(r, H2_REQ_MALFORMED);
	} else {
		return fail(r, H2_REQ_MALFORMED); /* :status, or unknown */
	}
	if (r->pseudo_seen & bit)
		return fail(r, H2_REQ_MALFORMED);
	r->pseudo_seen |= bit;
	if (r->verdict != H2_REQ_OK)
		return r->verdict;
	*off = r->len;
	*len = vlen;
	if (append(r, value, vlen))
		return fail(r, H2_REQ_TOO_LARGE);
	return H2_REQ_OK;
}

enum h2_req_verdict h2_req_field(struct h2_req *r, const char *name, size_t nlen,
				 const char *value, size_t vlen)
{
	if (r->verdict == H2_REQ_MALFORMED)
		return r->verdict;
	if (nlen == 0 || !value_ok(value, vlen))
		return fail(r, H2_REQ_MALFORMED);
	/* What this field adds to the rebuilt head: "name: value\r\n". */
	r->total += nlen + vlen + 4;
	if (r->total > r->max_bytes)
		fail(r, H2_REQ_TOO_LARGE);
	if (name[0] == ':')
		return pseudo(r, name, nlen, value, vlen);
	if (!r->regular_seen) {
		r->regular_seen = true;
		r->lines_off = r->len;
	}
	for (size_t i = 0; i < nlen; i++)
		if (!is_lower_tchar((unsigned char)name[i]))
			return fail(r, H2_REQ_MALFORMED);
	if (h2_per_hop_field(name, nlen))
		return fail(r, H2_REQ_MALFORMED);
	if (eq(name, nlen, "te") && !eq(value, vlen, "trailers"))
		return fail(r, H2_REQ_MALFORMED);
	if (r->verdict != H2_REQ_OK)
		return r->verdict;
	if (eq(name, nlen, "host")) {
		/* Compared with :authority at the end, which then replaces it. */
		if (r->host_seen)
			return fail(r, H2_REQ_MALFORMED);
		r->host_seen = true;
		r->host_line_off = r->len;
		r->host_off = r->len + nlen + 2;
		r->host_len = vlen;
	}
	if (append(r, name, nlen) || append(r, ": ", 2) || append(r, value, vlen) ||
	    append(r, "\r\n", 2))
		return fail(r, H2_REQ_TOO_LARGE);
	return H2_REQ_OK;
}

/* Method and target for the log line of a request answered early. */
static void describe(const struct h2_req *r, struct http_request *req)
{
	memset(req, 0, offsetof(struct http_request, headers));
	req->version_major = 2;
	req->version_minor = 0;
	if (r->pseudo_seen & PS_METHOD && r->buf) {
		req->method_name.p = r->buf + r->method_off;
		req->method_name.len = r->method_len;
		req->method = HTTP_METHOD_OTHER;
		if (eq(req->method_name.p, req->method_name.len, "HEAD"))
			req->method = HTTP_METHOD_HEAD;
		else if (eq(req->method_name.p, req->method_name.len, "GET"))
			req->method = HTTP_METHOD_GET;
	}
	if (r->pseudo_seen & PS_PATH && r->buf) {
		req->target.p = r->buf + r->path_off;
		req->target.len = r->path_len;
	}
}

int h2_req_finish(struct h2_req *r, struct http_request *req)
{
	bool connect;
	const char *target;
	size_t tlen, n, o = 0;
	long rc;

	if (r->verdict == H2_REQ_MALFORMED)
		return H2_REQ_RESET;
	/* RFC 9113 §8.3.1, §8.5: the pseudo-headers a request must have. */
	if (!(r->pseudo_seen & PS_METHOD))
		return H2_REQ_RESET;
	connect = r->verdict == H2_REQ_OK &&
		  eq(r->buf + r->method_off, r->method_len, "CONNECT");
	if (connect ? (r->pseudo_seen != (PS_METHOD | PS_AUTHORITY))
		    : !(r->pseudo_seen & PS_SCHEME) || !(r->pseudo_seen & PS_PATH))
		return H2_REQ_RESET;
	if (r->verdict == H2_REQ_TOO_LARGE) {
		describe(r, req);
		return 431;
	}
	/* RFC 9113 §8.3.1: Host and :authority name the same thing. */
	if (r->host_seen && r->pseudo_seen & PS_AUTHORITY &&
	    !chars_eq_nocase(r->buf + r->host_off, r->host_len, r->buf + r->authority_off,
		       r->authority_len))
		return H2_REQ_RESET;

	if (connect) {
		/* RFC 9113 §8.5: CONNECT names only an authority. It reaches
		 * the handler like any method we do not serve (405); the log
		 * shows the authority as its target. */
		target = "/";
		tlen = 1;
	} else {
		target = r->buf + r->path_off;
		tlen = r->path_len;
	}
	n = r->method_len + 1 + tlen + sizeof(" HTTP/1.1\r\n") - 1 + sizeof("Host: \r\n") - 1 +
	    r->authority_len + r->len + 2;
	r->head = malloc(n);
	if (!r->head) {
		describe(r, req);
		return 500;
	}
#define PUT(p, len) (memcpy(r->head + o, (p), (len)), o += (len))
	PUT(r->buf + r->method_off, r->method_len);
	PUT(" ", 1);
	PUT(target, tlen);
	PUT(" HTTP/1.1\r\n", 11);
	if (!r->regular_seen)
		r->lines_off = r->len;
	if (r->pseudo_seen & PS_AUTHORITY) {
		PUT("Host: ", 6);
		PUT(r->buf + r->authority_off, r->authority_len);
		PUT("\r\n", 2);
		if (r->host_seen) {
			/* The same name, already said: leave out the host line. */
			size_t line = r->host_off + r->host_len + 2 - r->host_line_off;
			PUT(r->buf + r->lines_off, r->host_line_off - r->lines_off);
			PUT(r->buf + r->host_line_off + line, r->len - r->host_line_off - line);
		} else {
			PUT(r->buf + r->lines_off, r->len - r->lines_off);
		}
	} else {
		/* No authority at all (RFC 9113 §8.3.1 allows it): an empty
		 * Host, as HTTP/1.1 has for a URI without one. */
		if (!r->host_seen)
			PUT("Host: \r\n", 8);
		PUT(r->buf + r->lines_off, r->len - r->lines_off);
	}
	PUT("\r\n", 2);
#undef PUT
	rc = http_parse_request(r->head, o, r->max_bytes, req);
	if (rc <= 0) {
		describe(r, req);
		return rc == 0 ? 400 : (int)-rc;
	}
	req->version_major = 2;
	req->version_minor = 0;
	if (connect) {
		req->target.p = r->buf + r->authority_off;
		req->target.len = r->authority_len;
	}
	return 0;
}

void h2_req_free(struct h2_req *r)
{
	free(r->buf);
	free(r->head);
	r->buf = r->head = NULL;
	r->len = r->cap = 0;
}
