/* Unit tests for src/util/proxy_proto.c: a table of PROXY headers, v1 and
 * v2. Each case is parsed whole and at every length from 0 up, with the
 * input ending at a guard page so reading past len crashes the test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/proxy_proto.h"

static char *guard_base;
static size_t guard_size; /* of the writable part, a whole number of pages */

static int guard_setup(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	/* Room for the largest header (v2 with 65535 bytes of TLVs). */
	guard_size = (PROXY_V2_HEAD + 65535 + 64 + page - 1) / page * page;
	guard_base = mmap(NULL, guard_size + page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guard_base == MAP_FAILED)
		return -1;
	return mprotect(guard_base + guard_size, page, PROT_NONE);
}

static int guard_teardown(void **state)
{
	munmap(guard_base, guard_size + (size_t)sysconf(_SC_PAGESIZE));
	return 0;
}

/* Parses in[0..len) placed right before the guard page; out and consumed
 * must stay untouched unless PROXY_OK. */
static enum proxy_result parse(const void *in, size_t len, struct proxy_info *out,
			       size_t *consumed)
{
	char *p = guard_base + guard_size - len;
	struct proxy_info before;
	enum proxy_result r;

	memcpy(p, in, len);
	memset(out, 0xa5, sizeof(*out));
	memcpy(&before, out, sizeof(before));
	*consumed = 12345;
	r = proxy_parse(p, len, out, consumed);
	if (r != PROXY_OK) {
		assert_memory_equal(&before, out, sizeof(before));
		assert_int_equal(*consumed, 12345);
	}
	return r;
}

struct pp_case {
	const char *in;
	size_t len;
	enum proxy_result want;
	size_t consumed;
	int version;
	int family; /* AF_UNSPEC: no address */
	const char *src;
	unsigned sport;
	const char *dst;
	unsigned dport;
	size_t tlv_len;
};

#define IN(s) s, sizeof(s) - 1
#define V2SIG "\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a"
/* 192.0.2.1:12345 -> 198.51.100.7:80 */
#define V2A4 "\xc0\x00\x02\x01" "\xc6\x33\x64\x07" "\x30\x39" "\x00\x50"
/* [2001:db8::1]:443 -> [2001:db8::2]:8443 */
#define V2A6 "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" \
	     "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02" "\x01\xbb" "\x20\xfb"
#define V1A4 "PROXY TCP4 192.0.2.1 198.51.100.7 12345 80\r\n"
#define REQ "GET / HTTP/1.1\r\nHost: a\r\n\r\n"

#define OK4T(v, n, t) PROXY_OK, n, v, AF_INET, "192.0.2.1", 12345, "198.51.100.7", 80, t
#define OK4(v, n) OK4T(v, n, 0)
#define OK6(v, n) PROXY_OK, n, v, AF_INET6, "2001:db8::1", 443, "2001:db8::2", 8443, 0
#define NOADDR(v, n) PROXY_OK, n, v, AF_UNSPEC, NULL, 0, NULL, 0, 0
#define ERR PROXY_ERROR, 0, 0, 0, NULL, 0, NULL, 0, 0
#define MORE PROXY_NEED_MORE, 0, 0, 0, NULL, 0, NULL, 0, 0

