/* Unit tests of the request-head parser and the chunked-body skipper.
 *
 * Every case is a row in a table. Each input is fed whole and as every
 * prefix, always copied so that its last byte sits right before a
 * PROT_NONE page: reading one byte too far crashes the test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "http/http_parse.h"

#define MAX_HEAD 8192

/* ---- guard page ------------------------------------------------------- */

static char *guard_mem;   /* readable pages, then one PROT_NONE page */
static size_t guard_room; /* size of the readable part */

static int guard_setup(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	guard_room = 16 * page;
	guard_mem = mmap(NULL, guard_room + page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_mem == MAP_FAILED)
		return -1;
	return mprotect(guard_mem + guard_room, page, PROT_NONE);
}

static int guard_teardown(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return munmap(guard_mem, guard_room + page);
}

/* Copies in[0..len) so that it ends where the guard page starts. */
static const char *at_guard(const char *in, size_t len)
{
	char *dst;

	assert_true(len <= guard_room);
	dst = guard_mem + guard_room - len;
	memcpy(dst, in, len);
	return dst;
}

/* ---- request table ---------------------------------------------------- */

/* Field checks for a good request. Strings are compared exactly; NULL
 * for query, host and range means "absent" (p == NULL). */
struct expect {
	enum http_method method;
	const char *method_name; /* NULL: not checked */
	const char *path;
	const char *query;
	int minor;
	bool keep_alive;
	bool expect_continue;
	enum http_body_kind body;
	uint64_t content_length;
	const char *host;
	const char *range;
	size_t header_count; /* 0: not checked */
};

struct pcase {
	const char *name;
	const char *in;
	size_t len;
	long want;       /* head length, or minus the status */
	size_t max_head; /* 0: MAX_HEAD */
	const struct expect *x;
};

/* A good request: the head, then bytes that are not part of it. The
 * expected length is the head's, counted by the compiler. */
#define GOOD(head, rest) .in = head rest, .len = sizeof(head rest) - 1, \
	.want = sizeof(head) - 1
#define BAD(req, status) .in = req, .len = sizeof(req) - 1, .want = -(status)
#define X(...) .x = &(const struct expect){ __VA_ARGS__ }

#define H1 "X-A: 1\r\n"
#define H7 H1 H1 H1 H1 H1 H1 H1
#define H8 H1 H7
#define H63 H8 H8 H8 H8 H8 H8 H8 H7
#define H64 H8 H8 H8 H8 H8 H8 H8 H8

#define LONG40 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define RL19 "GET /abc HTTP/1.1\r\n"
#define HEAD30 RL19 "Host: a\r\n\r\n"

