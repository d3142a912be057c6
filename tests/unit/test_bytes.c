/* Unit tests for src/util/bytes.c: the byte builder, heap and fixed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"

static void test_printf_grows(void **state)
{
	struct bytes b = { 0 };
	char big[5000];

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 10; i++)
		bytes_printf(&b, "%d:%s;", i, big);
	assert_false(b.failed);
	assert_int_equal(b.len, 10 * (2 + 4999 + 1));
	assert_int_equal(b.p[b.len], '\0');
	assert_memory_equal(b.p + b.len - 3, "zz;", 3);
	bytes_free(&b);
}

static void test_numbers(void **state)
{
	struct bytes b = { 0 };

	(void)state;
	bytes_u64(&b, 0);
	bytes_char(&b, ' ');
	bytes_u64(&b, 18446744073709551615u);
	bytes_char(&b, ' ');
	bytes_u64_pad(&b, 7, 4);
	bytes_char(&b, ' ');
	bytes_u64_pad(&b, 12345, 2);
	assert_string_equal(bytes_cstr(&b), "0 18446744073709551615 0007 12345");
	bytes_free(&b);
}

/* Every digit count, and both sides of each pair boundary, against
 * printf. */
static void test_numbers_like_printf(void **state)
{
	static const uint64_t vs[] = { 1, 9, 10, 11, 12, 99, 100, 101, 999, 1000, 1009, 65535,
				       99999, 100000, 1234567, 10000000000u, 18446744073709551614u };
	char want[48], got[21];

	(void)state;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		struct bytes b = { 0 };

		snprintf(want, sizeof(want), "%llu %06llu", (unsigned long long)vs[i],
			 (unsigned long long)vs[i]);
		bytes_u64(&b, vs[i]);
		bytes_char(&b, ' ');
		bytes_u64_pad(&b, vs[i], 6);
		assert_string_equal(bytes_cstr(&b), want);
		bytes_free(&b);
		*bytes_u64_at(got, vs[i]) = '\0';
		assert_int_equal(strncmp(got, want, strlen(got)), 0);
		assert_int_equal(want[strlen(got)], ' ');
	}
}

static void test_fixed_never_allocates(void **state)
{
	char buf[6];
	struct bytes b;

	(void)state;
	bytes_init_fixed(&b, buf, sizeof(buf));
	BYTES_LIT(&b, "abc");
	bytes_str(&b, "def");
	assert_false(b.failed);
	assert_ptr_equal(b.p, buf);
	bytes_printf(&b, "%d", 1); /* no room left, not even for the NUL */
	assert_true(b.failed);
	BYTES_LIT(&b, "");
	assert_true(b.failed); /* sticky */
	assert_memory_equal(buf, "abcdef", 6);
	assert_null(bytes_cstr(&b));
}

static void test_steal(void **state)
{
	struct bytes b = { 0 };
	size_t len = 0;
	char *p;

	(void)state;
	BYTES_LIT(&b, "hello");
	p = bytes_steal(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 5);
	assert_string_equal(p, "hello");
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printf_grows),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_numbers_like_printf),
		cmocka_unit_test(test_fixed_never_allocates),
		cmocka_unit_test(test_steal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
