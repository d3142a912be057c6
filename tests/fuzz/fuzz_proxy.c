/* libFuzzer target: the PROXY protocol parser (src/util/proxy_proto.h).
 *
 * Aborts when a promise of proxy_proto.h breaks:
 *  - the result is one of the three; out and *consumed are left alone
 *    unless PROXY_OK;
 *  - PROXY_OK: 0 < consumed <= len; a v1 header is at most 107 bytes and
 *    ends in CRLF, a v2 one is exactly 16 + its length field; an address
 *    is AF_INET or AF_INET6 in both src and dst with the matching size;
 *  - the header alone parses the same, and one byte less is NEED_MORE
 *    (the bytes after a header never change it);
 *  - NEED_MORE for the input means NEED_MORE for every prefix of it, and
 *    one byte less than an ERROR is never OK.
 * The input is parsed from an exactly-sized heap copy, so reading past
 * len is an ASan report. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/proxy_proto.h"

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

static enum proxy_result parse(const uint8_t *data, size_t n, struct proxy_info *out,
			       size_t *consumed)
{
	uint8_t *copy = malloc(n ? n : 1);
	struct proxy_info before;
	enum proxy_result r;

	CHECK(copy != NULL);
	memcpy(copy, data, n);
	memset(out, 0xa5, sizeof(*out));
	memcpy(&before, out, sizeof(before));
	*consumed = SIZE_MAX;
	r = proxy_parse(copy, n, out, consumed);
	free(copy);
	CHECK(r == PROXY_OK || r == PROXY_NEED_MORE || r == PROXY_ERROR);
	if (r != PROXY_OK) {
		CHECK(memcmp(&before, out, sizeof(before)) == 0);
		CHECK(*consumed == SIZE_MAX);
	}
	return r;
}

static void check_ok(const uint8_t *data, const struct proxy_info *pi, size_t consumed)
{
	CHECK(consumed > 0);
	if (pi->version == 1) {
		CHECK(consumed <= PROXY_V1_MAX);
		CHECK(data[consumed - 2] == '\r' && data[consumed - 1] == '\n');
		CHECK(pi->tlv_len == 0);
	} else {
		CHECK(pi->version == 2);
		CHECK(consumed == PROXY_V2_HEAD + ((size_t)data[14] << 8 | data[15]));
		CHECK(pi->tlv_len <= consumed - PROXY_V2_HEAD);
	}
	if (pi->has_addr) {
		socklen_t want = pi->family == AF_INET ? sizeof(struct sockaddr_in)
						       : sizeof(struct sockaddr_in6);

		CHECK(pi->family == AF_INET || pi->family == AF_INET6);
		CHECK(pi->src.ss_family == pi->family && pi->dst.ss_family == pi->family);
		CHECK(pi->addr_len == want);
	} else {
		CHECK(pi->family == AF_UNSPEC);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_info a, b;
	size_t ca, cb;
	enum proxy_result r = parse(data, size, &a, &ca), r2;

	if (r == PROXY_OK) {
		CHECK(ca <= size);
		check_ok(data, &a, ca);
		CHECK(parse(data, ca, &b, &cb) == PROXY_OK);
		CHECK(cb == ca && b.version == a.version && b.has_addr == a.has_addr);
		CHECK(memcmp(&a.src, &b.src, sizeof(a.src)) == 0);
		CHECK(memcmp(&a.dst, &b.dst, sizeof(a.dst)) == 0);
		CHECK(parse(data, ca - 1, &b, &cb) == PROXY_NEED_MORE);
	} else if (size > 0) {
		r2 = parse(data, size - 1, &b, &cb);
		if (r == PROXY_NEED_MORE)
			CHECK(r2 == PROXY_NEED_MORE);
		else
			CHECK(r2 != PROXY_OK);
	}
	/* the same input gives the same answer */
	CHECK(parse(data, size, &b, &cb) == r);
	return 0;
}
