/* Unit tests for src/http/range.c: a table of Range values against lengths.
 * Each input is placed at the end of a page followed by an unmapped one,
 * so reading past len crashes the test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "http/range.h"

static char *guard_base;
static size_t guard_page;

static int guard_setup(void **state)
{
	guard_page = (size_t)sysconf(_SC_PAGESIZE);
	guard_base = mmap(NULL, 2 * guard_page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED)
		return -1;
	return mprotect(guard_base + guard_page, guard_page, PROT_NONE);
}

static int guard_teardown(void **state)
{
	munmap(guard_base, 2 * guard_page);
	return 0;
}

static enum range_result parse(const char *s, uint64_t length, struct range_set *out)
{
	size_t len = strlen(s);
	char *p = guard_base + guard_page - len;

	memcpy(p, s, len);
	return range_parse(p, len, length, out);
}

#define MAXR 4

struct range_case {
	const char *in;
	uint64_t length;
	enum range_result want;
	unsigned count;
	struct range r[MAXR];
};

static const struct range_case cases[] = {
	/* the three forms */
	{ "bytes=0-4", 100, RANGE_OK, 1, { { 0, 4 } } },
	{ "bytes=10-", 100, RANGE_OK, 1, { { 10, 99 } } },
	{ "bytes=-10", 100, RANGE_OK, 1, { { 90, 99 } } },
	{ "bytes=0-0", 1, RANGE_OK, 1, { { 0, 0 } } },
	{ "bytes=99-99", 100, RANGE_OK, 1, { { 99, 99 } } },
	{ "bytes=0-", 100, RANGE_OK, 1, { { 0, 99 } } },
	/* clamping */
	{ "bytes=50-1000", 100, RANGE_OK, 1, { { 50, 99 } } },
	{ "bytes=-1000", 100, RANGE_OK, 1, { { 0, 99 } } },
	{ "bytes=-100", 100, RANGE_OK, 1, { { 0, 99 } } },
	/* unit is case-insensitive */
	{ "Bytes=1-2", 100, RANGE_OK, 1, { { 1, 2 } } },
	{ "BYTES=1-2", 100, RANGE_OK, 1, { { 1, 2 } } },
	/* unsatisfiable */
	{ "bytes=100-", 100, RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=100-200", 100, RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=-0", 100, RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=200-300,100-", 100, RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	/* one satisfiable range among unsatisfiable ones is enough */
	{ "bytes=200-300,5-6", 100, RANGE_OK, 1, { { 5, 6 } } },
	/* zero-length representation: nothing to range over, send 200 */
	{ "bytes=0-", 0, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=-5", 0, RANGE_IGNORE, 0, { { 0, 0 } } },
	/* invalid syntax: ignored */
	{ "", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=,", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=-", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=5", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=5-4", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=a-b", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=+1-2", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=-1-2", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=1--2", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=1-2x", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=1-2 3-4", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0x10-20", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes =1-2", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes= 1 - 2", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "items=0-4", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "byte=0-4", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes:0-4", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "0-4", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	/* a valid range next to an invalid one: the whole header is invalid */
	{ "bytes=0-1,x", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0-1,5-2", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	/* whitespace around elements, empty elements */
	{ "bytes= 1-2", 100, RANGE_OK, 1, { { 1, 2 } } },
	{ "bytes=1-2 ", 100, RANGE_OK, 1, { { 1, 2 } } },
	{ "bytes=\t1-2\t,\t5-6", 100, RANGE_OK, 2, { { 1, 2 }, { 5, 6 } } },
	{ "bytes=1-2 , 5-6", 100, RANGE_OK, 2, { { 1, 2 }, { 5, 6 } } },
	{ "bytes=,1-2,,5-6,", 100, RANGE_OK, 2, { { 1, 2 }, { 5, 6 } } },
	/* huge numbers saturate instead of wrapping */
	{ "bytes=0-99999999999999999999999999", 100, RANGE_OK, 1, { { 0, 99 } } },
	{ "bytes=18446744073709551615-", 100, RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=18446744073709551616-", 100, RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=99999999999999999999999999-", 100, RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=-99999999999999999999999999", 100, RANGE_OK, 1, { { 0, 99 } } },
	{ "bytes=18446744073709551615-18446744073709551615", 100, RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=0-18446744073709551615", UINT64_MAX, RANGE_OK, 1, { { 0, UINT64_MAX - 1 } } },
	{ "bytes=-1", UINT64_MAX, RANGE_OK, 1, { { UINT64_MAX - 1, UINT64_MAX - 1 } } },
	/* 99999999999999999999 > 2^64 must not wrap below 10 */
	{ "bytes=10-99999999999999999999", 100, RANGE_OK, 1, { { 10, 99 } } },
	/* several ranges: sorted, overlapping and adjacent ones merged */
	{ "bytes=0-1,5-6", 100, RANGE_OK, 2, { { 0, 1 }, { 5, 6 } } },
	{ "bytes=5-6,0-1", 100, RANGE_OK, 2, { { 0, 1 }, { 5, 6 } } },
	{ "bytes=0-4,2-8", 100, RANGE_OK, 1, { { 0, 8 } } },
	{ "bytes=0-4,5-8", 100, RANGE_OK, 1, { { 0, 8 } } },
	{ "bytes=0-4,6-8", 100, RANGE_OK, 2, { { 0, 4 }, { 6, 8 } } },
	{ "bytes=0-,0-,0-", 100, RANGE_OK, 1, { { 0, 99 } } },
	{ "bytes=-10,0-5,50-60,55-", 100, RANGE_OK, 2, { { 0, 5 }, { 50, 99 } } },
	{ "bytes=10-20,12-14", 100, RANGE_OK, 1, { { 10, 20 } } },
	{ "bytes=1-1,3-3,2-2", 100, RANGE_OK, 1, { { 1, 3 } } },
	{ "bytes=90-,-5", 100, RANGE_OK, 1, { { 90, 99 } } },
	/* 16 range-specs are allowed ... */
	{ "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,"
	  "24-24,26-26,28-28,0-30", 100, RANGE_OK, 1, { { 0, 30 } } },
	/* ... a 17th makes the header ignored, satisfiable or not */
	{ "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,"
	  "24-24,26-26,28-28,30-30,32-32", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-", 100, RANGE_IGNORE, 0,
	  { { 0, 0 } } },
	{ "bytes=500-,500-,500-,500-,500-,500-,500-,500-,500-,500-,500-,500-,"
	  "500-,500-,500-,500-,0-0", 100, RANGE_IGNORE, 0, { { 0, 0 } } },
};

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct range_case *tc = &cases[i];
		struct range_set out;
		enum range_result got;

		memset(&out, 0xAB, sizeof(out));
		got = parse(tc->in, tc->length, &out);
		if (got != tc->want)
			fail_msg("case %zu '%s' length %llu: result %d, want %d", i, tc->in,
				 (unsigned long long)tc->length, got, tc->want);
		if (got != RANGE_OK)
			continue;
		if (out.count != tc->count)
			fail_msg("case %zu '%s': %u ranges, want %u", i, tc->in, out.count,
				 tc->count);
		for (unsigned k = 0; k < tc->count; k++) {
			if (out.r[k].first != tc->r[k].first || out.r[k].last != tc->r[k].last)
				fail_msg("case %zu '%s' range %u: %llu-%llu, want %llu-%llu", i,
					 tc->in, k, (unsigned long long)out.r[k].first,
					 (unsigned long long)out.r[k].last,
					 (unsigned long long)tc->r[k].first,
					 (unsigned long long)tc->r[k].last);
		}
	}
}

/* Non-OK results leave out untouched. */
static void test_out_untouched(void **state)
{
	struct range_set out, before;

	memset(&out, 0x5A, sizeof(out));
	before = out;
	assert_int_equal(parse("bytes=x", 100, &out), RANGE_IGNORE);
	assert_memory_equal(&out, &before, sizeof(out));
	assert_int_equal(parse("bytes=200-", 100, &out), RANGE_UNSATISFIABLE);
	assert_memory_equal(&out, &before, sizeof(out));
}

/* Every prefix of a valid header must parse without reading past it. */
static void test_prefixes(void **state)
{
	static const char full[] = "bytes=0-1, 5-6,\t-3 ,10-";
	char buf[sizeof(full)];
	struct range_set out;

	for (size_t n = 0; n < sizeof(full); n++) {
		memcpy(buf, full, n);
		buf[n] = '\0';
		enum range_result r = parse(buf, 100, &out);
		assert_true(r == RANGE_OK || r == RANGE_IGNORE);
	}
}

/* Every range of every result lies inside the representation and the
 * ranges never overlap: no input makes us send more than length bytes. */
static void test_never_amplifies(void **state)
{
	static const char *const inputs[] = {
		"bytes=0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-",
		"bytes=-100,-100,-100,-100,-100,-100,-100,-100",
		"bytes=0-50,25-75,50-99,-99,1-",
		"bytes=3-3,2-2,1-1,0-0,4-4,5-5,6-6,7-7,8-8,9-9,10-10,11-11,12-12,13-13,14-14,15-15",
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct range_set out;
		uint64_t total = 0;

		assert_int_equal(parse(inputs[i], 100, &out), RANGE_OK);
		for (unsigned k = 0; k < out.count; k++) {
			assert_true(out.r[k].first <= out.r[k].last);
			assert_true(out.r[k].last < 100);
			if (k > 0)
				assert_true(out.r[k].first > out.r[k - 1].last + 1);
			total += out.r[k].last - out.r[k].first + 1;
		}
		assert_true(total <= 100);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_out_untouched),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_never_amplifies),
	};
	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
