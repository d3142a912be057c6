/* Unit tests for src/http/forwarded.c: which client the log names for a
 * request that came through trusted proxies. Requests are parsed by the
 * real parser, so the header list is what the server would see. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "http/forwarded.h"

static const char *trusted_text[] = { "10.0.0.0/8", "127.0.0.1", "fd00::/8" };
static struct cidr trusted[3];

static int setup(void **state)
{
	for (size_t i = 0; i < 3; i++)
		if (cidr_parse(trusted_text[i], &trusted[i]))
			return -1;
	return 0;
}

static void text_of(const struct sockaddr_storage *ss, char *s, size_t n)
{
	const void *a = ss->ss_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	assert_non_null(inet_ntop(ss->ss_family, a, s, (socklen_t)n));
}

static void test_clients(void **state)
{
	static const struct {
		const char *headers; /* "Name: value\r\n" lines */
		const char *want;    /* NULL: nothing usable, log the peer */
	} cases[] = {
		{ "", NULL },
		{ "X-Forwarded-For: 203.0.113.7\r\n", "203.0.113.7" },
		{ "x-forwarded-for: 203.0.113.7\r\n", "203.0.113.7" },
		/* rightmost untrusted: what the client wrote itself is left of it */
		{ "X-Forwarded-For: 198.51.100.1, 203.0.113.7\r\n", "203.0.113.7" },
		{ "X-Forwarded-For: 198.51.100.1, 203.0.113.7, 10.1.2.3\r\n", "203.0.113.7" },
		{ "X-Forwarded-For: 203.0.113.7,10.1.2.3,127.0.0.1\r\n", "203.0.113.7" },
		{ "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 203.0.113.7, 10.0.0.1\r\n",
		  "203.0.113.7" },
		{ "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: 10.0.0.1\r\n", "203.0.113.7" },
		/* all trusted: the leftmost */
		{ "X-Forwarded-For: 10.0.0.9, 10.0.0.1\r\n", "10.0.0.9" },
		{ "X-Forwarded-For: 2001:db8::1, fd00::5\r\n", "2001:db8::1" },
		{ "X-Forwarded-For: [2001:db8::1]:4711\r\n", "2001:db8::1" },
		{ "X-Forwarded-For: 203.0.113.7:51000\r\n", "203.0.113.7" },
		{ "X-Forwarded-For:   203.0.113.7  \r\n", "203.0.113.7" },
		/* a hop that is no address stops the walk before the client */
		{ "X-Forwarded-For: 203.0.113.7, unknown\r\n", NULL },
		{ "X-Forwarded-For: 203.0.113.7, \r\n", NULL },
		{ "X-Forwarded-For: 203.0.113.7,,10.0.0.1\r\n", NULL },
		{ "X-Forwarded-For: \r\n", NULL },
		{ "X-Forwarded-For: evil.example\r\n", NULL },
		{ "X-Forwarded-For: 203.0.113.7 10.0.0.1\r\n", NULL },
		{ "X-Forwarded-For: 203.0.113.999\r\n", NULL },
		/* but garbage left of the client does not matter */
		{ "X-Forwarded-For: <script>, 203.0.113.7\r\n", "203.0.113.7" },
		/* Forwarded (RFC 7239) */
		{ "Forwarded: for=203.0.113.7\r\n", "203.0.113.7" },
		{ "Forwarded: For=\"203.0.113.7:80\";proto=https;by=10.0.0.1\r\n", "203.0.113.7" },
		{ "Forwarded: for=198.51.100.1, for=203.0.113.7;proto=http, for=10.0.0.2\r\n",
		  "203.0.113.7" },
		{ "Forwarded: for=\"[2001:db8:cafe::17]:4711\"\r\n", "2001:db8:cafe::17" },
		{ "Forwarded: proto=http; for=203.0.113.7\r\n", "203.0.113.7" },
		{ "Forwarded: for=\"a,b\", for=203.0.113.7\r\n", "203.0.113.7" },
		{ "Forwarded: for=unknown\r\n", NULL },
		{ "Forwarded: for=_hidden, for=10.0.0.1\r\n", NULL },
		{ "Forwarded: proto=https\r\n", NULL },
		{ "Forwarded: for=\"[2001:db8::1]\\\"\"\r\n", NULL },
		{ "Forwarded: for=2001:db8::1\r\n", "2001:db8::1" },
		{ "Forwarded: for=[203.0.113.7]\r\n", NULL },
		{ "Forwarded: for=\"[2001:db8::1]:x\"\r\n", NULL },
		{ "Forwarded: for=\"[2001:db8::1]:_p\"\r\n", "2001:db8::1" },
		/* both kinds: one was invented by the client, which is unknowable */
		{ "X-Forwarded-For: 203.0.113.7\r\nForwarded: for=198.51.100.1\r\n", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[1024], got[INET6_ADDRSTRLEN];
		struct http_request req;
		struct sockaddr_storage ss;
		int n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n%s\r\n",
				 cases[i].headers);
		bool found;

		assert_true(http_parse_request(buf, (size_t)n, sizeof(buf), &req) == n);
		found = http_forwarded_client(&req, trusted, 3, &ss);
		if (!cases[i].want) {
			if (found)
				fail_msg("case %zu: found a client, want none", i);
			continue;
		}
		if (!found)
			fail_msg("case %zu: no client, want %s", i, cases[i].want);
		text_of(&ss, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: %s, want %s", i, got, cases[i].want);
	}
}

/* With nobody trusted but the peer, the rightmost address is the client. */
static void test_no_trusted_hops(void **state)
{
	static const char buf[] = "GET / HTTP/1.1\r\nHost: a\r\n"
				  "X-Forwarded-For: 1.1.1.1, 10.0.0.1\r\n\r\n";
	struct http_request req;
	struct sockaddr_storage ss;
	char got[INET6_ADDRSTRLEN];

	assert_true(http_parse_request(buf, sizeof(buf) - 1, sizeof(buf), &req) > 0);
	assert_true(http_forwarded_client(&req, trusted, 0, &ss));
	text_of(&ss, got, sizeof(got));
	assert_string_equal(got, "10.0.0.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_no_trusted_hops),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
