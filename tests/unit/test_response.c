/* Unit tests for src/http/response.c: the status table, fields, body
 * segments and the cursor a second serializer (HTTP/2) pulls the body
 * with, holds, and the error page. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/response.h"

static void test_status_table(void **state)
{
	static const struct {
		enum http_status s;
		const char *reason;
		bool closes;
	} cases[] = {
		{ HTTP_CONTINUE, "Continue", false },
		{ HTTP_OK, "OK", false },
		{ HTTP_NO_CONTENT, "No Content", false },
		{ HTTP_PARTIAL_CONTENT, "Partial Content", false },
		{ HTTP_MOVED_PERMANENTLY, "Moved Permanently", false },
		{ HTTP_NOT_MODIFIED, "Not Modified", false },
		{ HTTP_BAD_REQUEST, "Bad Request", true },
		{ HTTP_FORBIDDEN, "Forbidden", false },
		{ HTTP_NOT_FOUND, "Not Found", false },
		{ HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed", false },
		{ HTTP_REQUEST_TIMEOUT, "Request Timeout", true },
		{ HTTP_PRECONDITION_FAILED, "Precondition Failed", false },
		{ HTTP_CONTENT_TOO_LARGE, "Content Too Large", true },
		{ HTTP_URI_TOO_LONG, "URI Too Long", true },
		{ HTTP_RANGE_NOT_SATISFIABLE, "Range Not Satisfiable", false },
		{ HTTP_HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large", true },
		{ HTTP_INTERNAL_SERVER_ERROR, "Internal Server Error", true },
		{ HTTP_NOT_IMPLEMENTED, "Not Implemented", false },
		{ HTTP_SERVICE_UNAVAILABLE, "Service Unavailable", false },
		{ HTTP_VERSION_NOT_SUPPORTED, "HTTP Version Not Supported", true },
	};

	(void)state;
	assert_int_equal(HTTP_NOT_FOUND, 404); /* the enum is the code */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(http_status_reason(cases[i].s), cases[i].reason);
		if (http_status_closes(cases[i].s) != cases[i].closes)
			fail_msg("status %d: closes=%d", cases[i].s, !cases[i].closes);
	}
	assert_string_equal(http_status_reason((enum http_status)299), "Unknown");
	assert_string_equal(http_status_reason((enum http_status)1000), "Unknown");
	assert_false(http_status_closes((enum http_status)1000));
}

static void test_field_names(void **state)
{
	(void)state;
	for (int id = 0; id < HTTP_F_COUNT; id++) {
		const char *n = http_field_name((enum http_field_id)id);
		const char *l = http_field_lname((enum http_field_id)id);

		assert_non_null(n);
		assert_int_equal(strlen(n), http_field_name_len((enum http_field_id)id));
		assert_int_equal(strlen(l), strlen(n));
		for (size_t k = 0; n[k]; k++)
			assert_int_equal(l[k], n[k] >= 'A' && n[k] <= 'Z' ? n[k] + 32 : n[k]);
	}
	assert_string_equal(http_field_name(HTTP_F_ETAG), "ETag");
	assert_string_equal(http_field_lname(HTTP_F_ETAG), "etag");
}

static void test_fields_in_order(void **state)
{
	struct http_response r;
	char v[] = "W/\"x\"";
	const struct http_field *f;

	(void)state;
	http_response_init(&r, false);
	http_response_field(&r, HTTP_F_ETAG, v, 5);
	v[0] = 'Z'; /* copied: the caller's buffer may change */
	http_response_field_u64(&r, HTTP_F_CACHE_CONTROL, "public, max-age=", 3600);
	HTTP_RESPONSE_FIELD_LIT(&r, HTTP_F_VARY, "Accept-Encoding");
	assert_false(r.failed);
	assert_int_equal(r.nfields, 3);
	assert_int_equal(r.fields[0].id, HTTP_F_ETAG);
	assert_memory_equal(r.fields[0].value, "W/\"x\"", 5);
	assert_int_equal(r.fields[1].value_len, strlen("public, max-age=3600"));
	assert_memory_equal(r.fields[1].value, "public, max-age=3600", r.fields[1].value_len);
	f = http_response_find(&r, HTTP_F_VARY);
	assert_non_null(f);
	assert_memory_equal(f->value, "Accept-Encoding", f->value_len);
	assert_null(http_response_find(&r, HTTP_F_LOCATION));
	http_response_free(&r);
}

