/* PROXY protocol v1/v2 parser (see proxy_proto.h). Every length is
 * checked against what arrived before a byte is read. */
#include "util/proxy_proto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static const char v1_prefix[] = "PROXY ";
#define V1_PREFIX_LEN (sizeof(v1_prefix) - 1)

/* Spec 2.2: the twelve bytes no HTTP, TLS or text protocol begins with. */
static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

enum {
	V2_CMD_LOCAL = 0x0,
	V2_CMD_PROXY = 0x1,
	V2_FAM_UNSPEC = 0x00,
	V2_FAM_TCP4 = 0x11,
	V2_FAM_TCP6 = 0x21,
	V2_FAM_UNIX_STREAM = 0x31,
	V2_ADDR_TCP4 = 12,  /* src, dst (4 each), sport, dport (2 each) */
	V2_ADDR_TCP6 = 36,  /* src, dst (16 each), ports */
	V2_ADDR_UNIX = 216, /* src, dst (108 each) */
	V2_TLV_HEAD = 3,    /* type, length (2, big-endian) */
};

/* The longest address text a v1 line may carry, NUL included
 * (INET6_ADDRSTRLEN covers the IPv4-mapped dotted form). */
#define V1_ADDR_MAX INET6_ADDRSTRLEN

struct v1_token {
	const char *p;
	size_t len;
};

static bool v1_addr(const struct v1_token *t, int family, void *dst)
{
	char s[V1_ADDR_MAX];

	if (t->len == 0 || t->len >= sizeof(s))
		return false;
	memcpy(s, t->p, t->len);
	s[t->len] = '\0';
	/* inet_pton takes only the canonical dotted quad for AF_INET (no
	 * octal, no short forms), which is what the spec allows. */
	return inet_pton(family, s, dst) == 1;
}

