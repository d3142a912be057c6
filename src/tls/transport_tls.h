/* The TLS transport: core/transport.h's calls over a tls_server's
 * certificates. One per TLS listener; main makes it and gives it to the
 * server. */
#ifndef EISD_TRANSPORT_TLS_H
#define EISD_TRANSPORT_TLS_H

#include <stdint.h>

struct tls_server;
struct transport;

/* NULL when out of memory. The tls_server must outlive it. */
struct transport *transport_tls_new(struct tls_server *ts);
void transport_tls_free(struct transport *tp);

#endif
