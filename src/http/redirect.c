/* Location for the HTTP -> HTTPS redirect. The host comes from the
 * client, so it is checked byte by byte: only what a host name or an
 * address literal may hold reaches the header (no CR, LF, '/', '@' or
 * anything else that could split a header or point elsewhere). */
#include "http/redirect.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "http/handler.h"

#define HOST_MAX 253

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

/* RFC 1123 names (labels of letters, digits, hyphens, 1-63 bytes, not
 * starting or ending with '-'), which covers dotted IPv4 too; one
 * trailing dot allowed. */
static bool dns_name_ok(const char *h, size_t n)
{
	size_t label = 0;

	if (n && h[n - 1] == '.')
		n--;
	if (n == 0 || n > HOST_MAX)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (label == 0 || label > 63 || h[i - 1] == '-' || h[i - label] == '-')
				return false;
			label = 0;
		} else if (label_char(h[i])) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

static bool port_ok(const char *p, size_t n)
{
	if (n == 0 || n > 5)
		return n == 0; /* "host:" is allowed (RFC 3986: empty port) */
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

long redirect_location(const char *host, size_t host_len, int https_port,
		       const char *path, size_t path_len, const char *query,
		       size_t query_len, char *out, size_t outlen)
{
	size_t name_len;
	char v6[64], portbuf[8] = "";
	int n;

	if (!host || host_len == 0)
		return -1;
	if (host[0] == '[') {
		const char *end = memchr(host, ']', host_len);
		struct in6_addr a;
		size_t inner;

		if (!end)
			return -1;
		inner = (size_t)(end - host - 1);
		if (inner == 0 || inner >= sizeof(v6))
			return -1;
		memcpy(v6, host + 1, inner);
		v6[inner] = '\0';
		if (inet_pton(AF_INET6, v6, &a) != 1)
			return -1;
		name_len = inner + 2;
		if (name_len < host_len && (host[name_len] != ':' ||
					    !port_ok(host + name_len + 1, host_len - name_len - 1)))
			return -1;
	} else {
		const char *colon = memchr(host, ':', host_len);
		name_len = colon ? (size_t)(colon - host) : host_len;
		if (!dns_name_ok(host, name_len))
			return -1;
		if (colon && !port_ok(colon + 1, host_len - name_len - 1))
			return -1;
	}
	if (https_port != 443)
		snprintf(portbuf, sizeof(portbuf), ":%d", https_port);
	if (path_len == 1 && path[0] == '*') /* OPTIONS *: the site itself */
		path = "/";
	n = snprintf(out, outlen, "https://%.*s%s%.*s%s%.*s", (int)name_len, host, portbuf,
		     (int)path_len, path, query ? "?" : "", query ? (int)query_len : 0,
		     query ? query : "");
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

int redirect_serve(struct http_exchange *x, int https_port)
{
	const struct http_request *req = x->req;
	struct http_response *r = &x->resp;
	char loc[REDIRECT_LOCATION_MAX];
	long n = redirect_location(req->host.p, req->host.len, https_port, req->path.p,
				   req->path.len, req->query.p, req->query.len, loc, sizeof(loc));

	if (n < 0)
		return http_response_error(r, HTTP_BAD_REQUEST);
	r->status = HTTP_PERMANENT_REDIRECT;
	http_response_field(r, HTTP_F_LOCATION, loc, (size_t)n);
	return r->failed ? -1 : 0;
}
