/* The --redirect-http listener's answer: 308 to the same target on the
 * HTTPS port (RFC 9110 §15.4.9 keeps the method, unlike 301). */
#ifndef EISD_REDIRECT_H
#define EISD_REDIRECT_H

#include <stddef.h>

struct http_exchange;

#define REDIRECT_LOCATION_MAX 8448 /* "https://" + host + port + target */

/* Writes "https://HOST[:PORT]TARGET" into out (NUL-terminated) and returns
 * its length, or -1 when host (the Host header, maybe with a port, which
 * is dropped) is not a DNS name, an IPv4 address or a bracketed IPv6
 * literal, or when out is too small. PORT is left out when it is 443.
 * path and query are the request's (already checked by the parser: no
 * space or control bytes); query NULL: none. */
long redirect_location(const char *host, size_t host_len, int https_port,
		       const char *path, size_t path_len, const char *query,
		       size_t query_len, char *out, size_t outlen);

/* The whole answer of the redirect listener for x's request: 308 with
 * that Location, or 400 for a bad Host. 0, or -1 when out of memory. */
int redirect_serve(struct http_exchange *x, int https_port);

#endif