static void test_bounds_set_failed(void **state)
{
	struct http_response r;

	(void)state;
	http_response_init(&r, false);
	for (int i = 0; i < HTTP_RESP_MAX_FIELDS; i++)
		HTTP_RESPONSE_FIELD_LIT(&r, HTTP_F_VARY, "x");
	assert_false(r.failed);
	HTTP_RESPONSE_FIELD_LIT(&r, HTTP_F_VARY, "x");
	assert_true(r.failed);
	http_response_free(&r);

	http_response_init(&r, false);
	for (int i = 0; i < HTTP_RESP_MAX_SEGS; i++)
		http_response_body_ref(&r, "ab", 2);
	assert_false(r.failed);
	assert_int_equal(r.content_length, 2 * HTTP_RESP_MAX_SEGS);
	http_response_body_ref(&r, "ab", 2);
	assert_true(r.failed);
	http_response_free(&r);
}

/* A temporary file holding s; its descriptor. */
static int temp_file(const char *s)
{
	char name[] = "/tmp/eisd-test-response-XXXXXX";
	int fd = mkstemp(name);

	assert_true(fd >= 0);
	unlink(name);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	return fd;
}

/* copy (in the arena), a large copy (a block), a reference, an empty
 * segment (dropped), a file range. */
static void build_body(struct http_response *r, int fd, char *big, size_t bigsz)
{
	http_response_init(r, false);
	http_response_body_copy(r, "head|", 5);
	memset(big, 'b', bigsz);
	http_response_body_copy(r, big, bigsz);
	http_response_body_ref(r, "|ref|", 5);
	http_response_body_ref(r, "", 0);
	http_response_body_file(r, fd, 2, 6); /* "cdefgh" */
}

static void test_body_pull_in_chunks(void **state)
{
	int fd = temp_file("abcdefghij");
	size_t bigsz = HTTP_RESP_ARENA + 100;
	char *big = malloc(bigsz), *want = malloc(bigsz + 32), out[4096];
	struct http_response r;

	(void)state;
	build_body(&r, fd, big, bigsz);
	assert_false(r.failed);
	assert_int_equal(r.nsegs, 4);
	assert_int_equal(r.nblocks, 1);
	assert_int_equal(r.content_length, 5 + bigsz + 5 + 6);
	memcpy(want, "head|", 5);
	memcpy(want + 5, big, bigsz);
	memcpy(want + 5 + bigsz, "|ref|cdefgh", 11);

	/* Every chunk size gives the same bytes, and the body can be walked
	 * again (the cursor is the caller's). */
	for (size_t chunk = 1; chunk <= 7; chunk += 3) {
		struct http_body_cursor cur = { 0 };
		size_t got = 0;
		ssize_t n;

		while ((n = http_body_pull(&r, &cur, out + got,
					   chunk < sizeof(out) - got ? chunk : sizeof(out) - got)) > 0)
			got += (size_t)n;
		assert_int_equal(n, 0);
		assert_int_equal(got, r.content_length);
		assert_memory_equal(out, want, got);
		assert_int_equal(http_body_left(&r, &cur), 0);
	}
	http_response_free(&r);
	close(fd);
	free(big);
	free(want);
}

static void test_body_peek_advance(void **state)
{
	int fd = temp_file("abcdefghij");
	char big[HTTP_RESP_ARENA + 1];
	struct http_response r;
	struct http_body_cursor cur = { 0 };
	struct http_body_piece pc;

	(void)state;
	build_body(&r, fd, big, sizeof(big));
	assert_true(http_body_peek(&r, &cur, 3, &pc));
	assert_int_equal(pc.fd, -1);
	assert_int_equal(pc.len, 3);
	assert_memory_equal(pc.p, "hea", 3);
	http_body_advance(&r, &cur, 3);
	assert_true(http_body_peek(&r, &cur, 100, &pc));
	assert_int_equal(pc.len, 2); /* never past a segment */
	http_body_advance(&r, &cur, 2);
	assert_int_equal(cur.seg, 1);
	http_body_advance(&r, &cur, sizeof(big) + 5);
	assert_int_equal(http_body_left(&r, &cur), 6);
	assert_true(http_body_peek(&r, &cur, 4, &pc));
	assert_int_equal(pc.fd, fd);
	assert_int_equal(pc.off, 2);
	assert_int_equal(pc.len, 4);
	http_body_advance(&r, &cur, 4);
	assert_true(http_body_peek(&r, &cur, 4, &pc));
	assert_int_equal(pc.off, 6);
	assert_int_equal(pc.len, 2);
	http_body_advance(&r, &cur, 2);
	assert_false(http_body_peek(&r, &cur, 4, &pc));
	http_response_free(&r);
	close(fd);
}