static const struct pp_case cases[] = {
	/* v1 */
	{ IN(V1A4), OK4(1, 44) },
	{ IN(V1A4 REQ), OK4(1, 44) },
	{ IN("PROXY TCP6 2001:db8::1 2001:db8::2 443 8443\r\n"), OK6(1, 45) },
	{ IN("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n"), PROXY_OK, 37, 1, AF_INET6,
	  "::ffff:192.0.2.1", 1, "::1", 2, 0 },
	{ IN("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n"), PROXY_OK, 44, 1,
	  AF_INET, "0.0.0.0", 0, "255.255.255.255", 65535, 0 },
	{ IN("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"),
	  PROXY_OK, 104, 1, AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  65535, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 0 },
	{ IN("PROXY UNKNOWN\r\n"), NOADDR(1, 15) },
	{ IN("PROXY UNKNOWN\r\n" REQ), NOADDR(1, 15) },
	/* UNKNOWN: the rest of the line is ignored, whatever it is */
	{ IN("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"), NOADDR(1, 35) },
	{ IN("PROXY UNKNOWN whatever\r\n"), NOADDR(1, 24) },
	{ IN("PROXY UNKNOWNX\r\n"), ERR },
	{ IN("PROXY LF only\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 12345 80\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 12345 80\rX"), ERR },
	{ IN("PROXY  TCP4 192.0.2.1 198.51.100.7 12345 80\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1  198.51.100.7 12345 80\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 12345 80 \r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 12345\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 12345 80 9\r\n"), ERR },
	{ IN("PROXY TCP4\r\n"), ERR },
	{ IN("PROXY \r\n"), ERR },
	{ IN("PROXY TCP4 2001:db8::1 198.51.100.7 1 2\r\n"), ERR },
	{ IN("PROXY TCP6 192.0.2.1 198.51.100.7 1 2\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.256 198.51.100.7 1 2\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.02.1 198.51.100.7 1 2\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2 198.51.100.7 1 2\r\n"), ERR },
	{ IN("PROXY TCP4 0x7f.0.0.1 198.51.100.7 1 2\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 65536 80\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 99999 80\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 123456 80\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 080 80\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 -1 80\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 +1 80\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 1a 80\r\n"), ERR },
	{ IN("PROXY tcp4 192.0.2.1 198.51.100.7 1 2\r\n"), ERR },
	{ IN("PROXY UDP4 192.0.2.1 198.51.100.7 1 2\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1\0 198.51.100.7 1 2\r\n"), ERR },
	{ IN("PROXY TCP4 192.0.2.1\t198.51.100.7 1 2\r\n"), ERR },
	{ IN("PROXY UNKNOWN \x80\r\n"), ERR },
	{ IN("PROXYTCP4 192.0.2.1 198.51.100.7 1 2\r\n"), ERR },
	{ IN("proxy TCP4 192.0.2.1 198.51.100.7 1 2\r\n"), ERR },
	{ IN(REQ), ERR },
	{ IN("\x16\x03\x01\x02\x00\x01"), ERR }, /* a TLS ClientHello */
	{ IN(""), MORE },
	{ IN("P"), MORE },
	{ IN("PROXY"), MORE },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 12345 80"), MORE },
	{ IN("PROXY TCP4 192.0.2.1 198.51.100.7 12345 80\r"), MORE },

	/* v2 */
	{ IN(V2SIG "\x21\x11\x00\x0c" V2A4), OK4(2, 28) },
	{ IN(V2SIG "\x21\x11\x00\x0c" V2A4 REQ), OK4(2, 28) },
	{ IN(V2SIG "\x21\x21\x00\x24" V2A6), OK6(2, 52) },
	{ IN(V2SIG "\x21\x21\x00\x24" V2A6 REQ), OK6(2, 52) },
	/* TLVs: ALPN "h2", NOOP empty, AUTHORITY "example.org" */
	{ IN(V2SIG "\x21\x11\x00\x22" V2A4 "\x01\x00\x02h2" "\x04\x00\x00"
	     "\x02\x00\x0b" "example.org"),
	  OK4T(2, 50, 22) },
	/* LOCAL: the proxy's own connection (a health check); the block,
	 * family included, is discarded unread */
	{ IN(V2SIG "\x20\x00\x00\x00"), NOADDR(2, 16) },
	{ IN(V2SIG "\x20\x00\x00\x00" REQ), NOADDR(2, 16) },
	{ IN(V2SIG "\x20\x11\x00\x0c" V2A4), NOADDR(2, 28) },
	{ IN(V2SIG "\x20\x77\x00\x03" "xyz"), NOADDR(2, 19) },
	/* PROXY with UNSPEC: the block is ignored */
	{ IN(V2SIG "\x21\x00\x00\x00"), NOADDR(2, 16) },
	{ IN(V2SIG "\x21\x00\x00\x02" "\xff\xff"), NOADDR(2, 18) },
	{ IN(V2SIG "\x11\x11\x00\x0c" V2A4), ERR }, /* version 1 */
	{ IN(V2SIG "\x31\x11\x00\x0c" V2A4), ERR }, /* version 3 */
	{ IN(V2SIG "\x01\x11\x00\x0c" V2A4), ERR }, /* version 0 */
	{ IN(V2SIG "\x22\x11\x00\x0c" V2A4), ERR }, /* command 2 */
	{ IN(V2SIG "\x2f\x11\x00\x0c" V2A4), ERR }, /* command 15 */
	{ IN(V2SIG "\x21\x12\x00\x0c" V2A4), ERR }, /* UDP over IPv4 */
	{ IN(V2SIG "\x21\x22\x00\x24" V2A6), ERR }, /* UDP over IPv6 */
	{ IN(V2SIG "\x21\x10\x00\x0c" V2A4), ERR }, /* IPv4, no transport */
	{ IN(V2SIG "\x21\x41\x00\x0c" V2A4), ERR }, /* no such family */
	{ IN(V2SIG "\x21\x01\x00\x0c" V2A4), ERR },
	/* the length must cover the addresses */
	{ IN(V2SIG "\x21\x11\x00\x0b" "\xc0\x00\x02\x01\xc6\x33\x64\x07\x30\x39\x00"), ERR },
	{ IN(V2SIG "\x21\x11\x00\x00"), ERR },
	{ IN(V2SIG "\x21\x21\x00\x0c" V2A4), ERR },
	/* TLVs must fill the rest exactly */
	{ IN(V2SIG "\x21\x11\x00\x0e" V2A4 "\x01\x00"), ERR },
	{ IN(V2SIG "\x21\x11\x00\x0d" V2A4 "\x01"), ERR },
	{ IN(V2SIG "\x21\x11\x00\x11" V2A4 "\x01\x00\x05h2"), ERR },
	{ IN(V2SIG "\x21\x11\x00\x11" V2A4 "\x01\x00\x01h2"), ERR },
	{ IN(V2SIG "\x21\x11\x00\x14" V2A4 "\x04\x00\x00" "\x01\xff\xff" "ab"), ERR },
	/* not the signature */
	{ IN("\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x58\x0a\x21\x11\x00\x0c" V2A4), ERR },
	{ IN("\x0d\x0a" "GET / HTTP/1.1\r\n"), ERR },
	{ IN("\x0d\x0a\x0d\x0a\x01"), ERR },
	/* truncated: a valid prefix */
	{ IN("\x0d"), MORE },
	{ IN(V2SIG), MORE },
	{ IN(V2SIG "\x21"), MORE },
	{ IN(V2SIG "\x21\x11\x00"), MORE },
	{ IN(V2SIG "\x21\x11\x00\x0c"), MORE },
	{ IN(V2SIG "\x21\x11\x00\x0c" "\xc0\x00\x02\x01\xc6\x33\x64\x07\x30\x39\x00"), MORE },
	{ IN(V2SIG "\x21\x11\xff\xff" V2A4), MORE },
};

