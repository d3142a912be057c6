/* Unit tests for src/http/negotiate.c: q-values, Accept-Encoding choice of a
 * precompressed copy, and Accept JSON-versus-HTML. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/negotiate.h"

static int q(const char *list, const char *name)
{
	return negotiate_q(list, strlen(list), name);
}

static void test_q(void **state)
{
	assert_int_equal(q("gzip", "gzip"), 1000);
	assert_int_equal(q("GZIP", "gzip"), 1000);
	assert_int_equal(q("gzip", "gzi"), -1);
	assert_int_equal(q("gzip", "gzipx"), -1);
	assert_int_equal(q("br, gzip", "gzip"), 1000);
	assert_int_equal(q("gzip;q=0.5", "gzip"), 500);
	assert_int_equal(q("gzip; q=0.5", "gzip"), 500);
	assert_int_equal(q("gzip ;Q=0.25", "gzip"), 250);
	assert_int_equal(q("gzip;q=0.125", "gzip"), 125);
	assert_int_equal(q("gzip;q=0", "gzip"), 0);
	assert_int_equal(q("gzip;q=0.000", "gzip"), 0);
	assert_int_equal(q("gzip;q=0.001", "gzip"), 1);
	assert_int_equal(q("gzip;q=1", "gzip"), 1000);
	assert_int_equal(q("gzip;q=1.000", "gzip"), 1000);
	assert_int_equal(q("gzip;q=1.", "gzip"), 1000);
	/* malformed q: the element counts as not listed */
	assert_int_equal(q("gzip;q=1.5", "gzip"), -1);
	assert_int_equal(q("gzip;q=2", "gzip"), -1);
	assert_int_equal(q("gzip;q=0.1234", "gzip"), -1);
	assert_int_equal(q("gzip;q=", "gzip"), -1);
	assert_int_equal(q("gzip;q=x", "gzip"), -1);
	assert_int_equal(q("gzip;q=-1", "gzip"), -1);
	assert_int_equal(q("gzip;q = 0.5", "gzip"), -1);
	/* first occurrence wins; a malformed one does not hide a later one */
	assert_int_equal(q("gzip;q=0, gzip", "gzip"), 0);
	assert_int_equal(q("gzip;q=9, gzip;q=0.3", "gzip"), 300);
	/* other parameters, quoted strings with commas */
	assert_int_equal(q("text/html;level=1;q=0.7", "text/html"), 700);
	assert_int_equal(q("text/html;x=\"a,b;q=0\";q=0.2, a/b", "text/html"), 200);
	assert_int_equal(q("text/html;x=\"a,b;q=0\";q=0.2, a/b", "a/b"), 1000);
	/* whitespace and empty elements */
	assert_int_equal(q(" ,\tgzip\t, ,br ", "br"), 1000);
	assert_int_equal(q("", "gzip"), -1);
	assert_int_equal(negotiate_q(NULL, 0, "gzip"), -1);
}

/* The codings chosen, as a string: "zstd br gzip". */
static const char *enc(const char *ae)
{
	static const char *const names[] = { "zstd", "br", "gzip" };
	static char buf[64];
	struct negotiate_choice o[NEGOTIATE_CODINGS];
	unsigned n = negotiate_encodings(ae, ae ? strlen(ae) : 0, o);

	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		if (i)
			strcat(buf, " ");
		strcat(buf, names[o[i].coding]);
	}
	return buf;
}

static void test_encodings(void **state)
{
	struct negotiate_choice o[NEGOTIATE_CODINGS];

	assert_string_equal(enc(NULL), "");
	assert_string_equal(enc(""), "");
	assert_string_equal(enc("identity"), "");
	assert_string_equal(enc("deflate, compress"), "");

	assert_string_equal(enc("gzip"), "gzip");
	assert_string_equal(enc("x-gzip"), "gzip");
	assert_string_equal(enc("br"), "br");
	assert_string_equal(enc("zstd"), "zstd");

	/* a tie: zstd, then br, then gzip, whatever the client's order */
	assert_string_equal(enc("gzip, deflate, br"), "br gzip");
	assert_string_equal(enc("br, gzip"), "br gzip");
	assert_string_equal(enc("br, gzip, zstd"), "zstd br gzip");
	assert_string_equal(enc("gzip, zstd"), "zstd gzip");

	/* the higher weight wins */
	assert_string_equal(enc("br;q=0.5, gzip"), "gzip br");
	assert_string_equal(enc("zstd;q=0.2, br;q=0.9, gzip;q=0.5"), "br gzip zstd");
	assert_int_equal(negotiate_encodings("br;q=0.5, gzip", 14, o), 2);
	assert_int_equal(o[0].q, 1000);
	assert_int_equal(o[1].q, 500);

	/* q=0: not acceptable */
	assert_string_equal(enc("gzip;q=0"), "");
	assert_string_equal(enc("gzip;q=0, br"), "br");
	assert_string_equal(enc("br;q=0, gzip"), "gzip");
	assert_string_equal(enc("GZip;Q=0.000"), "");
	assert_string_equal(enc("zstd;q=0, *"), "br gzip");

	/* "*": any coding not named */
	assert_string_equal(enc("*"), "zstd br gzip");
	assert_string_equal(enc("*;q=0"), "");
	assert_string_equal(enc("gzip;q=0, *"), "zstd br");
	assert_string_equal(enc("gzip, *;q=0"), "gzip");
	assert_string_equal(enc("*;q=0.1, gzip;q=0.2"), "gzip zstd br");

	/* identity: excluded, it changes nothing (still the fallback);
	 * weighted, codings valued below it are left out */
	assert_string_equal(enc("identity;q=0"), "");
	assert_string_equal(enc("gzip, identity;q=0"), "gzip");
	assert_string_equal(enc("gzip;q=0.5, identity"), "");
	assert_string_equal(enc("br, gzip;q=0.4, identity;q=0.5"), "br");
	assert_string_equal(enc("gzip;q=0.5, identity;q=0.5"), "gzip");
}

static bool json(const char *accept)
{
	return negotiate_prefers_json(accept, accept ? strlen(accept) : 0);
}

static void test_json(void **state)
{
	assert_false(json(NULL));
	assert_false(json(""));
	assert_true(json("application/json"));
	assert_true(json("Application/JSON"));
	assert_true(json("application/json, text/plain;q=0.5"));
	assert_true(json("application/*"));
	assert_true(json("text/html;q=0.5, application/json"));
	assert_false(json("*/*"));
	assert_false(json("text/html, application/json"));
	assert_false(json("application/json, text/html"));
	assert_false(json("application/json;q=0"));
	assert_false(json("application/json;q=0.5, */*"));
	/* what browsers send */
	assert_false(json("text/html,application/xhtml+xml,application/xml;q=0.9,"
			  "image/avif,image/webp,*/*;q=0.8"));
	assert_false(json("text/plain"));
	assert_true(json("application/json, */*;q=0.1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
