/* CIDR ranges (see cidr.h). */
#include "util/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Whether the bits of a past the prefix are all zero. */
static bool host_bits_clear(const unsigned char *a, unsigned bytes, unsigned prefix)
{
	for (unsigned i = prefix / 8; i < bytes; i++) {
		unsigned keep = i == prefix / 8 ? prefix % 8 : 0;
		unsigned char mask = (unsigned char)(0xff >> keep);

		if (a[i] & mask)
			return false;
	}
	return true;
}

int cidr_parse(const char *s, struct cidr *out)
{
	char text[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	struct cidr c = { 0 };
	unsigned max, prefix = 0;

	if (alen == 0 || alen >= sizeof(text))
		return -1;
	memcpy(text, s, alen);
	text[alen] = '\0';
	if (inet_pton(AF_INET, text, c.addr) == 1)
		c.family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, text, c.addr) == 1)
		c.family = AF_INET6, max = 128;
	else
		return -1;
	if (!slash) {
		prefix = max;
	} else {
		const char *d = slash + 1;

		/* 1..3 digits, no sign, no leading zero (so "/08" is refused) */
		if (*d == '\0' || strlen(d) > 3 || (d[0] == '0' && d[1] != '\0'))
			return -1;
		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				return -1;
			prefix = prefix * 10 + (unsigned)(*d - '0');
		}
		if (prefix > max)
			return -1;
	}
	if (!host_bits_clear(c.addr, max / 8, prefix))
		return -1;
	c.prefix = prefix;
	*out = c;
	return 0;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
	unsigned whole = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[whole] ^ b[whole]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

static bool match_raw(const struct cidr *c, int family, const unsigned char *a)
{
	return c->family == family && prefix_equal(c->addr, a, c->prefix);
}

/* The address as (family, bytes), an IPv4-mapped IPv6 one as IPv4: a
 * dual-stack listener sees IPv4 clients that way. */
static int addr_bytes(const struct sockaddr *sa, const unsigned char **a)
{
	if (sa->sa_family == AF_INET) {
		*a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(in6)) {
			*a = in6->s6_addr + 12;
			return AF_INET;
		}
		*a = in6->s6_addr;
		return AF_INET6;
	}
	return AF_UNSPEC;
}

bool cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	const unsigned char *a;
	int family = addr_bytes(sa, &a);

	return family != AF_UNSPEC && match_raw(c, family, a);
}

bool cidr_match_any(const struct cidr *list, size_t n, const struct sockaddr *sa)
{
	const unsigned char *a;
	int family = addr_bytes(sa, &a);

	if (family == AF_UNSPEC)
		return false;
	for (size_t i = 0; i < n; i++)
		if (match_raw(&list[i], family, a))
			return true;
	return false;
}

int cidr_addr_parse(const char *s, size_t len, struct sockaddr_storage *out)
{
	char text[INET6_ADDRSTRLEN];
	struct sockaddr_storage ss;

	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return -1;
	*out = ss;
	return 0;
}

bool cidr_match_text(const struct cidr *list, size_t n, const char *s, size_t len)
{
	struct sockaddr_storage ss;

	return cidr_addr_parse(s, len, &ss) == 0 &&
	       cidr_match_any(list, n, (const struct sockaddr *)&ss);
}

void cidr_addr_format(const struct sockaddr_storage *ss, char *out, size_t len)
{
	const void *a = NULL;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (!a || !inet_ntop(ss->ss_family, a, out, (socklen_t)len))
		snprintf(out, len, "-");
}
