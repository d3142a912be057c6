/* Unit tests for the pure parts of src/tls/: certificate names against
 * SNI host names (exact, one-label wildcards) and the ticket key
 * rotation (current encrypts, previous still decrypts, older unknown). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "tls/tls.h"
#include "tls/tls_int.h"

static void test_name_exact(void **state)
{
	assert_true(tls_name_match("example.org", "example.org"));
	assert_true(tls_name_match("example.org", "EXAMPLE.org"));
	assert_true(tls_name_match("example.org", "example.org."));
	assert_false(tls_name_match("example.org", "example.org.."));
	assert_false(tls_name_match("example.org", "www.example.org"));
	assert_false(tls_name_match("example.org", "example.or"));
	assert_false(tls_name_match("example.org", ""));
	assert_false(tls_name_match("", "example.org"));
}

static void test_name_wildcard(void **state)
{
	assert_true(tls_name_match("*.example.org", "www.example.org"));
	assert_true(tls_name_match("*.example.org", "A.Example.ORG"));
	/* Exactly one label. */
	assert_false(tls_name_match("*.example.org", "example.org"));
	assert_false(tls_name_match("*.example.org", "a.b.example.org"));
	assert_false(tls_name_match("*.example.org", ".example.org"));
	assert_false(tls_name_match("*.example.org", "wwwexample.org"));
	/* No wildcard over a public suffix, none inside a label. */
	assert_false(tls_name_match("*.org", "example.org"));
	assert_false(tls_name_match("w*.example.org", "www.example.org"));
	assert_false(tls_name_match("*", "localhost"));
}

static void test_ticket_rotation(void **state)
{
	struct tls_tickets t;
	struct tls_ticket_key k1, k2, k3, got;
	unsigned char none[16] = { 0 };

	assert_int_equal(tls_tickets_init(&t, 1000, 100), 0);
	assert_int_equal(tls_tickets_key(&t, 1000, true, NULL, &k1), 1);
	assert_int_equal(tls_tickets_key(&t, 1099, true, NULL, &got), 1);
	assert_memory_equal(got.name, k1.name, 16);
	assert_int_equal(tls_tickets_key(&t, 1050, false, k1.name, &got), 1);
	assert_memory_equal(got.aes, k1.aes, 32);
	assert_int_equal(tls_tickets_key(&t, 1050, false, none, &got), 0);

	/* A period later a new key encrypts; the old one still decrypts
	 * and asks for a fresh ticket. */
	assert_int_equal(tls_tickets_key(&t, 1100, true, NULL, &k2), 1);
	assert_memory_not_equal(k2.name, k1.name, 16);
	assert_memory_not_equal(k2.aes, k1.aes, 32);
	assert_int_equal(tls_tickets_key(&t, 1150, false, k2.name, &got), 1);
	assert_int_equal(tls_tickets_key(&t, 1150, false, k1.name, &got), 2);
	assert_memory_equal(got.hmac, k1.hmac, 32);

	/* Two periods: the first key is gone. */
	assert_int_equal(tls_tickets_key(&t, 1200, true, NULL, &k3), 1);
	assert_int_equal(tls_tickets_key(&t, 1200, false, k1.name, &got), 0);
	assert_int_equal(tls_tickets_key(&t, 1200, false, k2.name, &got), 2);
	/* Decrypting never rotates. */
	assert_int_equal(tls_tickets_key(&t, 5000, false, k3.name, &got), 1);
	tls_tickets_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_exact),
		cmocka_unit_test(test_name_wildcard),
		cmocka_unit_test(test_ticket_rotation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
