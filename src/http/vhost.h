/* Virtual hosts (--vhost NAME=DIR): the request's Host (HTTP/2: its
 * :authority) picks the root. The host is taken without its port,
 * validated as a host name (labels of letters, digits and '-', 1-63
 * bytes each, 253 at most; one trailing '.' dropped; an IPv6 literal in
 * brackets) and lower-cased before it is compared, so a Host of "..",
 * with a '/' or a '%' can never become part of a path: it is simply a
 * name no vhost has. */
#ifndef EISD_VHOST_H
#define EISD_VHOST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ctx.h"
#include "http/handler.h"

#define VHOST_NAME_MAX 253

/* The host of a Host value h[0..len) into out (VHOST_NAME_MAX + 1
 * bytes), lower case, without port: its length, or -1 when it is not a
 * valid host name or IP literal. */
long vhost_host(const char *h, size_t len, char *out);

/* Whether name is a valid --vhost NAME: a host name, or "*." and one (a
 * wildcard, one label deep). */
bool vhost_name_ok(const char *name);

/* The vhost host[0..len) (vhost_host's output) belongs to: an exact name
 * first, then a wildcard "*.example.org" covering exactly one label more
 * ("a.example.org", not "a.b.example.org" nor "example.org"); -1: none. */
int vhost_match(const struct ctx_vhost *v, unsigned n, const char *host, size_t len);

/* Points x at its vhost's root and file cache. Returns false when x->resp
 * is the answer: 421 for a host no vhost has under --vhost-strict, or
 * for a Host that is not the TLS SNI name the connection was set up for
 * (x->server_name). */
bool vhost_pick(struct http_exchange *x);

#endif
