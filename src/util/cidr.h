/* Address ranges in CIDR notation ("10.0.0.0/8", "::1", "fd00::/8") and
 * matching a peer against them. Pure: no I/O, no allocation. */
#ifndef EISD_CIDR_H
#define EISD_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct cidr {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* network order; 4 used for AF_INET */
	unsigned prefix;         /* 0..32 or 0..128 */
};

/* "ADDR" (a single host) or "ADDR/LEN". 0, or -1 when s is not one
 * (including host bits set below the prefix: "10.0.0.1/8" is a typo
 * that would trust more or less than meant). */
int cidr_parse(const char *s, struct cidr *out);

/* Whether sa (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts as
 * the IPv4 one) lies in c. Any other family matches nothing. */
bool cidr_match(const struct cidr *c, const struct sockaddr *sa);

/* Whether sa lies in any of list[0..n). */
bool cidr_match_any(const struct cidr *list, size_t n, const struct sockaddr *sa);

/* Same for an address in text form ("192.0.2.1", "2001:db8::1"). */
bool cidr_match_text(const struct cidr *list, size_t n, const char *s, size_t len);

/* s[0..len) exactly an IPv4 or IPv6 address (no brackets, no port) into
 * *out (port 0). 0, or -1 when it is not one. */
int cidr_addr_parse(const char *s, size_t len, struct sockaddr_storage *out);
/* The address of ss in numeric form, without port ("-" for another
 * family); len of INET6_ADDRSTRLEN is always enough. */
void cidr_addr_format(const struct sockaddr_storage *ss, char *out, size_t len);

#endif
