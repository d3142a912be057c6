/* The TLS transport: core/transport.h's calls over a tls_server's
 * certificates. One per TLS listener; main makes it and gives it to the
 * server. */
#ifndef EISD_TRANSPORT_TLS_H
#define EISD_TRANSPORT_TLS_H

#include <stdint.h>

struct proto;
struct tls_server;
struct transport;

/* NULL when out of memory. The tls_server must outlive it. */
struct transport *transport_tls_new(struct tls_server *ts);
void transport_tls_free(struct transport *tp);
/* HTTP/2: offer h2 in ALPN (before http/1.1) and switch a connection to
 * h2 once ALPN chose it (conn_set_proto, before its first byte). NULL
 * turns it off again. Call before the workers start. */
void transport_tls_set_h2(struct transport *tp, const struct proto *h2);

#endif
