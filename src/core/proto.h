/* The seam between the engine and a protocol (HTTP/1.1, echo, file; HTTP/2
 * next). The engine owns sockets, buffers, deadlines and limits; a protocol
 * turns input bytes into queued output and knows nothing of the loop or
 * the transport. Each connection has its own protocol (c->proto): the
 * listener's is only the first, and conn_set_proto (core/conn.h) switches
 * it (the HTTP/2 preface seen by HTTP/1.1, ALPN in the TLS transport).
 *
 * The engine calls the hooks from the connection's worker only, one at a
 * time; each may queue output with conn_out_* and set c->close_after. */
#ifndef EISD_PROTO_H
#define EISD_PROTO_H

#include <stdbool.h>
#include <stddef.h>

struct conn;

struct proto {
	const char *name;

	/* The protocol takes over c: right after accept (c->proto_state is
	 * zero), or from conn_set_proto (after the previous protocol's
	 * on_close; c->proto_state zeroed again). Returns 0, or -1 to close.
	 * Optional. May queue output (HTTP/2: the server's SETTINGS). */
	int (*on_open)(struct conn *c);

	/* Consumes input. Returns the bytes consumed (0: need more), or -1 to
	 * close at once. May queue output and set close_after. Called only
	 * when no output is pending, unless read_while_writing. When the
	 * protocol switched (conn_set_proto) inside it, the rest of the input
	 * goes to the new protocol at once, even if this returned 0. */
	long (*on_input)(struct conn *c, const char *data, size_t len);

	/* on_input is called while output is still pending, too: input is
	 * read whenever the socket has some and the input buffer room, even
	 * while the peer is not taking the output (HTTP/2: WINDOW_UPDATE,
	 * PING and new streams arrive while responses are under way). Output
	 * queued then is appended behind the pending output; keep it small,
	 * since it is all held until the queue drains. A full input buffer
	 * stops reading (no on_overflow while output is pending), so a peer
	 * that does not read cannot make the connection buffer without bound.
	 * false (HTTP/1.1, echo, file): the next request waits in the socket
	 * until the response is sent, so a pipelining client is answered one
	 * response at a time. */
	bool read_while_writing;

	/* All queued output has been handed to the transport: the protocol
	 * may queue more (a streaming protocol produces its next frames here,
	 * as the socket drains, instead of queueing a whole response; HTTP/2
	 * under flow control). The engine sends what it queued and calls it
	 * again when that is gone too; when it queues nothing the connection
	 * goes on as usual (close_after, then between requests). Called only
	 * when output was queued (not on a connection that never wrote), the
	 * buffers of the previous output already released. Optional. */
	void (*on_writable)(struct conn *c);

	/* The input buffer is full and on_input still wants more. May queue
	 * an error; the connection closes after it. */
	void (*on_overflow)(struct conn *c);
	/* The request head did not arrive in time. May queue a reply; the
	 * connection closes after it. Optional. */
	void (*on_header_timeout)(struct conn *c);
	/* The connection is going away, or switching to another protocol:
	 * free what the protocol holds. Optional. */
	void (*on_close)(struct conn *c);
	/* Whether a request has begun and not ended although all input was
	 * consumed (its body is still to come). When not, a connection with
	 * no input left is idle: the keep-alive deadline applies, not the
	 * header one. Optional; NULL keeps the header deadline running. */
	bool (*mid_request)(const struct conn *c);

	/* What a client refused over --max-connections is told (the
	 * transport sends it best effort, or nothing: TLS), or NULL. */
	const char *reject_reply;
};

extern const struct proto proto_http;
extern const struct proto proto_echo; /* services/echo.c */
extern const struct proto proto_file; /* services/file_service.c */

#endif