static void addr_text(const struct sockaddr_storage *ss, char *s, size_t n, unsigned *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		assert_non_null(inet_ntop(AF_INET, &sin->sin_addr, s, (socklen_t)n));
		*port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		assert_int_equal(ss->ss_family, AF_INET6);
		assert_non_null(inet_ntop(AF_INET6, &sin6->sin6_addr, s, (socklen_t)n));
		*port = ntohs(sin6->sin6_port);
	}
}

static void check_ok(const struct pp_case *k, const struct proxy_info *pi, size_t consumed)
{
	char s[INET6_ADDRSTRLEN];
	unsigned port;

	assert_int_equal(consumed, k->consumed);
	assert_int_equal(pi->version, k->version);
	assert_int_equal(pi->has_addr, k->family != AF_UNSPEC);
	assert_int_equal(pi->family, k->family);
	if (k->family == AF_UNSPEC)
		return;
	assert_int_equal(pi->addr_len, k->family == AF_INET ? sizeof(struct sockaddr_in)
							     : sizeof(struct sockaddr_in6));
	addr_text(&pi->src, s, sizeof(s), &port);
	assert_string_equal(s, k->src);
	assert_int_equal(port, k->sport);
	addr_text(&pi->dst, s, sizeof(s), &port);
	assert_string_equal(s, k->dst);
	assert_int_equal(port, k->dport);
	assert_int_equal(pi->tlv_len, k->tlv_len);
}

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pp_case *k = &cases[i];
		struct proxy_info pi;
		size_t consumed;
		enum proxy_result r = parse(k->in, k->len, &pi, &consumed);

		if (r != k->want)
			fail_msg("case %zu: got %d, want %d", i, r, k->want);
		if (r == PROXY_OK)
			check_ok(k, &pi, consumed);
	}
}

/* Fed one byte more at a time, as the network may deliver it: a header
 * is NEED_MORE until its last byte and OK from then on; a bad one turns
 * ERROR at some byte and stays so. */
static void test_bytewise(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pp_case *k = &cases[i];
		bool failed = false;

		for (size_t n = 0; n <= k->len; n++) {
			struct proxy_info pi;
			size_t consumed;
			enum proxy_result r = parse(k->in, n, &pi, &consumed);

			if (k->want == PROXY_OK) {
				if (r != (n < k->consumed ? PROXY_NEED_MORE : PROXY_OK))
					fail_msg("case %zu at %zu bytes: got %d", i, n, r);
				if (r == PROXY_OK)
					check_ok(k, &pi, consumed);
			} else if (k->want == PROXY_NEED_MORE) {
				if (r != PROXY_NEED_MORE)
					fail_msg("case %zu at %zu bytes: got %d", i, n, r);
			} else {
				if (r == PROXY_OK || (failed && r != PROXY_ERROR))
					fail_msg("case %zu at %zu bytes: got %d", i, n, r);
				failed = r == PROXY_ERROR;
			}
		}
	}
}

