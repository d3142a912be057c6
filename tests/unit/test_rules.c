/* Unit tests for the site's path rules (src/files/rules.h) and the Basic
 * credentials' base64 (src/http/auth.h): pure functions, every edge. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "app/config.h"
#include "files/rules.h"
#include "http/auth.h"

static void test_config_path(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(rules_config_path("/a//b/./c", out, sizeof(out)), 6);
	assert_string_equal(out, "/a/b/c");
	assert_int_equal(rules_config_path("/a/b/../c/", out, sizeof(out)), 5);
	assert_string_equal(out, "/a/c/");
	assert_int_equal(rules_config_path("/", out, sizeof(out)), 1);
	assert_string_equal(out, "/");
	assert_int_equal(rules_config_path("//", out, sizeof(out)), 1);
	assert_int_equal(rules_config_path("/../a", out, sizeof(out)), -1);
	assert_int_equal(rules_config_path("/.git/x", out, sizeof(out)), -1);
	assert_int_equal(rules_config_path("a/b", out, sizeof(out)), -1);
	assert_int_equal(rules_config_path("", out, sizeof(out)), -1);
	assert_int_equal(rules_config_path("/a?b", out, sizeof(out)), -1);
	assert_int_equal(rules_config_path("/a\nb", out, sizeof(out)), -1);
	assert_int_equal(rules_config_path("/a\\b", out, sizeof(out)), 4); /* a file name */
	assert_int_equal(rules_config_path("/0123456789/0123456789/0123456789/0123456789/0123456789/0123456",
					   out, sizeof(out)), -1); /* no room */
}

static void test_covers_whole_segments(void **state)
{
	(void)state;
#define C(p, f) rules_covers(p, strlen(p), f, strlen(f))
	assert_true(C("/private", "/private"));
	assert_true(C("/private", "/private/"));
	assert_true(C("/private", "/private/x"));
	assert_false(C("/private", "/privatex"));
	assert_false(C("/private", "/Private"));
	assert_false(C("/private", "/"));
	assert_true(C("/private/", "/private"));
	assert_true(C("/private/", "/private/"));
	assert_true(C("/private/", "/private/a/b"));
	assert_false(C("/private/", "/privatex"));
	assert_false(C("/private/", "/privat"));
	assert_true(C("/", "/"));
	assert_true(C("/", "/anything"));
#undef C
}

static void test_redirect_choice_and_location(void **state)
{
	static struct config cfg;
	const struct config_redirect *rd;
	char buf[256];
	struct bytes b;

	(void)state;
	cfg.redirects[0] = (struct config_redirect){ "/old/", 5, true, "/new/", 5, 301 };
	cfg.redirects[1] = (struct config_redirect){ "/old/keep/", 10, true, "https://x.example/", 18, 308 };
	cfg.redirects[2] = (struct config_redirect){ "/old/exact", 10, false, "/e", 2, 301 };
	cfg.nredirects = 3;
	rd = rules_redirect_for(&cfg, "/old/a", 6);
	assert_ptr_equal(rd, &cfg.redirects[0]);
	assert_ptr_equal(rules_redirect_for(&cfg, "/old/keep/z", 11), &cfg.redirects[1]);
	assert_ptr_equal(rules_redirect_for(&cfg, "/old/exact", 10), &cfg.redirects[2]);
	assert_ptr_equal(rules_redirect_for(&cfg, "/old", 4), &cfg.redirects[0]);
	assert_null(rules_redirect_for(&cfg, "/older", 6));

	bytes_init_fixed(&b, buf, sizeof(buf));
	rules_redirect_location(rd, "/old/a b\r\n%\"<", 13, (struct http_str){ "q=1", 3 }, &b);
	assert_false(b.failed);
	assert_int_equal(b.len, strlen("/new/a%20b%0D%0A%25%22%3C?q=1"));
	assert_memory_equal(b.p, "/new/a%20b%0D%0A%25%22%3C?q=1", b.len);

	bytes_init_fixed(&b, buf, 8);
	rules_redirect_location(rd, "/old/abcdefgh", 13, (struct http_str){ NULL, 0 }, &b);
	assert_true(b.failed);
}

static void test_fallback_wanted(void **state)
{
	struct http_request req;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.accept = (struct http_str){ "text/html", 9 };
	assert_true(rules_fallback_wanted(&req, "users/42", 8));
	assert_true(rules_fallback_wanted(&req, "", 0));
	assert_true(rules_fallback_wanted(&req, "v1.2/users", 10)); /* only the last segment */
	assert_false(rules_fallback_wanted(&req, "app.js", 6));
	assert_false(rules_fallback_wanted(&req, "a/b.", 4));
	req.accept = (struct http_str){ "*/*", 3 };
	assert_false(rules_fallback_wanted(&req, "users", 5));
	req.accept = (struct http_str){ "text/html;q=0, */*", 18 };
	assert_false(rules_fallback_wanted(&req, "users", 5));
	req.accept = (struct http_str){ NULL, 0 };
	assert_false(rules_fallback_wanted(&req, "users", 5));
}

static void test_base64(void **state)
{
	unsigned char out[16];

	(void)state;
	assert_int_equal(auth_base64_decode("YWxpY2U6cHc=", 12, out, sizeof(out)), 8);
	assert_memory_equal(out, "alice:pw", 8);
	assert_int_equal(auth_base64_decode("YQ==", 4, out, sizeof(out)), 1);
	assert_int_equal(auth_base64_decode("YWI=", 4, out, sizeof(out)), 2);
	assert_int_equal(auth_base64_decode("YWJj", 4, out, sizeof(out)), 3);
	assert_int_equal(auth_base64_decode("", 0, out, sizeof(out)), 0);
	assert_int_equal(auth_base64_decode("YWJ", 3, out, sizeof(out)), -1);   /* length */
	assert_int_equal(auth_base64_decode("Y===", 4, out, sizeof(out)), -1);  /* too much padding */
	assert_int_equal(auth_base64_decode("YQ=a", 4, out, sizeof(out)), -1);  /* data after '=' */
	assert_int_equal(auth_base64_decode("YW!j", 4, out, sizeof(out)), -1);
	assert_int_equal(auth_base64_decode("YWJjZGVm", 8, out, 5), -1);      /* no room */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_path),
		cmocka_unit_test(test_covers_whole_segments),
		cmocka_unit_test(test_redirect_choice_and_location),
		cmocka_unit_test(test_fallback_wanted),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
