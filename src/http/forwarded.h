/* The client named by the proxies in front of us, from X-Forwarded-For or
 * Forwarded (RFC 7239), for the access log only. Pure. */
#ifndef EISD_FORWARDED_H
#define EISD_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "http/http_parse.h"
#include "util/cidr.h"

/* Call only when the connection's peer is in trusted[0..n): each proxy
 * appends the address it saw, so walking the list from the right, the
 * first address that is not a trusted proxy is the client (what comes
 * left of it, anyone could have written). When every address is trusted,
 * the leftmost one. Returns true with *out set, or false when the
 * request says nothing usable: neither header; both (one of them is the
 * client's own invention, and which one is unknowable); a hop that is not
 * an address ("unknown", an obfuscated name, garbage) before the client
 * was reached; a Forwarded element without for=. Never guesses. */
bool http_forwarded_client(const struct http_request *req, const struct cidr *trusted,
			   size_t n, struct sockaddr_storage *out);

/* One node as the headers write it: "192.0.2.1", "192.0.2.1:80",
 * "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:80", the port possibly
 * obfuscated ("_p"); quotes around it are removed. 0, or -1. */
int http_forwarded_node(const char *s, size_t len, struct sockaddr_storage *out);

#endif
