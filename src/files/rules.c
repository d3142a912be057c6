/* Path rules on the normalised path. See rules.h. */
#include "files/rules.h"

#include <limits.h>
#include <string.h>

#include "files/path.h"
#include "http/negotiate.h"
#include "util/chars.h"

long rules_config_path(const char *in, char *out, size_t outsz)
{
	char buf[PATH_MAX];
	size_t n = strlen(in);
	int trailing = 0;
	long len;

	if (n == 0 || n >= sizeof(buf) || in[0] != '/')
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 || c == 0x7f || c == '?' || c == '#')
			return -1;
	}
	memcpy(buf, in, n + 1);
	len = path_normalize(buf, &trailing);
	if (len < 0 || (size_t)len + 3 > outsz)
		return -1;
	return (long)rules_full_path(out, buf, (size_t)len, trailing && len > 0);
}

size_t rules_full_path(char *out, const char *rel, size_t len, bool trailing)
{
	size_t n = 0;

	out[n++] = '/';
	memcpy(out + n, rel, len);
	n += len;
	if (trailing && len > 0)
		out[n++] = '/';
	out[n] = '\0';
	return n;
}

bool rules_covers(const char *prefix, size_t plen, const char *full, size_t flen)
{
	if (plen > 1 && prefix[plen - 1] == '/') {
		/* "/a/" covers "/a" too: the directory itself. */
		if (flen == plen - 1 && memcmp(prefix, full, flen) == 0)
			return true;
		return flen >= plen && memcmp(prefix, full, plen) == 0;
	}
	if (flen < plen || memcmp(prefix, full, plen) != 0)
		return false;
	return flen == plen || plen == 1 || full[plen] == '/';
}

const struct config_redirect *rules_redirect_for(const struct config *cfg, const char *full,
						  size_t flen)
{
	const struct config_redirect *best = NULL;

	for (int i = 0; i < cfg->nredirects; i++) {
		const struct config_redirect *rd = &cfg->redirects[i];

		if (!rd->prefix) {
			if (rd->from_len == flen && memcmp(rd->from, full, flen) == 0)
				return rd;
		} else if (rules_covers(rd->from, rd->from_len, full, flen) &&
			   (!best || rd->from_len > best->from_len)) {
			best = rd;
		}
	}
	return best;
}

/* RFC 3986 pchar without '%' (which is always encoded), plus '/'. */
static bool keep_literal(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-._~!$&'()*+,;=:@/", c) != NULL;
}

void rules_redirect_location(const struct config_redirect *rd, const char *full, size_t flen,
			     struct http_str query, struct bytes *b)
{
	bytes_put(b, rd->to, rd->to_len);
	if (rd->prefix) {
		for (size_t i = rd->from_len; i < flen; i++) {
			unsigned char c = (unsigned char)full[i];

			if (c && keep_literal(c)) {
				bytes_char(b, (char)c);
			} else {
				bytes_char(b, '%');
				bytes_char(b, chars_hex_upper[c >> 4]);
				bytes_char(b, chars_hex_upper[c & 15]);
			}
		}
	}
	if (query.p) {
		bytes_char(b, '?');
		bytes_put(b, query.p, query.len);
	}
}

bool rules_fallback_wanted(const struct http_request *req, const char *rel, size_t len)
{
	size_t i = len;

	while (i > 0 && rel[i - 1] != '/') {
		if (rel[i - 1] == '.')
			return false;
		i--;
	}
	return req->accept.p && negotiate_q(req->accept.p, req->accept.len, "text/html") > 0;
}

bool rules_auth_required(const struct config *cfg, const char *full, size_t flen)
{
	if (!cfg->auth_db)
		return false;
	if (cfg->nauth == 0)
		return true;
	for (int i = 0; i < cfg->nauth; i++)
		if (rules_covers(cfg->auth[i].path, cfg->auth[i].len, full, flen))
			return true;
	return false;
}
