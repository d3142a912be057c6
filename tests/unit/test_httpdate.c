/* Unit tests for src/http/httpdate.c. Every parse reads its input from the end
 * of a page followed by an unmapped one, so an over-read crashes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "http/httpdate.h"

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

/* Parses the first len bytes of s, placed so that byte len is unmapped. */
static bool parse_guarded(const char *s, size_t len, time_t *out)
{
	char *p = guard_base + guard_page - len;

	memcpy(p, s, len);
	return httpdate_parse(p, len, out);
}

static bool parse(const char *s, time_t *out)
{
	return parse_guarded(s, strlen(s), out);
}

static void test_format_known(void **state)
{
	char out[HTTPDATE_LEN + 1];

	httpdate_format(784111777, out);
	assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	httpdate_format(0, out);
	assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	httpdate_format(2147483648LL, out);
	assert_string_equal(out, "Tue, 19 Jan 2038 03:14:08 GMT");
	httpdate_format(951782400, out);
	assert_string_equal(out, "Tue, 29 Feb 2000 00:00:00 GMT");
	httpdate_format(4107542400LL, out);
	assert_string_equal(out, "Mon, 01 Mar 2100 00:00:00 GMT");
	httpdate_format(-1, out);
	assert_string_equal(out, "Wed, 31 Dec 1969 23:59:59 GMT");
	assert_int_equal(strlen(out), HTTPDATE_LEN);
}

static void test_format_clamps(void **state)
{
	char out[HTTPDATE_LEN + 1];

	httpdate_format((time_t)1 << 60, out);
	assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
	httpdate_format(-((time_t)1 << 60), out);
	assert_string_equal(out, "Sat, 01 Jan 0000 00:00:00 GMT");
}

static void test_round_trip(void **state)
{
	static const long long times[] = {
		0, 1, 59, 60, 86399, 86400, 784111777, 951782400,
		951868799, 978307200, 1000000000, 1700000000,
		2147483647LL, 2147483648LL, 4102444800LL, /* 2100-01-01 */
		4107456000LL, /* 2100-02-28 */ 4107542400LL, /* 2100-03-01 */
		4133980799LL, /* 2100-12-31 23:59:59 */
		253402300799LL, -1, -86400, -2208988800LL, /* 1900-01-01 */
		-62167219200LL,
	};

	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char out[HTTPDATE_LEN + 1];
		time_t back = 12345;

		httpdate_format((time_t)times[i], out);
		assert_int_equal(strlen(out), HTTPDATE_LEN);
		if (!parse(out, &back) || back != (time_t)times[i])
			fail_msg("%lld -> \"%s\" -> %lld", times[i], out,
				 (long long)back);
	}
	/* Every day across four years, so each month and leap day shows. */
	for (long long t = 946684800; t < 946684800 + 4 * 366 * 86400LL;
	     t += 86400 + 3661) {
		char out[HTTPDATE_LEN + 1];
		time_t back;

		httpdate_format((time_t)t, out);
		assert_true(parse(out, &back));
		assert_int_equal((long long)back, t);
	}
}

static void test_three_forms(void **state)
{
	static const char *const forms[] = {
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
		"Sun Nov 06 08:49:37 1994",
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		time_t t = 0;

		if (!parse(forms[i], &t))
			fail_msg("rejected \"%s\"", forms[i]);
		assert_int_equal((long long)t, 784111777);
	}
}

struct valid_case {
	const char *s;
	long long want;
};

static const struct valid_case valid_cases[] = {
	{ "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
	{ "Tue, 29 Feb 2000 00:00:00 GMT", 951782400 },
	{ "Thu, 29 Feb 2024 12:00:00 GMT", 1709208000 },
	{ "Sat, 31 Dec 2016 23:59:60 GMT", 1483228800 }, /* leap second */
	{ "Fri, 31 Dec 2100 00:00:00 GMT", 4133894400LL },
	{ "Thursday, 01-Jan-70 00:00:00 GMT", 0 },
	{ "Tuesday, 31-Dec-69 00:00:00 GMT", 3155673600LL },   /* 2069 */
	{ "Saturday, 01-Jan-00 00:00:00 GMT", 946684800 },     /* 2000 */
	{ "Friday, 31-Dec-99 23:59:59 GMT", 946684799 },       /* 1999 */
	{ "Thu Jan  1 00:00:00 1970", 0 },
	{ "Tue Jan 19 03:14:08 2038", 2147483648LL },
	{ "Tue Feb 29 00:00:00 2000", 951782400 },
	/* The day name is not checked against the date. */
	{ "Mon, 06 Nov 1994 08:49:37 GMT", 784111777 },
};

static void test_valid(void **state)
{
	for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]);
	     i++) {
		time_t t = 0;

		if (!parse(valid_cases[i].s, &t))
			fail_msg("rejected \"%s\"", valid_cases[i].s);
		if ((long long)t != valid_cases[i].want)
			fail_msg("\"%s\": got %lld want %lld", valid_cases[i].s,
				 (long long)t, valid_cases[i].want);
	}
}

