/* The engine-side calls of a connection (the worker drives these; a
 * protocol never does). */
#ifndef EISD_CONN_IO_H
#define EISD_CONN_IO_H

#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/conn.h"

struct worker;

/* A connection on the accepted fd, speaking the server's protocol over
 * its transport. NULL when that failed: the fd is closed then, and the
 * connection counted out. */
struct conn *conn_new(struct worker *w, int fd, const struct sockaddr_storage *peer);
/* Serves what the new connection already sent, then waits in the loop. */
void conn_start(struct conn *c);
void conn_close(struct conn *c);
void conn_on_event(struct conn *c, int mask);
void conn_on_timeout(struct conn *c);
void conn_timer_set(struct conn *c, enum conn_timer t);
void conn_format_addr(const struct sockaddr_storage *ss, char *out, size_t len);

#endif
