/* The seam between the engine and a protocol (http, echo, file). The
 * engine owns sockets, buffers, deadlines and limits; a protocol turns
 * input bytes into queued output and knows nothing of epoll. */
#ifndef EISD_PROTO_H
#define EISD_PROTO_H

#include <stdbool.h>
#include <stddef.h>

struct conn;
struct server;

struct proto {
	const char *name;
	/* Consumes input. Returns the bytes consumed (0: need more), or -1 to
	 * close at once. May queue output (conn_out_*) and set close_after.
	 * Called only when no output is pending. */
	long (*on_input)(struct conn *c, const char *data, size_t len);
	/* The input buffer is full and on_input still wants more. May queue
	 * an error; the connection closes after it. */
	void (*on_overflow)(struct conn *c);
	/* The request head did not arrive in time. May queue a reply; the
	 * connection closes after it. */
	void (*on_header_timeout)(struct conn *c);
	/* A new connection over --max-connections, on a non-blocking fd that
	 * is closed right after: a best-effort short reply, or nothing. */
	void (*on_reject)(int fd);
	/* The connection is going away: free what the protocol holds. */
	void (*on_close)(struct conn *c);
	/* Whether a request has begun and not ended although all input was
	 * consumed (its body is still to come). When not, a connection with
	 * no input left is idle: the keep-alive deadline applies, not the
	 * header one. Optional; NULL keeps the header deadline running. */
	bool (*mid_request)(const struct conn *c);
};

extern const struct proto proto_http;
extern const struct proto proto_echo; /* services/echo.c */
extern const struct proto proto_file; /* services/file_service.c */

#endif