static void test_pull_shrunk_file(void **state)
{
	int fd = temp_file("abc");
	struct http_response r;
	struct http_body_cursor cur = { 0 };
	char out[16];

	(void)state;
	http_response_init(&r, false);
	http_response_body_file(&r, fd, 0, 10); /* the file shrank under us */
	assert_int_equal(http_body_pull(&r, &cur, out, sizeof(out)), 3);
	errno = 0;
	assert_int_equal(http_body_pull(&r, &cur, out, sizeof(out)), -1);
	assert_int_equal(errno, EIO);
	http_response_free(&r);
	close(fd);
}

static int releases;
static void *released_arg;

static void release(void *arg)
{
	releases++;
	released_arg = arg;
}

static void other_release(void *arg)
{
	(void)arg;
	releases += 100;
}

static void test_hold(void **state)
{
	struct http_response r;
	void (*fn)(void *);
	void *arg;
	int token;

	(void)state;
	releases = 0;
	http_response_init(&r, false);
	http_response_hold(&r, release, &token);
	http_response_hold(&r, release, &token); /* the same one again: fine */
	assert_false(r.failed);
	http_response_free(&r);
	assert_int_equal(releases, 1);
	assert_ptr_equal(released_arg, &token);
	http_response_free(&r); /* once only */
	assert_int_equal(releases, 1);

	http_response_init(&r, false);
	http_response_hold(&r, release, &token);
	assert_true(http_response_take_hold(&r, &fn, &arg));
	assert_false(http_response_take_hold(&r, &fn, &arg));
	http_response_free(&r);
	assert_int_equal(releases, 1); /* the taker releases now */
	fn(arg);
	assert_int_equal(releases, 2);

	/* A second, different hold cannot be kept: released at once. */
	http_response_init(&r, false);
	http_response_hold(&r, release, &token);
	http_response_hold(&r, other_release, NULL);
	assert_true(r.failed);
	assert_int_equal(releases, 102);
	http_response_free(&r);
	assert_int_equal(releases, 103);
}

static void test_error_page(void **state)
{
	struct http_response r;
	struct http_body_cursor cur = { 0, 0 };
	char page[4096];
	ssize_t n;

	(void)state;
	http_response_init(&r, true);
	HTTP_RESPONSE_FIELD_LIT(&r, HTTP_F_ALLOW, "GET, HEAD");
	assert_int_equal(http_response_error(&r, HTTP_NOT_FOUND), 0);
	assert_int_equal(r.status, 404);
	assert_true(r.head); /* kept: HEAD gets the GET's length */
	assert_int_equal(r.nfields, 1);
	assert_string_equal(r.content_type, "text/html; charset=utf-8");
	n = http_body_pull(&r, &cur, page, sizeof(page) - 1);
	assert_int_equal((uint64_t)n, r.content_length);
	page[n] = '\0';
	assert_non_null(strstr(page, "<title>404 Not Found</title>"));
	assert_non_null(strstr(page, "<h1>404 Not Found</h1>"));
	/* The listings' look: system fonts, dark mode, a way home. */
	assert_non_null(strstr(page, "system-ui"));
	assert_non_null(strstr(page, "prefers-color-scheme:dark"));
	assert_non_null(strstr(page, "<a href=\"/\">Home</a>"));
	assert_true(strncmp(page, "<!DOCTYPE html>\n", 16) == 0);
	assert_true(n > 16 && strcmp(page + n - 8, "</html>\n") == 0);

	http_response_reset(&r, HTTP_FORBIDDEN);
	assert_int_equal(r.nfields, 0);
	assert_int_equal(r.nsegs, 0);
	assert_int_equal(r.content_length, 0);
	assert_true(r.head);
	http_response_free(&r);
}

static void test_adopt_bound(void **state)
{
	struct http_response r;

	(void)state;
	http_response_init(&r, false);
	for (int i = 0; i < HTTP_RESP_MAX_BLOCKS; i++)
		assert_int_equal(http_response_adopt(&r, malloc(8)), 0);
	assert_int_equal(http_response_adopt(&r, malloc(8)), -1); /* freed, not leaked */
	assert_true(r.failed);
	http_response_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_fields_in_order),
		cmocka_unit_test(test_bounds_set_failed),
		cmocka_unit_test(test_body_pull_in_chunks),
		cmocka_unit_test(test_body_peek_advance),
		cmocka_unit_test(test_pull_shrunk_file),
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_error_page),
		cmocka_unit_test(test_adopt_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