static const char *const invalid_cases[] = {
	"",
	"Sun",
	"Sun,",
	"Sun, 06 Nov 1994 08:49:37 GM",
	"Sun, 06 Nov 1994 08:49:37 GMT ",     /* trailing garbage */
	"Sun, 06 Nov 1994 08:49:37 GMTx",
	" Sun, 06 Nov 1994 08:49:37 GMT",     /* leading space */
	"Sun, 06 Nov 1994 08:49:37 UTC",
	"Sun, 06 Nov 1994 08:49:37 +0000",
	"sun, 06 Nov 1994 08:49:37 GMT",      /* names are case-sensitive */
	"Sun, 06 nov 1994 08:49:37 GMT",
	"Sun, 06 NOV 1994 08:49:37 GMT",
	"Xyz, 06 Nov 1994 08:49:37 GMT",
	"Sun, 06 Foo 1994 08:49:37 GMT",
	"Sun, 6 Nov 1994 08:49:37 GMT",       /* day needs two digits */
	"Sun, 06 Nov 94 08:49:37 GMT",
	"Sun, 06 Nov 1994 8:49:37 GMT",
	"Sun,  06 Nov 1994 08:49:37 GMT",
	"Sun, 06-Nov-1994 08:49:37 GMT",
	"Sun, 00 Nov 1994 08:49:37 GMT",
	"Sun, 31 Nov 1994 08:49:37 GMT",      /* November has 30 days */
	"Sun, 32 Jan 1994 08:49:37 GMT",
	"Sun, 29 Feb 1994 08:49:37 GMT",      /* not a leap year */
	"Mon, 29 Feb 2100 00:00:00 GMT",      /* 2100 is not a leap year */
	"Sun, 06 Nov 1994 24:00:00 GMT",
	"Sun, 06 Nov 1994 08:60:00 GMT",
	"Sun, 06 Nov 1994 08:49:61 GMT",
	"Sun, 06 Nov 1994 08:49 GMT",
	"Sun, 06 Nov 1994 08-49-37 GMT",
	"Sun, 06 Nov 1994 08:49:3a GMT",
	"Sun, -6 Nov 1994 08:49:37 GMT",
	"Sun, 06 Nov +994 08:49:37 GMT",
	"Sunday, 06-Nov-94 08:49:37",
	"Sunday, 06-Nov-94 08:49:37 GMT ",
	"Sunday, 06 Nov 94 08:49:37 GMT",
	"Sun, 06-Nov-94 08:49:37 GMT",        /* RFC 850 needs the long name */
	"Sundy, 06-Nov-94 08:49:37 GMT",
	"Sunday, 06-Nov-1994 08:49:37 GMT",
	"Sunday, 31-Apr-94 08:49:37 GMT",
	"Sun Nov 6 08:49:37 1994",
	"Sun Nov  6 08:49:37 1994 ",
	"Sun Nov  6 08:49:37 94",
	"Sun Nov  6 08:49:37 1994 GMT",
	"Sun Nov   6 08:49:37 1994",
	"Sun Nov 31 08:49:37 1994",
	"Sun Nov  0 08:49:37 1994",
	"784111777",
};

static void test_invalid(void **state)
{
	for (size_t i = 0;
	     i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
		time_t t = 42;

		if (parse(invalid_cases[i], &t))
			fail_msg("accepted \"%s\"", invalid_cases[i]);
		assert_int_equal((long long)t, 42); /* untouched */
	}
	/* An embedded NUL within len. */
	{
		time_t t;

		assert_false(parse_guarded("Sun, 06 Nov 1994 08:49:37 GMT\0",
					   30, &t));
	}
}

/* Every prefix of a valid date ends at the guard page: none may be read
 * past its end, and none is a date. */
static void test_prefixes(void **state)
{
	static const char *const forms[] = {
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t n = strlen(forms[i]);

		for (size_t len = 0; len < n; len++) {
			time_t t;

			if (parse_guarded(forms[i], len, &t))
				fail_msg("accepted prefix %zu of \"%s\"", len,
					 forms[i]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_known),
		cmocka_unit_test(test_format_clamps),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_three_forms),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
