/* The neutral response (http/response.h) as an HTTP/2 answer: lower-case
 * name/value pairs (no Connection or other per-hop field) and a body the
 * session pulls in bounded pieces under flow control. The HTTP/1.1
 * serializer (http1_serialize.h) is its sibling. */
#ifndef EISD_H2_SERIALIZE_H
#define EISD_H2_SERIALIZE_H

#include <stdint.h>
#include <sys/socket.h>

#include "http/handler.h"
#include "http/h2_session.h"

/* A request's exchange on the heap: the response stays with its stream
 * until the body has been sent (or the stream reset). */
struct h2_exchange {
	struct http_exchange x;
	struct http_body_cursor cur;
};

/* Answers stream with hx->x.resp and takes hx over (freed, with the
 * response, once the stream is done with it). Returns 0 or -1. */
int h2_serialize(struct h2_session *s, int32_t stream, struct h2_exchange *hx);

/* One request over HTTP/2: the handler (handler.h) fills the response,
 * it is counted and logged, and h2_serialize answers stream with it. A
 * body announced larger than --max-body-bytes is 413, as for HTTP/1.1
 * (the body itself is discarded under flow control either way). */
void h2_answer(struct h2_session *s, int32_t stream, struct ctx *cx, const struct sockaddr *peer,
	       const char *peer_addr, const struct http_request *req);

/* Frees hx and its response (also what the stream calls when done). */
void h2_exchange_free(void *hx);

#endif
