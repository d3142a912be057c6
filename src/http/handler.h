/* One request handler for every HTTP version: a protocol (HTTP/1.1 in
 * http1.c, HTTP/2 beside it) turns its bytes into a struct http_request,
 * calls http_handle, writes the neutral response with its own serializer
 * (http1_serialize.h) and reports it with http_account. Handlers (static
 * files, listings, the status report) see only the exchange: the
 * request, the context, the client's address, and the response they fill
 * in. They never write wire text. */
#ifndef EISD_HANDLER_H
#define EISD_HANDLER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http/http_parse.h"
#include "http/response.h"

struct path_settings;

struct ctx;

struct http_exchange {
	struct ctx *ctx;
	const struct http_request *req; /* NULL: the request did not parse */
	const struct sockaddr *peer; /* the client */
	struct http_response resp;      /* what the handler answers */
	/* The settings of the request's path (config_settings_for, once the
	 * path is decoded and normalised); the site's until then. */
	const struct path_settings *settings;
};

/* A fresh exchange for req (NULL for an unparsable request), whose
 * response starts as an empty 200 (HEAD when req is a HEAD). */
void http_exchange_init(struct http_exchange *x, struct ctx *ctx,
			const struct http_request *req,
			const struct sockaddr *peer);

/* Routes x->req (parsed, method known or not) and fills x->resp: the
 * status report, a static file, a listing, OPTIONS, 405 or 501. Returns
 * 0, or -1 when memory ran out (the protocol then drops the connection). */
int http_handle(struct http_exchange *x);

/* The request is answered: counts it and writes its access-log line.
 * body_bytes: body bytes the response sends (0 for HEAD). */
void http_account(struct ctx *ctx, const char *client, const struct http_request *req,
		  enum http_status status, uint64_t body_bytes);

#endif