static const struct pcase good_cases[] = {
	{ "simple", GOOD("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .method_name = "GET", .path = "/",
	    .minor = 1, .keep_alive = true, .host = "example.com",
	    .header_count = 1) },
	{ "query", GOOD("GET /a/b.html?x=1&y=2?z HTTP/1.1\r\nHost: h\r\n\r\n",
			""),
	  X(.method = HTTP_METHOD_GET, .path = "/a/b.html",
	    .query = "x=1&y=2?z", .minor = 1, .keep_alive = true,
	    .host = "h") },
	{ "empty query", GOOD("GET /a? HTTP/1.1\r\nHost: h\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/a", .query = "", .minor = 1,
	    .keep_alive = true, .host = "h") },
	{ "uri punctuation",
	  GOOD("GET /%7e/a%20b;p=1,x!$&'()*+=~:@[]|{}^`\"<>\\ HTTP/1.1\r\n"
	       "Host: h\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET,
	    .path = "/%7e/a%20b;p=1,x!$&'()*+=~:@[]|{}^`\"<>\\", .minor = 1,
	    .keep_alive = true, .host = "h") },
	/* A later minor version is served as 1.1 (RFC 9112 §2.3). */
	{ "1.2 as 1.1", GOOD("GET /x HTTP/1.2\r\nHost: h\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/x", .minor = 1, .keep_alive = true, .host = "h") },
	{ "1.9 as 1.1", GOOD("GET /x HTTP/1.9\r\nHost: h\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/x", .minor = 1, .keep_alive = true, .host = "h") },
	{ "1.0 without host", GOOD("GET /x HTTP/1.0\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/x", .minor = 0) },
	{ "1.0 keep-alive",
	  GOOD("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 0,
	    .keep_alive = true) },
	{ "1.1 close",
	  GOOD("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = false, .host = "a") },
	{ "1.1 keep-alive",
	  GOOD("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
	       ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "a") },
	{ "close wins over keep-alive",
	  GOOD("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
	       "Connection: Upgrade,  CLOSE \r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 0,
	    .keep_alive = false) },
	{ "bare LF", GOOD("GET / HTTP/1.1\nHost: a\n\n", "x"),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "a") },
	{ "mixed line endings",
	  GOOD("GET / HTTP/1.1\nHost: a\r\nAccept: */*\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "a", .header_count = 2) },
	{ "leading CRLF",
	  GOOD("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "a") },
	{ "leading LF", GOOD("\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "a") },
	{ "pipelined",
	  GOOD("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n",
	       "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n"),
	  X(.method = HTTP_METHOD_GET, .path = "/1", .minor = 1,
	    .keep_alive = true, .host = "a") },
	{ "pipelined after bad-looking bytes",
	  GOOD("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n", "\x01\x02 junk\r"), },
	{ "content-length",
	  GOOD("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
	       "hello"),
	  X(.method = HTTP_METHOD_POST, .path = "/f", .minor = 1,
	    .keep_alive = true, .body = HTTP_BODY_LENGTH,
	    .content_length = 5, .host = "a") },
	{ "content-length 0",
	  GOOD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_POST, .path = "/", .minor = 1,
	    .keep_alive = true, .body = HTTP_BODY_LENGTH, .host = "a") },
	{ "content-length repeated, same",
	  GOOD("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	       "content-length:5\r\n\r\n", "hello"),
	  X(.method = HTTP_METHOD_PUT, .path = "/", .minor = 1,
	    .keep_alive = true, .body = HTTP_BODY_LENGTH,
	    .content_length = 5, .host = "a") },
	{ "content-length list, same",
	  GOOD("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 ,5\r\n\r\n",
	       "hello"),
	  X(.method = HTTP_METHOD_PUT, .path = "/", .minor = 1,
	    .keep_alive = true, .body = HTTP_BODY_LENGTH,
	    .content_length = 5, .host = "a") },
	{ "content-length uint64 max",
	  GOOD("POST / HTTP/1.1\r\nHost: a\r\n"
	       "Content-Length: 18446744073709551615\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_POST, .path = "/", .minor = 1,
	    .keep_alive = true, .body = HTTP_BODY_LENGTH,
	    .content_length = UINT64_MAX, .host = "a") },
	{ "content-length leading zeros",
	  GOOD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_POST, .path = "/", .minor = 1,
	    .keep_alive = true, .body = HTTP_BODY_LENGTH,
	    .content_length = 7, .host = "a") },
	{ "chunked",
	  GOOD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
	       "0\r\n\r\n"),
	  X(.method = HTTP_METHOD_POST, .path = "/", .minor = 1,
	    .keep_alive = true, .body = HTTP_BODY_CHUNKED, .host = "a") },
	{ "chunked, any case, empty list elements",
	  GOOD("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: , CHUNKED ,\r\n"
	       "\r\n", ""),
	  X(.method = HTTP_METHOD_POST, .path = "/", .minor = 1,
	    .keep_alive = true, .body = HTTP_BODY_CHUNKED, .host = "a") },
	{ "absolute-form",
	  GOOD("GET http://example.com:8080/p/q?x=1 HTTP/1.1\r\n"
	       "Host: example.com:8080\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/p/q", .query = "x=1",
	    .minor = 1, .keep_alive = true, .host = "example.com:8080") },
	{ "absolute-form, no path",
	  GOOD("GET HTTPS://Example.com HTTP/1.1\r\nHost: x\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "x") },
	{ "absolute-form, query without path",
	  GOOD("GET http://[::1]:80?x HTTP/1.1\r\nHost: x\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .query = "x", .minor = 1,
	    .keep_alive = true, .host = "x") },
	{ "asterisk-form", GOOD("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_OPTIONS, .method_name = "OPTIONS",
	    .path = "*", .minor = 1, .keep_alive = true, .host = "a") },
	{ "unknown method", GOOD("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_OTHER, .method_name = "BREW", .path = "/pot",
	    .minor = 1, .keep_alive = true, .host = "a") },
	{ "method is case-sensitive",
	  GOOD("get / HTTP/1.1\r\nHost: a\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_OTHER, .method_name = "get", .path = "/",
	    .minor = 1, .keep_alive = true, .host = "a") },
	{ "method with tchar symbols",
	  GOOD("M-SEARCH_!#$%&'*+.^`|~9 / HTTP/1.1\r\nHost: a\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_OTHER,
	    .method_name = "M-SEARCH_!#$%&'*+.^`|~9", .path = "/", .minor = 1,
	    .keep_alive = true, .host = "a") },
	{ "HEAD", GOOD("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_HEAD, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "a") },
	{ "DELETE", GOOD("DELETE /d HTTP/1.1\r\nHost: a\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_DELETE, .path = "/d", .minor = 1,
	    .keep_alive = true, .host = "a") },
	{ "PATCH", GOOD("PATCH /d HTTP/1.1\r\nHost: a\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_PATCH, .path = "/d", .minor = 1,
	    .keep_alive = true, .host = "a") },
	{ "TRACE", GOOD("TRACE /d HTTP/1.0\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_TRACE, .path = "/d", .minor = 0) },
	{ "CONNECT origin-form", GOOD("CONNECT / HTTP/1.0\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_CONNECT, .path = "/", .minor = 0) },
	{ "expect 100-continue",
	  GOOD("PUT /u HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
	       "Content-Length: 3\r\n\r\n", "abc"),
	  X(.method = HTTP_METHOD_PUT, .path = "/u", .minor = 1,
	    .keep_alive = true, .expect_continue = true,
	    .body = HTTP_BODY_LENGTH, .content_length = 3, .host = "a") },
	{ "expect ignored in 1.0",
	  GOOD("PUT /u HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_PUT, .path = "/u", .minor = 0) },
	{ "OWS stripped, empty value",
	  GOOD("GET / HTTP/1.1\r\nHost: \t a \t\r\nX-Empty:\r\n"
	       "Range:bytes=0-1\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "a", .range = "bytes=0-1",
	    .header_count = 3) },
	{ "empty Host", GOOD("GET / HTTP/1.1\r\nHost:\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "") },
	{ "Host IPv6 with port",
	  GOOD("GET / HTTP/1.1\r\nHOST: [::1]:8080\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "[::1]:8080") },
	{ "Host name with port",
	  GOOD("GET / HTTP/1.1\r\nhost: www.Example-1.org:80\r\n\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "www.Example-1.org:80") },
	{ "obs-text and tab in value",
	  GOOD("GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: caf\xc3\xa9\tx\xff\r\n"
	       "\r\n", "") },
	{ "64 headers", GOOD("GET / HTTP/1.1\r\nHost: a\r\n" H63 "\r\n", ""),
	  X(.method = HTTP_METHOD_GET, .path = "/", .minor = 1,
	    .keep_alive = true, .host = "a",
	    .header_count = HTTP_MAX_HEADERS) },
	{ "head exactly max_head", GOOD(HEAD30, "more"),
	  .max_head = sizeof(HEAD30) - 1 },
};

static const struct pcase request_line_errors[] = {
	{ "no host line at all", BAD("GET / HTTP/1.1\r\n\r\n", 400) },
	{ "two SP after method", BAD("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "two SP after target", BAD("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "leading SP", BAD(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "HTAB separator", BAD("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "bad method char", BAD("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "NUL in method", BAD("G\0ET / HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "trailing SP", BAD("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400) },
	{ "HTTP/0.9 request", BAD("GET /\r\n\r\n", 400) },
	{ "method only", BAD("GET\r\n\r\n", 400) },
	{ "lowercase version", BAD("GET / http/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "version too long", BAD("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400) },
	{ "version without dot", BAD("GET / HTTP/11\r\nHost: a\r\n\r\n", 400) },
	{ "version short", BAD("GET / HTTP/1.\r\nHost: a\r\n\r\n", 400) },
	{ "version two digits", BAD("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400) },
	{ "version 2.0", BAD("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505) },
	{ "version 0.9", BAD("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505) },
	{ "version 9.1", BAD("GET / HTTP/9.1\r\nHost: a\r\n\r\n", 505) },
	{ "1.2 needs Host like 1.1", BAD("GET / HTTP/1.2\r\n\r\n", 400) },
	{ "version 3.0, no headers yet", BAD("GET / HTTP/3.0\r\n", 505) },
	{ "target not origin-form", BAD("GET a HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "asterisk with GET", BAD("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "asterisk and more", BAD("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n",
				   400) },
	{ "other scheme", BAD("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "absolute-form empty host",
	  BAD("GET http:///p HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "absolute-form userinfo",
	  BAD("GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "authority-form", BAD("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n",
				400) },
	{ "control in target", BAD("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
				   400) },
	{ "DEL in target", BAD("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "8-bit byte in target",
	  BAD("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "fragment", BAD("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "bare CR in target", BAD("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400) },
	{ "CR CR LF", BAD("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400) },
	{ "bare CR before request line", BAD("\rGET / HTTP/1.1\r\n\r\n", 400) },
	{ "TLS handshake", BAD("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
			       400) },
};

static const struct pcase field_errors[] = {
	{ "missing Host in 1.1",
	  BAD("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400) },
	{ "two Host", BAD("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400) },
	{ "Host with space", BAD("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400) },
	{ "Host with slash", BAD("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400) },
	{ "Host with userinfo",
	  BAD("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400) },
	{ "Host port only", BAD("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400) },
	{ "Host bad port", BAD("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400) },
	{ "Host unclosed IPv6",
	  BAD("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400) },
	{ "Host in 1.0 checked too",
	  BAD("GET / HTTP/1.0\r\nHost: a?b\r\n\r\n", 400) },
	{ "space before colon",
	  BAD("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400) },
	{ "tab before colon",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\nX\t: a\r\n\r\n", 400) },
	{ "no colon", BAD("GET / HTTP/1.1\r\nHost: a\r\nFoo\r\n\r\n", 400) },
	{ "empty name", BAD("GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", 400) },
	{ "bad name char",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\nX(y: z\r\n\r\n", 400) },
	{ "8-bit name", BAD("GET / HTTP/1.1\r\nHost: a\r\n\xc3: z\r\n\r\n", 400) },
	{ "obs-fold",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400) },
	{ "obs-fold with tab",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", 400) },
	{ "whitespace before first field",
	  BAD("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400) },
	{ "NUL in value",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400) },
	{ "bare CR in value",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400) },
	{ "CR CR LF in value",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n", 400) },
	{ "bare CR as the empty line",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\n\rX", 400) },
	{ "control in value",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", 400) },
	{ "DEL in value",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400) },
	{ "65 headers",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\n" H64 "\r\n", 431) },
	{ "65 headers, rest unsent",
	  BAD("GET / HTTP/1.1\r\nHost: a\r\n" H64, 431) },
};

static const struct pcase framing_errors[] = {
	{ "CL with sign",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400) },
	{ "CL negative",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n", 400) },
	{ "CL inner space",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\n",
	      400) },
	{ "CL trailing junk",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\n", 400) },
	{ "CL hex",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n",
	      400) },
	{ "CL empty",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400) },
	{ "CL overflow",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\n"
	      "Content-Length: 18446744073709551616\r\n\r\n", 400) },
	{ "CL repeated, different",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	      "Content-Length: 6\r\n\r\n", 400) },
	{ "CL list, different",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n",
	      400) },
	{ "CL list, empty element",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,,5\r\n\r\n",
	      400) },
	{ "TE and CL",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	      "Content-Length: 5\r\n\r\n", 400) },
	{ "CL and TE",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	      "Transfer-Encoding: chunked\r\n\r\n", 400) },
	{ "TE not chunked",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
	      400) },
	{ "TE chunked not last",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\n"
	      "Transfer-Encoding: chunked, gzip\r\n\r\n", 400) },
	{ "TE chunked twice",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\n"
	      "Transfer-Encoding: chunked, chunked\r\n\r\n", 400) },
	{ "TE chunked in two fields",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	      "Transfer-Encoding: chunked\r\n\r\n", 400) },
	{ "TE empty",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400) },
	{ "TE chunked with parameter",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\n"
	      "Transfer-Encoding: chunked;x=1\r\n\r\n", 400) },
	{ "TE bad coding syntax",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\n"
	      "Transfer-Encoding: g zip, chunked\r\n\r\n", 400) },
	{ "TE in 1.0",
	  BAD("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400) },
	{ "TE unknown coding before chunked",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\n"
	      "Transfer-Encoding: gzip, chunked\r\n\r\n", 501) },
	{ "TE unknown coding in an earlier field",
	  BAD("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x;q=1\r\n"
	      "Transfer-Encoding: Chunked\r\n\r\n", 501) },
};

static const struct pcase limit_errors[] = {
	{ "long request line", BAD("GET /" LONG40 " HTTP/1.1\r\nHost: a\r\n\r\n",
				   414), .max_head = 32 },
	{ "long request line, unfinished", BAD("GET /" LONG40, 414),
	  .max_head = 32 },
	{ "long header", BAD("GET / HTTP/1.1\r\nHost: a\r\nX: " LONG40 "\r\n\r\n",
			     431), .max_head = 32 },
	{ "long header, unfinished", BAD("GET / HTTP/1.1\r\nX: " LONG40, 431),
	  .max_head = 32 },
	{ "request line ends at max_head", BAD(HEAD30, 431),
	  .max_head = sizeof(RL19) - 1 },
	{ "request line LF past max_head", BAD(HEAD30, 414),
	  .max_head = sizeof(RL19) - 2 },
	{ "head one byte over", BAD(HEAD30, 431),
	  .max_head = sizeof(HEAD30) - 2 },
	{ "only empty lines", BAD("\r\n\r\n\r\n\r\n\r\n\r\n", 414),
	  .max_head = 8 },
	{ "syntax error before the limit wins",
	  BAD("GET / HTTP/1.1\r\nX : " LONG40, 400), .max_head = 32 },
};

static bool in_range(const char *p, const char *lo, size_t len)
{
	return p >= lo && p <= lo + len;
}

static void check_str(const struct pcase *c, const char *field,
		      struct http_str got, const char *want)
{
	if (want == NULL) {
		if (got.p != NULL || got.len != 0)
			fail_msg("%s: %s: want absent, got \"%.*s\"", c->name,
				 field, (int)got.len, got.p ? got.p : "");
		return;
	}
	if (got.p == NULL || got.len != strlen(want) ||
	    memcmp(got.p, want, got.len) != 0)
		fail_msg("%s: %s: want \"%s\", got \"%.*s\"%s", c->name, field,
			 want, (int)got.len, got.p ? got.p : "",
			 got.p ? "" : " (NULL)");
}

static void check_fields(const struct pcase *c, const char *b,
			 const struct http_request *r)
{
	const struct expect *x = c->x;

	/* Every string points into the caller's buffer (the "/" of an
	 * absolute-form target without a path is the one exception). */
	assert_true(in_range(r->method_name.p, b, c->len));
	assert_true(in_range(r->target.p, b, c->len));
	assert_true(in_range(r->path.p, b, c->len) ||
		    (r->path.len == 1 && r->path.p[0] == '/'));
	assert_true(r->query.p == NULL || in_range(r->query.p, b, c->len));
	for (size_t i = 0; i < r->header_count; i++) {
		assert_true(in_range(r->headers[i].name.p, b, c->len));
		assert_true(in_range(r->headers[i].value.p, b, c->len));
	}
	if (x == NULL)
		return;
	if (r->method != x->method)
		fail_msg("%s: method %d, want %d", c->name, r->method,
			 x->method);
	if (x->method_name != NULL)
		check_str(c, "method_name", r->method_name, x->method_name);
	check_str(c, "path", r->path, x->path);
	check_str(c, "query", r->query, x->query);
	check_str(c, "host", r->host, x->host);
	check_str(c, "range", r->range, x->range);
	if (r->version_minor != x->minor || r->keep_alive != x->keep_alive ||
	    r->expect_continue != x->expect_continue || r->body != x->body ||
	    r->content_length != x->content_length)
		fail_msg("%s: minor %d keep_alive %d expect %d body %d cl %llu",
			 c->name, r->version_minor, r->keep_alive,
			 r->expect_continue, r->body,
			 (unsigned long long)r->content_length);
	if (x->header_count != 0 && r->header_count != x->header_count)
		fail_msg("%s: %zu headers, want %zu", c->name, r->header_count,
			 x->header_count);
}

/* Whole, then every prefix. A prefix may answer "need more" or the very
 * error of the whole input; once it has answered, longer prefixes agree.
 * A good head is never reported complete early. */
static void run_case(const struct pcase *c)
{
	size_t max_head = c->max_head != 0 ? c->max_head : MAX_HEAD;
	struct http_request req;
	const char *b = at_guard(c->in, c->len);
	long r = http_parse_request(b, c->len, max_head, &req);
	long seen = 0;

	if (r != c->want)
		fail_msg("%s: whole: got %ld, want %ld", c->name, r, c->want);
	if (r > 0)
		check_fields(c, b, &req);

	for (size_t n = 0; n <= c->len; n++) {
		b = at_guard(c->in, n);
		r = http_parse_request(b, n, max_head, &req);
		if (c->want > 0) {
			long want = n < (size_t)c->want ? 0 : c->want;
			if (r != want)
				fail_msg("%s: prefix %zu: got %ld, want %ld",
					 c->name, n, r, want);
			continue;
		}
		if (seen != 0 && r != seen)
			fail_msg("%s: prefix %zu: got %ld after %ld", c->name, n,
				 r, seen);
		if (r != 0 && r != c->want)
			fail_msg("%s: prefix %zu: got %ld, want 0 or %ld",
				 c->name, n, r, c->want);
		seen = r;
	}
}

static void run_table(const struct pcase *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_case(&t[i]);
}

#define RUN_TABLE(t) run_table(t, sizeof(t) / sizeof((t)[0]))

static void test_good_requests(void **state)
{
	RUN_TABLE(good_cases);
}

static void test_request_line_errors(void **state)
{
	RUN_TABLE(request_line_errors);
}

static void test_field_errors(void **state)
{
	RUN_TABLE(field_errors);
}

static void test_framing_errors(void **state)
{
	RUN_TABLE(framing_errors);
}

static void test_limit_errors(void **state)
{
	RUN_TABLE(limit_errors);
}

static void test_known_fields(void **state)
{
	static const char in[] =
		"GET /k HTTP/1.1\r\n"
		"host: h\r\n"
		"If-None-Match: \"a\", \"b\"\r\n"
		"IF-MODIFIED-SINCE: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		"If-Match: *\r\n"
		"If-Unmodified-Since: Mon, 07 Nov 1994 08:49:37 GMT\r\n"
		"If-Range: \"e\"\r\n"
		"Range: bytes=1-2\r\n"
		"Range: bytes=3-4\r\n"
		"Accept: text/html\r\n"
		"Accept-Encoding: gzip\r\n"
		"User-Agent: t/1\r\n"
		"Referer: http://r/\r\n"
		"X-Other: o\r\n"
		"\r\n";
	const struct pcase c = { "known fields", in, sizeof(in) - 1,
				 sizeof(in) - 1, 0, NULL };
	struct http_request r;
	const char *b = at_guard(in, sizeof(in) - 1);

	assert_int_equal(http_parse_request(b, c.len, MAX_HEAD, &r), c.want);
	check_fields(&c, b, &r);
	check_str(&c, "host", r.host, "h");
	check_str(&c, "if_none_match", r.if_none_match, "\"a\", \"b\"");
	check_str(&c, "if_modified_since", r.if_modified_since,
		  "Sun, 06 Nov 1994 08:49:37 GMT");
	check_str(&c, "if_match", r.if_match, "*");
	check_str(&c, "if_unmodified_since", r.if_unmodified_since,
		  "Mon, 07 Nov 1994 08:49:37 GMT");
	check_str(&c, "if_range", r.if_range, "\"e\"");
	check_str(&c, "range (first kept)", r.range, "bytes=1-2");
	check_str(&c, "accept", r.accept, "text/html");
	check_str(&c, "accept_encoding", r.accept_encoding, "gzip");
	check_str(&c, "user_agent", r.user_agent, "t/1");
	check_str(&c, "referer", r.referer, "http://r/");
	assert_int_equal(r.header_count, 13);
	check_str(&c, "last name", r.headers[12].name, "X-Other");
	check_str(&c, "last value", r.headers[12].value, "o");

	/* And all absent. */
	b = at_guard("GET / HTTP/1.0\r\n\r\n", 18);
	assert_int_equal(http_parse_request(b, 18, MAX_HEAD, &r), 18);
	check_str(&c, "absent host", r.host, NULL);
	check_str(&c, "absent inm", r.if_none_match, NULL);
	check_str(&c, "absent referer", r.referer, NULL);
	assert_int_equal(r.header_count, 0);
}

/* Inputs too big to write out: a long request line with a small limit, and
 * many leading empty lines. */
static void test_generated(void **state)
{
	static char big[4096 + 64];
	struct http_request r;
	const char *b;
	size_t n;

	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', 4000);
	n = 4005;
	memcpy(big + n, " HTTP/1.1\r\nHost: a\r\n\r\n", 22);
	n += 22;
	b = at_guard(big, n);
	assert_int_equal(http_parse_request(b, n, n, &r), (long)n);
	assert_int_equal(r.path.len, 4001);
	assert_int_equal(http_parse_request(b, n, 4000, &r), -414);
	assert_int_equal(http_parse_request(b, n - 1, n, &r), 0);

	for (n = 0; n < 4000; n += 2)
		memcpy(big + n, "\r\n", 2);
	memcpy(big + n, "GET / HTTP/1.0\r\n\r\n", 18);
	n += 18;
	b = at_guard(big, n);
	assert_int_equal(http_parse_request(b, n, MAX_HEAD, &r), (long)n);
	assert_int_equal(http_parse_request(b, n, 4000, &r), -414);
}

static void test_str_eq_nocase(void **state)
{
	struct http_str s = { "Keep-Alive", 10 };
	struct http_str empty = { NULL, 0 };

	assert_true(http_str_eq_nocase(s, "keep-alive"));
	assert_true(http_str_eq_nocase(s, "KEEP-ALIVE"));
	assert_false(http_str_eq_nocase(s, "keep-aliv"));
	assert_false(http_str_eq_nocase(s, "keep-alivee"));
	assert_false(http_str_eq_nocase(s, "keep_alive"));
	assert_true(http_str_eq_nocase(empty, ""));
	assert_false(http_str_eq_nocase(empty, "a"));
	s.len = 4;
	assert_true(http_str_eq_nocase(s, "keep"));
	/* '@' and '`' sit next to the letters; they must not fold. */
	s.p = "@";
	s.len = 1;
	assert_false(http_str_eq_nocase(s, "`"));
}

/* ---- chunked table ---------------------------------------------------- */

struct ccase {
	const char *name;
	const char *in;
	size_t len;
	uint64_t max_body;
	long want;      /* bytes consumed, or -1 */
	bool done;      /* when want >= 0 */
	uint64_t total; /* when want >= 0 */
	bool too_large; /* when want < 0: the limit (413), not malformed (400) */
};

#define BODY_MAX 1000000
#define IN(s) .in = s, .len = sizeof(s) - 1
/* A complete body, then bytes that belong to the next request. */
#define CHUNKS(body, rest, tot) .in = body rest, \
	.len = sizeof(body rest) - 1, .max_body = BODY_MAX, \
	.want = sizeof(body) - 1, .done = true, .total = tot
#define CHUNK_BAD(body) .in = body, .len = sizeof(body) - 1, \
	.max_body = BODY_MAX, .want = -1

static const struct ccase chunk_cases[] = {
	{ "last chunk only", CHUNKS("0\r\n\r\n", "", 0) },
	{ "one chunk", CHUNKS("5\r\nhello\r\n0\r\n\r\n", "", 5) },
	{ "two chunks", CHUNKS("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", "", 5) },
	{ "hex sizes", CHUNKS("a\r\n0123456789\r\nA\r\n0123456789\r\n"
			      "0000\r\n\r\n", "", 20) },
	{ "leading zeros", CHUNKS("0005\r\nhello\r\n0\r\n\r\n", "", 5) },
	{ "bare LF", CHUNKS("5\nhello\n0\n\n", "", 5) },
	{ "CRLF in data is data", CHUNKS("4\r\n\r\n\r\n\r\n0\r\n\r\n", "", 4) },
	{ "extensions",
	  CHUNKS("5;name=val;q=\"a b\"\r\nhello\r\n0;last\r\n\r\n", "", 5) },
	{ "BWS before extension", CHUNKS("5 \t;x\r\nhello\r\n0\r\n\r\n", "", 5) },
	{ "trailers", CHUNKS("1\r\nx\r\n0\r\nX-Sum: abc\r\nY:z\n\r\n", "", 1) },
	{ "stops at the end",
	  CHUNKS("3\r\nabc\r\n0\r\n\r\n", "GET / HTTP/1.1\r\n\r\n", 3) },
	{ "stops at the end, bare LF", CHUNKS("0\n\n", "0\r\n\r\n", 0) },
	/* max_body counts the body as sent, framing included (15 bytes). */
	{ "body of exactly max_body", IN("5\r\nhello\r\n0\r\n\r\n"),
	  .max_body = 15, .want = 15, .done = true, .total = 5 },
	{ "one byte over max_body, in the final CRLF",
	  IN("5\r\nhello\r\n0\r\n\r\n"), .max_body = 14, .want = -1,
	  .too_large = true },
	{ "data alone within max_body, with its size line over",
	  IN("5\r\nhello\r\n0\r\n\r\n"), .max_body = 7, .want = -1,
	  .too_large = true },
	{ "extensions count against max_body",
	  IN("1;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nx\r\n0\r\n\r\n"),
	  .max_body = 20, .want = -1, .too_large = true },
	{ "size lines count against max_body",
	  IN("1\r\nx\r\n1\r\nx\r\n1\r\nx\r\n1\r\nx\r\n0\r\n\r\n"),
	  .max_body = 20, .want = -1, .too_large = true },
	{ "trailers count against max_body",
	  IN("0\r\nX-Pad: aaaaaaaaaaaa\r\n\r\n"), .max_body = 10, .want = -1,
	  .too_large = true },
	{ "unfinished", IN("5\r\nhel"), .max_body = BODY_MAX,
	  .want = 6, .done = false, .total = 3 },
	{ "size of 2^60 is allowed", IN("1000000000000000\r\nab"),
	  .max_body = UINT64_MAX, .want = 20, .done = false, .total = 2 },
	{ "empty size", CHUNK_BAD("\r\n5\r\nhello\r\n0\r\n\r\n") },
	{ "extension without size", CHUNK_BAD(";x\r\n") },
	{ "non-hex size", CHUNK_BAD("g\r\n") },
	{ "0x prefix", CHUNK_BAD("0x5\r\nhello\r\n0\r\n\r\n") },
	{ "negative size", CHUNK_BAD("-5\r\nhello\r\n0\r\n\r\n") },
	{ "space after size", CHUNK_BAD("5 \r\nhello\r\n0\r\n\r\n") },
	{ "size over 2^60", CHUNK_BAD("1000000000000001\r\n") },
	{ "size overflows 64 bits", CHUNK_BAD("10000000000000000\r\n") },
	{ "bare CR after size", CHUNK_BAD("5\rhello\r\n0\r\n\r\n") },
	{ "control in extension", CHUNK_BAD("5;\x01\r\nhello\r\n0\r\n\r\n") },
	{ "data too long", CHUNK_BAD("5\r\nhelloX\r\n0\r\n\r\n") },
	{ "CR then junk after data", CHUNK_BAD("5\r\nhello\rX0\r\n\r\n") },
	{ "obs-fold in trailer", CHUNK_BAD("0\r\nX: a\r\n b\r\n\r\n") },
	{ "NUL in trailer", CHUNK_BAD("0\r\nX: a\0\r\n\r\n") },
	{ "bare CR in trailer", CHUNK_BAD("0\r\nX: a\rb\r\n\r\n") },
	{ "bare CR at the end", CHUNK_BAD("0\r\n\rX") },
	{ "trailer line without a colon", CHUNK_BAD("0\r\nhello\r\n\r\n") },
	{ "trailer line without a colon, bare LF", CHUNK_BAD("0\nhello\n\n") },
	{ "space before colon in trailer", CHUNK_BAD("0\r\nX : a\r\n\r\n") },
	{ "empty name in trailer", CHUNK_BAD("0\r\n: a\r\n\r\n") },
	{ "trailer with empty value", CHUNKS("0\r\nX:\r\nY: \r\n\r\n", "", 0) },
	{ "over max_body", IN("5\r\nhello\r\n0\r\n\r\n"),
	  .max_body = 4, .want = -1, .too_large = true },
	{ "over max_body in the second chunk",
	  IN("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"), .max_body = 5,
	  .want = -1, .too_large = true },
};

static void check_chunked(const struct ccase *c, const char *how, long got,
			  bool done, const struct http_chunked *ch)
{
	uint64_t total = ch->total;

	if (got != c->want)
		fail_msg("%s: %s: consumed %ld, want %ld", c->name, how, got,
			 c->want);
	if (c->want < 0 && ch->too_large != c->too_large)
		fail_msg("%s: %s: too_large %d, want %d", c->name, how,
			 ch->too_large, c->too_large);
	if (c->want >= 0 && (done != c->done || total != c->total))
		fail_msg("%s: %s: done %d total %llu, want %d %llu", c->name,
			 how, done, (unsigned long long)total, c->done,
			 (unsigned long long)c->total);
}

/* Feeds in[0..split) then the rest; returns the total consumed or -1. */
static long feed_split(const struct ccase *c, size_t split,
		       struct http_chunked *ch, bool *done)
{
	long r1, r2;

	http_chunked_init(ch);
	r1 = http_chunked_feed(ch, at_guard(c->in, split), split, c->max_body,
			       done);
	if (r1 < 0)
		return -1;
	if (*done) {
		/* Done means nothing more is taken. */
		r2 = http_chunked_feed(ch, at_guard(c->in + r1, c->len - r1),
				       c->len - (size_t)r1, c->max_body, done);
		assert_int_equal(r2, 0);
		assert_true(*done);
		return r1;
	}
	assert_int_equal(r1, (long)split);
	r2 = http_chunked_feed(ch, at_guard(c->in + split, c->len - split),
			       c->len - split, c->max_body, done);
	return r2 < 0 ? -1 : r1 + r2;
}

static void run_chunk_case(const struct ccase *c)
{
	struct http_chunked ch;
	bool done = false;
	long sum = 0, r = 0;
	char how[32];

	for (size_t split = 0; split <= c->len; split++) {
		r = feed_split(c, split, &ch, &done);
		snprintf(how, sizeof(how), "split at %zu", split);
		check_chunked(c, how, r, done, &ch);
	}

	http_chunked_init(&ch);
	done = false;
	for (size_t i = 0; i < c->len; i++) {
		r = http_chunked_feed(&ch, at_guard(c->in + i, 1), 1,
				      c->max_body, &done);
		if (r < 0)
			break;
		sum += r;
		if (done && r == 0)
			break; /* the byte belongs to what follows */
	}
	check_chunked(c, "byte by byte", r < 0 ? -1 : sum, done, &ch);
	if (r < 0) {
		/* An error sticks. */
		assert_int_equal(http_chunked_feed(&ch, "0\r\n\r\n", 5,
						   c->max_body, &done), -1);
	}
}

static void test_chunked_table(void **state)
{
	for (size_t i = 0; i < sizeof(chunk_cases) / sizeof(chunk_cases[0]);
	     i++)
		run_chunk_case(&chunk_cases[i]);
}

static void test_chunked_limits(void **state)
{
	static char in[HTTP_CHUNK_TRAILER_MAX + 64];
	struct http_chunked ch;
	bool done;
	size_t n;

	/* An extension may fill the size line up to the limit, not past. */
	memcpy(in, "1;", 2);
	memset(in + 2, 'e', HTTP_CHUNK_LINE_MAX - 3);
	n = HTTP_CHUNK_LINE_MAX - 1;
	memcpy(in + n, "\nx\n0\n\n", 6);
	http_chunked_init(&ch);
	assert_int_equal(http_chunked_feed(&ch, at_guard(in, n + 6), n + 6,
					   BODY_MAX, &done), (long)(n + 6));
	assert_true(done);

	memset(in + 2, 'e', HTTP_CHUNK_LINE_MAX);
	http_chunked_init(&ch);
	assert_int_equal(http_chunked_feed(&ch, at_guard(in, 4000), 4000,
					   BODY_MAX, &done), 4000);
	assert_int_equal(http_chunked_feed(&ch, at_guard(in + 4000, 200), 200,
					   BODY_MAX, &done), -1);

	/* The trailer section as a whole is bounded. */
	memcpy(in, "0\r\n", 3);
	for (n = 3; n + 8 <= HTTP_CHUNK_TRAILER_MAX + 16; n += 8)
		memcpy(in + n, "X-T: 1\r\n", 8);
	memcpy(in + n, "\r\n", 2);
	n += 2;
	http_chunked_init(&ch);
	assert_int_equal(http_chunked_feed(&ch, at_guard(in, n), n, BODY_MAX,
					   &done), -1);
	assert_false(done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_requests),
		cmocka_unit_test(test_request_line_errors),
		cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_framing_errors),
		cmocka_unit_test(test_limit_errors),
		cmocka_unit_test(test_known_fields),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_str_eq_nocase),
		cmocka_unit_test(test_chunked_table),
		cmocka_unit_test(test_chunked_limits),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
