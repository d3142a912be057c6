/* X-Forwarded-For and Forwarded (see forwarded.h). Lists are walked from
 * the right, in place: the last header line first, and its last item
 * first. */
#include "http/forwarded.h"

#include <string.h>

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *len)
{
	while (*len && is_ows(**s))
		(*s)++, (*len)--;
	while (*len && is_ows((*s)[*len - 1]))
		(*len)--;
}

static bool port_ok(const char *s, size_t len)
{
	if (len == 0)
		return false;
	if (s[0] == '_') /* obfuscated (RFC 7239 §6.3) */
		return true;
	if (len > 5)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int http_forwarded_node(const char *s, size_t len, struct sockaddr_storage *out)
{
	const char *colon;

	trim(&s, &len);
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
		s++, len -= 2;
	if (len && s[0] == '[') {
		const char *end = memchr(s, ']', len);
		size_t alen, rest;

		if (!end)
			return -1;
		alen = (size_t)(end - s) - 1;
		rest = len - alen - 2;
		if (rest && (end[1] != ':' || !port_ok(end + 2, rest - 1)))
			return -1;
		if (cidr_addr_parse(s + 1, alen, out) || out->ss_family != AF_INET6)
			return -1;
		return 0;
	}
	if (cidr_addr_parse(s, len, out) == 0)
		return 0;
	/* IPv4 with a port: the only form left with exactly one colon */
	colon = memchr(s, ':', len);
	if (!colon || memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
		return -1;
	if (!port_ok(colon + 1, len - (size_t)(colon - s) - 1))
		return -1;
	if (cidr_addr_parse(s, (size_t)(colon - s), out) || out->ss_family != AF_INET)
		return -1;
	return 0;
}

/* The last piece of s[0..*len) after a sep outside quotes; shortens *len
 * to what is left of that sep (or to 0 with *more false). */
static void last_piece(const char *s, size_t *len, char sep, const char **piece,
		       size_t *plen, bool *more)
{
	bool quoted = false;
	size_t i = *len;

	while (i > 0) {
		char c = s[i - 1];

		if (c == '"')
			quoted = !quoted;
		else if (c == sep && !quoted)
			break;
		i--;
	}
	*piece = s + i;
	*plen = *len - i;
	*more = i > 0;
	*len = i > 0 ? i - 1 : 0;
}

/* The for= value of one Forwarded element ("for=...;proto=...;by=..."). */
static bool element_for(const char *s, size_t len, const char **v, size_t *vlen)
{
	bool more = true;

	while (more) {
		const char *pair;
		size_t plen;

		last_piece(s, &len, ';', &pair, &plen, &more);
		trim(&pair, &plen);
		if (plen > 4 && (pair[0] | 0x20) == 'f' && (pair[1] | 0x20) == 'o' &&
		    (pair[2] | 0x20) == 'r' && pair[3] == '=') {
			*v = pair + 4;
			*vlen = plen - 4;
			return true;
		}
	}
	return false;
}

enum walk { WALK_ON, WALK_FOUND, WALK_STOP };

/* One hop, right to left: a trusted proxy (go on), the client, or not
 * an address (stop). */
static enum walk hop(const char *s, size_t len, const struct cidr *trusted, size_t n,
		     struct sockaddr_storage *last)
{
	struct sockaddr_storage ss;

	if (http_forwarded_node(s, len, &ss))
		return WALK_STOP;
	*last = ss;
	return cidr_match_any(trusted, n, (const struct sockaddr *)&ss) ? WALK_ON : WALK_FOUND;
}

bool http_forwarded_client(const struct http_request *req, const struct cidr *trusted,
			   size_t n, struct sockaddr_storage *out)
{
	struct sockaddr_storage last;
	bool xff = false, fwd = false, any = false;

	for (size_t i = 0; i < req->header_count; i++) {
		xff |= http_str_eq_nocase(req->headers[i].name, "x-forwarded-for");
		fwd |= http_str_eq_nocase(req->headers[i].name, "forwarded");
	}
	if (xff == fwd)
		return false; /* neither, or both */

	for (size_t i = req->header_count; i-- > 0;) {
		const struct http_header *h = &req->headers[i];
		const char *s = h->value.p;
		size_t len = h->value.len;
		bool more = true;

		if (!http_str_eq_nocase(h->name, xff ? "x-forwarded-for" : "forwarded"))
			continue;
		/* A quoted-pair could hide a quote from the splitter. */
		if (fwd && memchr(s, '\\', len))
			return false;
		while (more) {
			const char *item, *v;
			size_t ilen, vlen;
			enum walk w;

			last_piece(s, &len, ',', &item, &ilen, &more);
			if (xff) {
				w = hop(item, ilen, trusted, n, &last);
			} else {
				if (!element_for(item, ilen, &v, &vlen))
					return false;
				w = hop(v, vlen, trusted, n, &last);
			}
			if (w == WALK_STOP)
				return false;
			any = true;
			if (w == WALK_FOUND) {
				*out = last;
				return true;
			}
		}
	}
	if (any)
		*out = last; /* all trusted: the leftmost */
	return any;
}
