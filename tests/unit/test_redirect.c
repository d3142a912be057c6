/* Unit tests for src/http/redirect.c: the Location of the HTTP -> HTTPS
 * redirect, and the Host values it refuses (a table). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/redirect.h"

static long loc(const char *host, int port, const char *path, const char *query, char *out)
{
	return redirect_location(host, strlen(host), port, path, strlen(path), query,
				 query ? strlen(query) : 0, out, REDIRECT_LOCATION_MAX);
}

static void test_good(void **state)
{
	static const struct { const char *host, *path, *query; int port; const char *want; } t[] = {
		{ "example.org", "/", NULL, 443, "https://example.org/" },
		{ "example.org:80", "/a/b.txt", NULL, 443, "https://example.org/a/b.txt" },
		{ "example.org:8080", "/x", "y=1&z", 8443, "https://example.org:8443/x?y=1&z" },
		{ "Example.ORG.", "/", "", 443, "https://Example.ORG./?" },
		{ "127.0.0.1:8080", "/%41", NULL, 4443, "https://127.0.0.1:4443/%41" },
		{ "[::1]:8080", "/", NULL, 4443, "https://[::1]:4443/" },
		{ "[2001:db8::1]", "/p", NULL, 443, "https://[2001:db8::1]/p" },
		{ "localhost:", "*", NULL, 443, "https://localhost/" },
		{ "a-b.c-d", "/", NULL, 443, "https://a-b.c-d/" },
	};
	char out[REDIRECT_LOCATION_MAX];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		long n = loc(t[i].host, t[i].port, t[i].path, t[i].query, out);
		assert_int_equal(n, (long)strlen(t[i].want));
		assert_string_equal(out, t[i].want);
	}
}

static void test_bad_host(void **state)
{
	static const char *const bad[] = {
		"", "evil.org\r\nX-Injected: 1", "a b", "a/b", "user@host", "-a.org", "a-.org",
		"a..org", ".", "[::1", "[::1]x", "[zz::1]", "[]", "host:port", "host:123456",
		"host:80:80", "exa_mple.org", "\xc3\xa9.org", "a.org%0d%0a",
	};
	char out[REDIRECT_LOCATION_MAX];
	char long_label[80], long_name[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(loc(bad[i], 443, "/", NULL, out), -1);
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	assert_int_equal(loc(long_label, 443, "/", NULL, out), -1);
	long_label[63] = '\0';
	assert_true(loc(long_label, 443, "/", NULL, out) > 0);
	for (size_t i = 0; i < sizeof(long_name) - 1; i++)
		long_name[i] = i % 2 ? '.' : 'a';
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(loc(long_name, 443, "/", NULL, out), -1);
	/* A NUL inside the header value. */
	assert_int_equal(redirect_location("a\0b", 3, 443, "/", 1, NULL, 0, out, sizeof(out)), -1);
	/* Too small an output buffer. */
	assert_int_equal(redirect_location("example.org", 11, 443, "/", 1, NULL, 0, out, 10), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
