/* Unit tests for src/util/chars.h: every byte's class against the RFC
 * definitions written out here a second way. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/chars.h"

static void test_classes_all_bytes(void **state)
{
	(void)state;
	for (int i = 0; i < 256; i++) {
		unsigned char c = (unsigned char)i;
		bool digit = c >= '0' && c <= '9';
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		bool hex = digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		bool tchar = digit || alpha || (c && strchr("!#$%&'*+-.^_`|~", c));
		bool unreserved = digit || alpha || (c && strchr("-._~", c));

		if (chars_is_digit(c) != digit || chars_is_alpha(c) != alpha ||
		    chars_is_hex(c) != hex || chars_is_tchar(c) != tchar ||
		    chars_is_vchar(c) != (c > 0x20 && c < 0x7f) ||
		    chars_is_unreserved(c) != unreserved ||
		    chars_is_ows(c) != (c == ' ' || c == '\t') ||
		    chars_is_space(c) != (c && strchr(" \t\n\v\f\r", c) != NULL))
			fail_msg("byte 0x%02x misclassified", i);
		if (chars_hex_value(c) != (hex ? (digit ? c - '0' : (c | 0x20) - 'a' + 10) : -1))
			fail_msg("byte 0x%02x: hex value %d", i, chars_hex_value(c));
		if (chars_lower(c) != (c >= 'A' && c <= 'Z' ? c + 32 : c))
			fail_msg("byte 0x%02x lowered to 0x%02x", i, chars_lower(c));
	}
}

static void test_eq_nocase(void **state)
{
	(void)state;
	assert_true(chars_eq_nocase("Keep-Alive", 10, "keep-alive", 10));
	assert_true(chars_eq_nocase("", 0, "", 0));
	assert_false(chars_eq_nocase("keep-alive", 10, "keep-alivE ", 11));
	assert_false(chars_eq_nocase("gzip", 4, "gzi", 3));
	/* Only ASCII folds: 0xc9 is not 0xe9. */
	assert_false(chars_eq_nocase("\xc9", 1, "\xe9", 1));
	/* '@' and '`' differ from 'A' and 'a' by 0x20 but are not letters. */
	assert_false(chars_eq_nocase("@", 1, "`", 1));

	assert_true(chars_eq_nocase_str("CHUNKED", 7, "chunked"));
	assert_false(chars_eq_nocase_str("chunked", 6, "chunked"));
	assert_false(chars_eq_nocase_str("chunk", 5, "chunked"));
	assert_true(chars_eq_nocase_str("x", 0, ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes_all_bytes),
		cmocka_unit_test(test_eq_nocase),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
