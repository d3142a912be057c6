/* Unit tests for src/util/escape.c: HTML, JSON (invalid UTF-8 becomes
 * U+FFFD) and URL path segments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/escape.h"

/* s as a JSON string, quotes included, as the status report writes it. */
static void json_string(struct bytes *b, const char *s, size_t n)
{
	bytes_char(b, '"');
	escape_json(b, s, n);
	bytes_char(b, '"');
}

static void test_json_string_escapes(void **state)
{
	struct bytes b = { 0 };
	static const char in[] = "a\"b\\c\nd\re\tf\bg\fh\x01i\x1fj\x7fk/\xc3\xa9";

	(void)state;
	json_string(&b, in, sizeof(in) - 1);
	assert_false(b.failed);
	assert_string_equal(bytes_cstr(&b),
			    "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u001fj\x7fk/\xc3\xa9\"");
	assert_int_equal(b.len, strlen(b.p));
	bytes_free(&b);
}

static void test_json_string_nul_and_empty(void **state)
{
	struct bytes b = { 0 };

	(void)state;
	json_string(&b, "x\0y", 3);
	json_string(&b, "", 0);
	assert_false(b.failed);
	assert_int_equal(b.len, strlen("\"x\\u0000y\"\"\""));
	assert_memory_equal(b.p, "\"x\\u0000y\"\"\"", b.len);
	bytes_free(&b);
}

struct utf8_case {
	const char *in;
	const char *out;
};

/* Each byte that is not part of a well-formed sequence is one U+FFFD. */
static const struct utf8_case utf8_cases[] = {
	{ "\xc3\xa9", "\xc3\xa9" },                 /* U+00E9 */
	{ "\xe2\x82\xac", "\xe2\x82\xac" },         /* U+20AC */
	{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" }, /* U+1F600 */
	{ "\xff", "\\ufffd" },
	{ "\x80", "\\ufffd" },                      /* lone continuation */
	{ "\xc3", "\\ufffd" },                      /* cut short at the end */
	{ "\xc3(", "\\ufffd(" },                    /* cut short by ASCII */
	{ "\xc0\xaf", "\\ufffd\\ufffd" },           /* overlong '/' */
	{ "\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd" }, /* overlong, 3 bytes */
	{ "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd" }, /* surrogate U+D800 */
	{ "\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd" }, /* > U+10FFFF */
	{ "bad\xfe\xfe.txt", "bad\\ufffd\\ufffd.txt" },
};

static void test_json_invalid_utf8(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		struct bytes b = { 0 };

		escape_json(&b, utf8_cases[i].in, strlen(utf8_cases[i].in));
		if (strcmp(bytes_cstr(&b), utf8_cases[i].out) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, b.p, utf8_cases[i].out);
		bytes_free(&b);
	}
}

static void test_html_text_escapes(void **state)
{
	struct bytes b = { 0 };
	static const char in[] = "<script>alert('x' & \"y\")</script>";

	(void)state;
	escape_html(&b, in, sizeof(in) - 1);
	assert_false(b.failed);
	assert_string_equal(bytes_cstr(&b),
			    "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;");
	bytes_free(&b);
}

static void test_html_plain_and_empty(void **state)
{
	struct bytes b = { 0 };

	(void)state;
	escape_html(&b, "", 0);
	escape_html(&b, "plain \xc3\xa9 text/", 15);
	assert_string_equal(bytes_cstr(&b), "plain \xc3\xa9 text/");
	bytes_free(&b);
}

static void test_url_segment(void **state)
{
	struct bytes b = { 0 };
	static const char in[] = "a b/c?d#e%f\"<\xc3\xa9>-._~Z9";

	(void)state;
	escape_url_segment(&b, in, sizeof(in) - 1);
	assert_string_equal(bytes_cstr(&b), "a%20b%2Fc%3Fd%23e%25f%22%3C%C3%A9%3E-._~Z9");
	bytes_free(&b);
}

static void test_fixed_overflow_is_sticky(void **state)
{
	char buf[8];
	struct bytes b;

	(void)state;
	bytes_init_fixed(&b, buf, sizeof(buf));
	escape_html(&b, "<<", 2); /* 8 bytes: fits exactly */
	assert_false(b.failed);
	assert_memory_equal(b.p, "&lt;&lt;", 8);
	escape_html(&b, "x", 1);
	assert_true(b.failed);
	assert_int_equal(b.len, 8);
}

/* An escape goes in whole or not at all: no lone '%' or "\\u0" at the end. */
static void test_fixed_overflow_keeps_no_half_escape(void **state)
{
	char buf[8];
	struct bytes b;

	(void)state;
	bytes_init_fixed(&b, buf, sizeof(buf));
	escape_url_segment(&b, "abcdef ", 7); /* "%20" needs 3, 2 are left */
	assert_true(b.failed);
	assert_int_equal(b.len, 6);
	bytes_init_fixed(&b, buf, sizeof(buf));
	escape_json(&b, "ab\x01", 3); /* "\u0001" needs 6, 6 are left */
	assert_false(b.failed);
	assert_memory_equal(b.p, "ab\\u0001", 8);
	bytes_init_fixed(&b, buf, sizeof(buf));
	escape_json(&b, "abc\x01", 4);
	assert_true(b.failed);
	assert_int_equal(b.len, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_string_escapes),
		cmocka_unit_test(test_json_string_nul_and_empty),
		cmocka_unit_test(test_json_invalid_utf8),
		cmocka_unit_test(test_html_text_escapes),
		cmocka_unit_test(test_html_plain_and_empty),
		cmocka_unit_test(test_url_segment),
		cmocka_unit_test(test_fixed_overflow_is_sticky),
		cmocka_unit_test(test_fixed_overflow_keeps_no_half_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
