/* Unit tests for src/util/cidr.c: parsing ranges and matching peers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "util/cidr.h"

static struct sockaddr_storage sa(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		fail_msg("bad test address %s", text);
	return ss;
}

static void test_parse(void **state)
{
	static const struct {
		const char *in;
		int family; /* 0: refused */
		unsigned prefix;
	} cases[] = {
		{ "127.0.0.1", AF_INET, 32 },
		{ "10.0.0.0/8", AF_INET, 8 },
		{ "0.0.0.0/0", AF_INET, 0 },
		{ "192.0.2.128/25", AF_INET, 25 },
		{ "192.0.2.1/32", AF_INET, 32 },
		{ "::1", AF_INET6, 128 },
		{ "::/0", AF_INET6, 0 },
		{ "fd00::/8", AF_INET6, 8 },
		{ "2001:db8::/32", AF_INET6, 32 },
		{ "2001:db8::1/128", AF_INET6, 128 },
		{ "10.0.0.1/8", 0, 0 },    /* host bits set */
		{ "192.0.2.129/25", 0, 0 },
		{ "fd00::1/8", 0, 0 },
		{ "10.0.0.0/33", 0, 0 },
		{ "::/129", 0, 0 },
		{ "10.0.0.0/", 0, 0 },
		{ "10.0.0.0/08", 0, 0 },
		{ "10.0.0.0/-8", 0, 0 },
		{ "10.0.0.0/+8", 0, 0 },
		{ "10.0.0.0/8x", 0, 0 },
		{ "10.0.0.0/0008", 0, 0 },
		{ "/8", 0, 0 },
		{ "", 0, 0 },
		{ "10.0.0", 0, 0 },
		{ "010.0.0.0/8", 0, 0 },
		{ "localhost", 0, 0 },
		{ "10.0.0.0 /8", 0, 0 },
		{ "1.2.3.4.5", 0, 0 },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:1", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr c;
		int r;

		memset(&c, 0x5a, sizeof(c));
		r = cidr_parse(cases[i].in, &c);
		if (cases[i].family == 0) {
			if (r != -1)
				fail_msg("%s: accepted", cases[i].in);
			continue;
		}
		if (r != 0)
			fail_msg("%s: refused", cases[i].in);
		assert_int_equal(c.family, cases[i].family);
		assert_int_equal(c.prefix, cases[i].prefix);
	}
}

static void test_match(void **state)
{
	static const struct {
		const char *range, *addr;
		bool want;
	} cases[] = {
		{ "127.0.0.1", "127.0.0.1", true },
		{ "127.0.0.1", "127.0.0.2", false },
		{ "10.0.0.0/8", "10.255.255.255", true },
		{ "10.0.0.0/8", "11.0.0.0", false },
		{ "10.0.0.0/8", "9.255.255.255", false },
		{ "192.0.2.128/25", "192.0.2.128", true },
		{ "192.0.2.128/25", "192.0.2.255", true },
		{ "192.0.2.128/25", "192.0.2.127", false },
		{ "172.16.0.0/12", "172.31.1.1", true },
		{ "172.16.0.0/12", "172.32.0.0", false },
		{ "0.0.0.0/0", "203.0.113.9", true },
		{ "0.0.0.0/0", "::1", false },      /* families do not mix */
		{ "::/0", "203.0.113.9", false },
		{ "::/0", "2001:db8::1", true },
		{ "::1", "::1", true },
		{ "::1", "::2", false },
		{ "fd00::/8", "fdff:ffff::1", true },
		{ "fd00::/8", "fe00::1", false },
		{ "2001:db8::/33", "2001:db8:7fff::1", true },
		{ "2001:db8::/33", "2001:db8:8000::1", false },
		/* a dual-stack socket shows IPv4 peers as IPv4-mapped */
		{ "127.0.0.0/8", "::ffff:127.0.0.1", true },
		{ "10.0.0.0/8", "::ffff:192.0.2.1", false },
		{ "::ffff:0:0/96", "::ffff:127.0.0.1", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cidr c;
		struct sockaddr_storage ss = sa(cases[i].addr);

		assert_int_equal(cidr_parse(cases[i].range, &c), 0);
		if (cidr_match(&c, (struct sockaddr *)&ss) != cases[i].want)
			fail_msg("%s in %s: want %d", cases[i].addr, cases[i].range,
				 cases[i].want);
		if (cidr_match_any(&c, 1, (struct sockaddr *)&ss) != cases[i].want)
			fail_msg("%s in [%s]: want %d", cases[i].addr, cases[i].range,
				 cases[i].want);
		if (cidr_match_text(&c, 1, cases[i].addr, strlen(cases[i].addr)) != cases[i].want)
			fail_msg("text %s in %s: want %d", cases[i].addr, cases[i].range,
				 cases[i].want);
	}
}

static void test_list(void **state)
{
	struct cidr list[3];
	struct sockaddr_storage ss;
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	assert_int_equal(cidr_parse("10.0.0.0/8", &list[0]), 0);
	assert_int_equal(cidr_parse("::1", &list[1]), 0);
	assert_int_equal(cidr_parse("192.0.2.7", &list[2]), 0);
	ss = sa("192.0.2.7");
	assert_true(cidr_match_any(list, 3, (struct sockaddr *)&ss));
	assert_false(cidr_match_any(list, 2, (struct sockaddr *)&ss));
	ss = sa("::1");
	assert_true(cidr_match_any(list, 3, (struct sockaddr *)&ss));
	assert_false(cidr_match_any(list, 0, (struct sockaddr *)&ss));
	assert_false(cidr_match_any(list, 3, (struct sockaddr *)&un));
	/* text that is not exactly an address matches nothing */
	assert_false(cidr_match_text(list, 3, "10.0.0.1 ", 9));
	assert_false(cidr_match_text(list, 3, "10.0.0.1:80", 11));
	assert_false(cidr_match_text(list, 3, "[::1]", 5));
	assert_false(cidr_match_text(list, 3, "", 0));
	assert_true(cidr_match_text(list, 3, "10.0.0.1xyz", 8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
