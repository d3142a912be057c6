/* Unit tests for src/http/cond.c: ETag making, entity-tag lists (weak and
 * strong comparison, "*"), the RFC 9110 §13.2.2 evaluation order, and
 * If-Range. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/stat.h>

#include "http/cond.h"

#define ETAG "\"1a-2b-3c\""
/* Last-Modified of the test representation, and dates around it. */
#define LM 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define LM_TEXT "Sun, 06 Nov 1994 08:49:37 GMT"
#define BEFORE_TEXT "Sun, 06 Nov 1994 08:49:36 GMT"
#define AFTER_TEXT "Sun, 06 Nov 1994 08:49:38 GMT"

static const struct cond_validators V = {
	.etag = ETAG,
	.etag_len = sizeof(ETAG) - 1,
	.last_modified = LM,
	.last_modified_strong = true,
};

static bool match(const char *list, bool strong)
{
	return cond_etag_match(list, strlen(list), ETAG, sizeof(ETAG) - 1, strong);
}

static void test_etag_make(void **state)
{
	struct stat st;
	char out[COND_ETAG_MAX];
	size_t n;

	memset(&st, 0, sizeof(st));
	st.st_ino = 0x1234;
	st.st_size = 0x10;
	st.st_mtim.tv_sec = 1;
	st.st_mtim.tv_nsec = 5;
	n = cond_etag_make(out, &st, NULL);
	assert_string_equal(out, "\"1234-10-3b9aca05\"");
	assert_int_equal(n, strlen(out));
	n = cond_etag_make(out, &st, "gz");
	assert_string_equal(out, "\"1234-10-3b9aca05-gz\"");
	assert_int_equal(n, strlen(out));

	/* A change within the same second still changes the tag. */
	st.st_mtim.tv_nsec = 6;
	cond_etag_make(out, &st, NULL);
	assert_string_equal(out, "\"1234-10-3b9aca06\"");

	/* The largest values fit. */
	st.st_ino = (ino_t)-1;
	st.st_size = INT64_MAX;
	st.st_mtim.tv_sec = INT64_MAX / 1000000000;
	st.st_mtim.tv_nsec = 999999999;
	n = cond_etag_make(out, &st, "br");
	assert_true(n < COND_ETAG_MAX);
	assert_int_equal(out[0], '"');
	assert_int_equal(out[n - 1], '"');
	assert_int_equal(n, strlen(out));
}

static void test_etag_lists(void **state)
{
	/* weak comparison (If-None-Match) */
	assert_true(match(ETAG, false));
	assert_true(match("W/" ETAG, false));
	assert_true(match("*", false));
	assert_true(match("  *  ", false));
	assert_true(match("\"x\", " ETAG, false));
	assert_true(match("\"x\",W/" ETAG ",\"y\"", false));
	assert_true(match(" , ,\"x\" ,\t" ETAG " ,", false));
	assert_false(match("\"x\"", false));
	assert_false(match("\"1a-2b-3C\"", false)); /* case-sensitive */
	assert_false(match("1a-2b-3c", false));      /* unquoted */
	assert_false(match("", false));
	assert_false(match("\"1a-2b-3c", false));
	assert_false(match("w/" ETAG, false)); /* "W/" is case-sensitive */
	/* A malformed list matches nothing, wherever the match is. */
	assert_false(match(ETAG ", x", false));
	assert_false(match(ETAG " \"y\"", false));
	assert_false(match("*, " ETAG, false));
	assert_false(match(ETAG ", *", false));
	assert_false(match("\"a b\", " ETAG, false)); /* space is not etagc */

	/* strong comparison (If-Match) */
	assert_true(match(ETAG, true));
	assert_true(match("*", true));
	assert_true(match("\"x\", " ETAG, true));
	assert_false(match("W/" ETAG, true));
	assert_false(match("W/\"x\", W/" ETAG, true));
	assert_true(match("W/" ETAG ", " ETAG, true));
}

static struct http_request request(void)
{
	struct http_request req;

	memset(&req, 0, sizeof(req));
	return req;
}

static void set(struct http_str *h, const char *v)
{
	h->p = v;
	h->len = strlen(v);
}

