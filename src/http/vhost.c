/* Virtual hosts. See vhost.h. */
#include "http/vhost.h"

#include <string.h>

#include "util/chars.h"

static bool label_char(unsigned char c)
{
	return chars_is_alpha(c) || chars_is_digit(c) || c == '-';
}

/* A host name in s[0..n): labels of label_char, 1-63 each, not starting
 * or ending with '-'. */
static bool host_name_ok(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > VHOST_NAME_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			size_t l = i - start;

			if (l == 0 || l > 63 || s[start] == '-' || s[i - 1] == '-')
				return false;
			start = i + 1;
		} else if (!label_char((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

long vhost_host(const char *h, size_t len, char *out)
{
	size_t n = len;

	if (!h || len == 0)
		return -1;
	if (h[0] == '[') { /* an IPv6 literal: "[::1]" or "[::1]:8080" */
		const char *end = memchr(h, ']', len);

		if (!end)
			return -1;
		n = (size_t)(end - h) + 1;
		for (size_t i = 1; i + 1 < n; i++)
			if (!chars_is_hex((unsigned char)h[i]) && h[i] != ':' && h[i] != '.')
				return -1;
	} else {
		const char *colon = memchr(h, ':', len);

		if (colon)
			n = (size_t)(colon - h);
	}
	if (n < len) { /* the port: digits only */
		if (h[n] != ':' || n + 1 == len)
			return -1;
		for (size_t i = n + 1; i < len; i++)
			if (!chars_is_digit((unsigned char)h[i]))
				return -1;
	}
	if (h[0] != '[') {
		if (n > 1 && h[n - 1] == '.')
			n--; /* "example.org." is example.org */
		if (!host_name_ok(h, n))
			return -1;
	}
	if (n > VHOST_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
	out[n] = '\0';
	return (long)n;
}

bool vhost_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n > 2 && name[0] == '*' && name[1] == '.')
		return host_name_ok(name + 2, n - 2) && memchr(name + 2, '.', n - 2) != NULL;
	return host_name_ok(name, n);
}

int vhost_match(const struct ctx_vhost *v, unsigned n, const char *host, size_t len)
{
	const char *dot = memchr(host, '.', len);

	for (unsigned i = 0; i < n; i++)
		if (!v[i].wildcard && v[i].len == len && memcmp(v[i].name, host, len) == 0)
			return (int)i;
	if (!dot || dot == host)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		size_t rest = len - (size_t)(dot - host); /* ".example.org" */

		if (v[i].wildcard && v[i].len - 1 == rest && memcmp(v[i].name + 1, dot, rest) == 0)
			return (int)i;
	}
	return -1;
}

/* Whether the SNI name sni is the request's host[0..n) (n < 0: none). */
static bool same_name(const char *sni, const char *host, long n)
{
	char s[VHOST_NAME_MAX + 1];
	long m = vhost_host(sni, strlen(sni), s);

	return n > 0 && m == n && memcmp(s, host, (size_t)n) == 0;
}

/* vhost_pick with vhosts: out of line (noinline), so that a server
 * without any pays no frame for the name buffer. */
__attribute__((noinline)) static bool pick(struct http_exchange *x)
{
	struct ctx *cx = x->ctx;
	char host[VHOST_NAME_MAX + 1];
	long n;
	int i = -1;

	n = vhost_host(x->req->host.p, x->req->host.len, host);
	if (x->server_name && !same_name(x->server_name, host, n)) {
		/* No domain fronting: a connection set up (and its
		 * certificate chosen) for one name serves that name only. */
		http_response_error(&x->resp, HTTP_MISDIRECTED_REQUEST);
		return false;
	}
	if (n > 0)
		i = vhost_match(cx->vhosts, cx->nvhosts, host, (size_t)n);
	if (i >= 0) {
		x->root_fd = cx->vhosts[i].root_fd;
		x->fcache = cx->vhost_fcache[i];
		return true;
	}
	if (cx->vhost_strict) {
		http_response_error(&x->resp, HTTP_MISDIRECTED_REQUEST);
		return false;
	}
	return true;
}

bool vhost_pick(struct http_exchange *x)
{
	return x->ctx->nvhosts == 0 || pick(x);
}