/* 0..65535 in decimal, without a sign or a leading zero. */
static bool v1_port(const struct v1_token *t, uint16_t *port)
{
	uint32_t v = 0;

	if (t->len == 0 || t->len > 5 || (t->p[0] == '0' && t->len > 1))
		return false;
	for (size_t i = 0; i < t->len; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(t->p[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* One socket address of family (AF_INET or AF_INET6) from its address
 * bytes and port, both in network order; returns its length. */
static socklen_t set_in(struct sockaddr_storage *ss, int family, const void *addr,
			uint16_t port_n)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		sin->sin_port = port_n;
		memcpy(&sin->sin_addr, addr, 4);
		return sizeof(*sin);
	}
	sin6->sin6_port = port_n;
	memcpy(&sin6->sin6_addr, addr, 16);
	return sizeof(*sin6);
}

/* out's src and dst (family AF_INET or AF_INET6) from address bytes and
 * ports, all in network order. */
static void set_addrs(struct proxy_info *out, int family, const void *src, const void *dst,
		      uint16_t sport_n, uint16_t dport_n)
{
	out->has_addr = true;
	out->family = family;
	out->addr_len = set_in(&out->src, family, src, sport_n);
	set_in(&out->dst, family, dst, dport_n);
}

/* The line between "PROXY " and CRLF: single spaces between fields. */
static enum proxy_result v1_fields(const char *p, size_t len, struct proxy_info *out)
{
	struct v1_token t[5];
	unsigned char src[16], dst[16];
	uint16_t sport, dport;
	size_t n = 0, start = 0;
	int family;

	/* UNKNOWN: the rest of the line is to be ignored (spec 2.1). */
	if (len >= 7 && memcmp(p, "UNKNOWN", 7) == 0 && (len == 7 || p[7] == ' ')) {
		*out = (struct proxy_info){ .version = 1, .family = AF_UNSPEC };
		return PROXY_OK;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != ' ')
			continue;
		if (n == 5)
			return PROXY_ERROR;
		t[n++] = (struct v1_token){ p + start, i - start };
		start = i + 1;
	}
	if (n != 5)
		return PROXY_ERROR;
	if (t[0].len == 4 && memcmp(t[0].p, "TCP4", 4) == 0)
		family = AF_INET;
	else if (t[0].len == 4 && memcmp(t[0].p, "TCP6", 4) == 0)
		family = AF_INET6;
	else
		return PROXY_ERROR;
	if (!v1_addr(&t[1], family, src) || !v1_addr(&t[2], family, dst) ||
	    !v1_port(&t[3], &sport) || !v1_port(&t[4], &dport))
		return PROXY_ERROR;

	*out = (struct proxy_info){ .version = 1 };
	set_addrs(out, family, src, dst, htons(sport), htons(dport));
	return PROXY_OK;
}

static enum proxy_result parse_v1(const char *p, size_t len,
				  struct proxy_info *out, size_t *consumed)
{
	struct proxy_info info;
	enum proxy_result r;
	size_t i;

	if (memcmp(p, v1_prefix, len < V1_PREFIX_LEN ? len : V1_PREFIX_LEN) != 0)
		return PROXY_ERROR;
	if (len < V1_PREFIX_LEN)
		return PROXY_NEED_MORE;
	/* The CR may be at most at PROXY_V1_MAX - 2, so CRLF fits in 107. */
	for (i = V1_PREFIX_LEN; i < len && i < PROXY_V1_MAX - 1; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\r')
			break;
		if (ch < 0x20 || ch > 0x7e)
			return PROXY_ERROR;
	}
	if (i == PROXY_V1_MAX - 1)
		return PROXY_ERROR; /* no CRLF within the limit */
	if (i == len || i + 1 == len)
		return PROXY_NEED_MORE;
	if (p[i + 1] != '\n')
		return PROXY_ERROR;
	r = v1_fields(p + V1_PREFIX_LEN, i - V1_PREFIX_LEN, &info);
	if (r != PROXY_OK)
		return r;
	*out = info;
	*consumed = i + 2;
	return PROXY_OK;
}

static uint16_t be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* TLVs fill the rest of the block exactly (spec 2.2.7): one that runs
 * past its end means the length lied. */
static bool v2_tlvs_ok(const unsigned char *p, size_t len)
{
	while (len > 0) {
		size_t tl;

		if (len < V2_TLV_HEAD)
			return false;
		tl = be16(p + 1);
		if (tl > len - V2_TLV_HEAD)
			return false;
		p += V2_TLV_HEAD + tl;
		len -= V2_TLV_HEAD + tl;
	}
	return true;
}

static enum proxy_result parse_v2(const unsigned char *p, size_t len,
				  struct proxy_info *out, size_t *consumed)
{
	struct proxy_info info = { .version = 2, .family = AF_UNSPEC };
	size_t block, total, addr = 0, alen = 0;
	unsigned cmd, fam;
	int family = AF_UNSPEC; /* of the addresses the block holds */

	if (memcmp(p, v2_sig, len < sizeof(v2_sig) ? len : sizeof(v2_sig)) != 0)
		return PROXY_ERROR;
	/* Refuse a bad version or command as soon as its byte is here. */
	if (len > 12 && ((p[12] >> 4) != 2 || (p[12] & 0x0f) > V2_CMD_PROXY))
		return PROXY_ERROR;
	if (len < PROXY_V2_HEAD)
		return PROXY_NEED_MORE;
	cmd = p[12] & 0x0f;
	fam = p[13];
	block = be16(p + 14);
	total = PROXY_V2_HEAD + block;

	if (cmd == V2_CMD_PROXY) {
		switch (fam) {
		case V2_FAM_UNSPEC: /* the block is to be ignored */
			break;
		case V2_FAM_TCP4:
			addr = V2_ADDR_TCP4;
			family = AF_INET;
			alen = 4;
			break;
		case V2_FAM_TCP6:
			addr = V2_ADDR_TCP6;
			family = AF_INET6;
			alen = 16;
			break;
		case V2_FAM_UNIX_STREAM: /* no address a log can use */
			addr = V2_ADDR_UNIX;
			break;
		default: /* datagrams, or a family the spec does not define */
			return PROXY_ERROR;
		}
		if (block < addr)
			return PROXY_ERROR;
	}
	if (len < total)
		return PROXY_NEED_MORE;

	/* LOCAL (a health check from the proxy itself) and UNSPEC: the
	 * block, family included, is discarded (spec 2.2). */
	if (cmd == V2_CMD_PROXY && fam != V2_FAM_UNSPEC) {
		const unsigned char *a = p + PROXY_V2_HEAD;

		if (!v2_tlvs_ok(a + addr, block - addr))
			return PROXY_ERROR;
		info.tlv_len = block - addr;
		if (family != AF_UNSPEC) {
			uint16_t sport, dport;

			/* src, dst (alen each), then the two ports. */
			memcpy(&sport, a + 2 * alen, 2);
			memcpy(&dport, a + 2 * alen + 2, 2);
			set_addrs(&info, family, a, a + alen, sport, dport);
		}
	}
	*out = info;
	*consumed = total;
	return PROXY_OK;
}

enum proxy_result proxy_parse(const void *buf, size_t len,
			      struct proxy_info *out, size_t *consumed)
{
	const unsigned char *p = buf;

	if (len == 0)
		return PROXY_NEED_MORE;
	if (p[0] == 'P')
		return parse_v1(buf, len, out, consumed);
	if (p[0] == v2_sig[0])
		return parse_v2(p, len, out, consumed);
	return PROXY_ERROR;
}
