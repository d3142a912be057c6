/* The HTTP/1.1 serializer of the neutral response (response.h). */
#ifndef EISD_HTTP1_SERIALIZE_H
#define EISD_HTTP1_SERIALIZE_H

#include "http/http_parse.h"
#include "http/response.h"

struct conn;
struct ctx;

/* Queues r on c as HTTP/1.1 (for req; NULL when the request did not
 * parse): the status line, Date, Server, Connection, the --header lines,
 * r's fields, Content-Type and Content-Length, then the body unless
 * r->head: owned bytes copied into the conn's buffer (a small body goes
 * out with the header in one sendmsg), referenced bytes and file ranges
 * queued in place (sendfile), with r's hold handed to the conn.
 *
 * Decides whether the connection stays open (r->close is set to the
 * answer): a request without keep-alive, a status that closes
 * (http_status_closes), a stopping server, or r->close already set.
 * Returns 0, or -1 when memory ran out or r->failed (nothing sensible can
 * be sent: the connection closes). r still needs http_response_free. */
int http1_serialize(struct conn *c, const struct http_request *req, struct http_response *r);

/* Builds x->head_lines for x->date: whenever date changes. */
void http1_head_lines(struct ctx *x);

#endif
