/* Unit tests for src/http/vhost.h: Host values to host names, and names
 * to vhosts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/vhost.h"

static long host_of(const char *h, char *out)
{
	return vhost_host(h, strlen(h), out);
}

static void test_host(void **state)
{
	char out[VHOST_NAME_MAX + 1];

	(void)state;
	assert_int_equal(host_of("Example.ORG", out), 11);
	assert_string_equal(out, "example.org");
	assert_int_equal(host_of("example.org:8080", out), 11);
	assert_int_equal(host_of("example.org.", out), 11);
	assert_int_equal(host_of("a-1.b", out), 5);
	assert_int_equal(host_of("[::1]:8080", out), 5);
	assert_string_equal(out, "[::1]");
	assert_int_equal(host_of("127.0.0.1:80", out), 9);
	assert_int_equal(host_of("", out), -1);
	assert_int_equal(host_of("..", out), -1);
	assert_int_equal(host_of(".", out), -1);
	assert_int_equal(host_of("a..b", out), -1);
	assert_int_equal(host_of("a/b", out), -1);
	assert_int_equal(host_of("a%2fb", out), -1);
	assert_int_equal(host_of("a_b", out), -1);
	assert_int_equal(host_of("-a.b", out), -1);
	assert_int_equal(host_of("a-.b", out), -1);
	assert_int_equal(host_of("a.b:", out), -1);
	assert_int_equal(host_of("a.b:8x", out), -1);
	assert_int_equal(host_of("a.b:1:2", out), -1);
	assert_int_equal(host_of("[::1", out), -1);
	assert_int_equal(host_of("[::g]", out), -1);
	assert_int_equal(host_of("[::1]x", out), -1);
	char longlabel[80];
	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".org");
	assert_int_equal(host_of(longlabel, out), -1); /* a label over 63 */
	longlabel[1] = '.';
	assert_int_equal(host_of(longlabel, out), 68);
	assert_int_equal(vhost_host(NULL, 0, out), -1);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(vhost_name_ok("example.org"));
	assert_true(vhost_name_ok("localhost"));
	assert_true(vhost_name_ok("*.example.org"));
	assert_false(vhost_name_ok("*.org"));
	assert_false(vhost_name_ok("*"));
	assert_false(vhost_name_ok("*."));
	assert_false(vhost_name_ok("a.*.org"));
	assert_false(vhost_name_ok("**.a.org"));
	assert_false(vhost_name_ok(""));
	assert_false(vhost_name_ok("a b"));
}

static void test_match(void **state)
{
	const struct ctx_vhost v[] = {
		{ "*.example.org", 13, true, 3 },
		{ "www.example.org", 15, false, 4 },
		{ "other.net", 9, false, 5 },
	};
#define M(h) vhost_match(v, 3, h, strlen(h))
	(void)state;
	assert_int_equal(M("www.example.org"), 1); /* exact wins over the wildcard */
	assert_int_equal(M("a.example.org"), 0);
	assert_int_equal(M("a.b.example.org"), -1);
	assert_int_equal(M("example.org"), -1);
	assert_int_equal(M("xexample.org"), -1);
	assert_int_equal(M("other.net"), 2);
	assert_int_equal(M("a.other.net"), -1);
	assert_int_equal(M("nothing"), -1);
#undef M
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