/* v1: CRLF must end within 107 bytes (spec 2.1). */
static void test_v1_limit(void **state)
{
	char line[PROXY_V1_MAX + 16];
	struct proxy_info pi;
	size_t consumed;

	/* "PROXY UNKNOWN " + padding + CRLF, exactly 107 bytes: OK */
	memset(line, 'a', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + PROXY_V1_MAX - 2, "\r\n", 2);
	assert_int_equal(parse(line, PROXY_V1_MAX, &pi, &consumed), PROXY_OK);
	assert_int_equal(consumed, PROXY_V1_MAX);
	assert_int_equal(parse(line, PROXY_V1_MAX - 1, &pi, &consumed), PROXY_NEED_MORE);

	/* one byte more: the CR lands at 107 and is too late */
	memset(line, 'a', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + PROXY_V1_MAX - 1, "\r\n", 2);
	assert_int_equal(parse(line, PROXY_V1_MAX + 1, &pi, &consumed), PROXY_ERROR);
	assert_int_equal(parse(line, PROXY_V1_MAX - 1, &pi, &consumed), PROXY_ERROR);
	assert_int_equal(parse(line, PROXY_V1_MAX - 2, &pi, &consumed), PROXY_NEED_MORE);

	/* no CRLF at all: an error once 107 bytes are in, not a wait */
	memset(line, 'a', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	assert_int_equal(parse(line, sizeof(line), &pi, &consumed), PROXY_ERROR);
}

static size_t v2_head(unsigned char *p, unsigned char cmd_fam[2], size_t block)
{
	memcpy(p, V2SIG, 12);
	p[12] = cmd_fam[0];
	p[13] = cmd_fam[1];
	p[14] = (unsigned char)(block >> 8);
	p[15] = (unsigned char)block;
	return PROXY_V2_HEAD;
}

/* The largest block a v2 header can carry, all TLVs: parsed in place at
 * the guard page; and a UNIX-socket client, which names no usable address. */
static void test_v2_sizes(void **state)
{
	static unsigned char buf[PROXY_V2_HEAD + 65535 + 8];
	unsigned char tcp4[2] = { 0x21, 0x11 }, unix_stream[2] = { 0x21, 0x31 };
	size_t n = v2_head(buf, tcp4, 65535), rest = 65535 - 12;
	struct proxy_info pi;
	size_t consumed;

	memcpy(buf + n, V2A4, 12);
	n += 12;
	/* TLVs of 1000 bytes of value each, then one filling the rest */
	while (rest > 0) {
		size_t v = rest - 3 > 1000 ? 1000 : rest - 3;

		buf[n] = 0xe0;
		buf[n + 1] = (unsigned char)(v >> 8);
		buf[n + 2] = (unsigned char)v;
		memset(buf + n + 3, 'x', v);
		n += 3 + v;
		rest -= 3 + v;
		if (rest > 0 && rest < 3) {
			/* cannot happen with these sizes, but keep the case honest */
			fail_msg("TLV layout left %zu bytes", rest);
		}
	}
	assert_int_equal(n, PROXY_V2_HEAD + 65535);
	assert_int_equal(parse(buf, n, &pi, &consumed), PROXY_OK);
	assert_int_equal(consumed, n);
	assert_int_equal(pi.tlv_len, 65535 - 12);
	assert_int_equal(parse(buf, n - 1, &pi, &consumed), PROXY_NEED_MORE);

	n = v2_head(buf, unix_stream, 216);
	memset(buf + n, 0, 216);
	memcpy(buf + n, "/run/client", 11);
	assert_int_equal(parse(buf, n + 216, &pi, &consumed), PROXY_OK);
	assert_int_equal(consumed, n + 216);
	assert_false(pi.has_addr);
	assert_int_equal(parse(buf, n + 215, &pi, &consumed), PROXY_NEED_MORE);
	v2_head(buf, unix_stream, 215);
	assert_int_equal(parse(buf, n + 215, &pi, &consumed), PROXY_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_bytewise),
		cmocka_unit_test(test_v1_limit),
		cmocka_unit_test(test_v2_sizes),
	};
	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