static void test_evaluate_single(void **state)
{
	struct http_request req = request();

	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);

	/* If-None-Match */
	set(&req.if_none_match, ETAG);
	assert_int_equal(cond_evaluate(&req, &V), COND_NOT_MODIFIED);
	set(&req.if_none_match, "W/" ETAG);
	assert_int_equal(cond_evaluate(&req, &V), COND_NOT_MODIFIED);
	set(&req.if_none_match, "*");
	assert_int_equal(cond_evaluate(&req, &V), COND_NOT_MODIFIED);
	set(&req.if_none_match, "\"other\"");
	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);

	/* If-Modified-Since: 304 when not newer */
	req = request();
	set(&req.if_modified_since, LM_TEXT);
	assert_int_equal(cond_evaluate(&req, &V), COND_NOT_MODIFIED);
	set(&req.if_modified_since, AFTER_TEXT);
	assert_int_equal(cond_evaluate(&req, &V), COND_NOT_MODIFIED);
	set(&req.if_modified_since, BEFORE_TEXT);
	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);
	set(&req.if_modified_since, "Sunday, 06-Nov-94 08:49:37 GMT"); /* RFC 850 */
	assert_int_equal(cond_evaluate(&req, &V), COND_NOT_MODIFIED);
	set(&req.if_modified_since, "Sun Nov  6 08:49:37 1994"); /* asctime */
	assert_int_equal(cond_evaluate(&req, &V), COND_NOT_MODIFIED);
	set(&req.if_modified_since, "yesterday");
	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);
	set(&req.if_modified_since, "");
	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);

	/* If-Match */
	req = request();
	set(&req.if_match, ETAG);
	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);
	set(&req.if_match, "*");
	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);
	set(&req.if_match, "W/" ETAG);
	assert_int_equal(cond_evaluate(&req, &V), COND_FAILED);
	set(&req.if_match, "\"other\"");
	assert_int_equal(cond_evaluate(&req, &V), COND_FAILED);
	set(&req.if_match, "garbage");
	assert_int_equal(cond_evaluate(&req, &V), COND_FAILED);

	/* If-Unmodified-Since: 412 when modified after the date */
	req = request();
	set(&req.if_unmodified_since, LM_TEXT);
	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);
	set(&req.if_unmodified_since, AFTER_TEXT);
	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);
	set(&req.if_unmodified_since, BEFORE_TEXT);
	assert_int_equal(cond_evaluate(&req, &V), COND_FAILED);
	set(&req.if_unmodified_since, "not a date");
	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);
}

static void test_evaluate_order(void **state)
{
	struct http_request req = request();

	/* If-Match passes: If-Unmodified-Since is not even looked at. */
	set(&req.if_match, ETAG);
	set(&req.if_unmodified_since, BEFORE_TEXT);
	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);

	/* 412 outranks 304. */
	req = request();
	set(&req.if_match, "\"other\"");
	set(&req.if_none_match, ETAG);
	assert_int_equal(cond_evaluate(&req, &V), COND_FAILED);
	req = request();
	set(&req.if_unmodified_since, BEFORE_TEXT);
	set(&req.if_modified_since, LM_TEXT);
	assert_int_equal(cond_evaluate(&req, &V), COND_FAILED);

	/* If-None-Match present: If-Modified-Since is ignored, both ways. */
	req = request();
	set(&req.if_none_match, "\"other\"");
	set(&req.if_modified_since, AFTER_TEXT);
	assert_int_equal(cond_evaluate(&req, &V), COND_PROCEED);
	set(&req.if_none_match, ETAG);
	set(&req.if_modified_since, BEFORE_TEXT);
	assert_int_equal(cond_evaluate(&req, &V), COND_NOT_MODIFIED);

	/* Passing If-Match, then If-None-Match decides. */
	req = request();
	set(&req.if_match, ETAG);
	set(&req.if_none_match, ETAG);
	assert_int_equal(cond_evaluate(&req, &V), COND_NOT_MODIFIED);
}

static bool if_range(const char *v, const struct cond_validators *val)
{
	return cond_if_range(v, strlen(v), val);
}

static void test_if_range(void **state)
{
	struct cond_validators weak_lm = V;

	weak_lm.last_modified_strong = false;

	assert_true(if_range(ETAG, &V));
	assert_false(if_range("W/" ETAG, &V));
	assert_false(if_range("\"other\"", &V));
	assert_false(if_range(ETAG ", \"x\"", &V));
	assert_false(if_range("\"1a-2b-3c", &V));
	assert_true(if_range(LM_TEXT, &V));
	assert_false(if_range(LM_TEXT, &weak_lm));
	assert_false(if_range(AFTER_TEXT, &V)); /* exact match only */
	assert_false(if_range(BEFORE_TEXT, &V));
	assert_false(if_range("", &V));
	assert_false(if_range("tomorrow", &V));
	assert_false(if_range("*", &V));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_etag_make),
		cmocka_unit_test(test_etag_lists),
		cmocka_unit_test(test_evaluate_single),
		cmocka_unit_test(test_evaluate_order),
		cmocka_unit_test(test_if_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
