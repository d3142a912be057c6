/* The transport seam: how a connection's bytes reach its socket. conn.c
 * does all its socket I/O through these calls and nothing else (no recv,
 * sendmsg, sendfile, shutdown or ioctl on c->fd), so TLS is a second
 * implementation beside plain TCP (transport_tcp.c) and nothing above
 * conn.c knows which one carries a connection.
 *
 * Every call is non-blocking and is made from the connection's worker
 * thread only. Calls that move bytes return a count (>= 0) or one of the
 * negative TRANSPORT_* results below; "want read / want write" are the
 * only way a transport asks for loop interest, and conn.c maps them to
 * LOOP_READ / LOOP_WRITE in one place (conn_want). */
#ifndef EISD_TRANSPORT_H
#define EISD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct conn;

enum {
	/* Nothing can move until the socket is readable. After read, the
	 * usual "no input yet"; after writev/sendfile, the transport must
	 * read first (TLS: a handshake message or key update): the engine
	 * waits for readability and then repeats the same call. */
	TRANSPORT_WANT_READ = -1,
	/* Nothing can move until the socket is writable. After writev or
	 * sendfile, the usual "socket full"; after read, the transport must
	 * write first (TLS: the rest of a handshake flight): the engine waits
	 * for writability and then calls read again. */
	TRANSPORT_WANT_WRITE = -2,
	/* The connection is dead (reset, protocol error, TLS alert): the
	 * engine makes no further call but close(c, TRANSPORT_CLOSE_GRACEFUL)
	 * (a transport that knows the session is broken skips its
	 * close_notify then). */
	TRANSPORT_ERROR = -3,
};

/* writev/sendfile flags. */
enum {
	/* More output follows at once (a file body after its header), or
	 * the connection closes right after this: a transport may hold the
	 * bytes briefly to fill packets/records (TCP: MSG_MORE, so the FIN
	 * rides in the last data packet). */
	TRANSPORT_MORE = 1,
};

enum transport_close {
	/* The normal end: TLS sends close_notify first when it has not yet
	 * (best effort, never blocks), then the socket is closed. */
	TRANSPORT_CLOSE_GRACEFUL,
	/* Reset the connection (SO_LINGER 0, then close): the kernel drops
	 * whatever is still queued for the peer at once, and the peer sees a
	 * RST. For clients dropped for not reading. No close_notify. */
	TRANSPORT_CLOSE_ABORT,
};

struct transport {
	const char *name; /* "tcp", "tls" */

	/* A connection was just accepted: c->fd is its non-blocking socket,
	 * c->tp is this transport, c->tp_data is NULL. Sets up whatever the
	 * transport keeps per connection in c->tp_data. Returns 0, or -1 to
	 * refuse the connection (the engine then calls close(c, ABORT),
	 * which must cope with a half-made c->tp_data). Optional (NULL: no
	 * per-connection state). A transport needing per-listener state
	 * (TLS: the SSL_CTX) embeds its struct transport in a larger one and
	 * finds it from c->tp. */
	int (*open)(struct conn *c);

	/* Reads up to len (> 0) bytes into buf. Returns the count (> 0); 0
	 * when the peer has finished sending (TCP FIN; TLS close_notify, or
	 * a FIN where the transport accepts that); TRANSPORT_WANT_READ when
	 * nothing is there now; TRANSPORT_WANT_WRITE (see above; the TLS
	 * handshake runs inside read, and a transport may call
	 * conn_set_proto from inside read once it knows the protocol, e.g.
	 * after ALPN, before any byte was returned); TRANSPORT_ERROR.
	 * A count below len promises that the transport itself holds no more
	 * input right now (see read_pending): the engine then relies on the
	 * loop to report the socket readable again. */
	ssize_t (*read)(struct conn *c, void *buf, size_t len);

	/* Writes the bytes of iov[0..iovcnt) (iovcnt in 1..16, total > 0) in
	 * order. Returns how many it took (> 0, maybe fewer than offered; they
	 * count as sent, the engine never offers them again), or
	 * TRANSPORT_WANT_WRITE / TRANSPORT_WANT_READ / TRANSPORT_ERROR. After
	 * a WANT_*, the next writev starts with the same bytes (the same
	 * content from the same position; there may be more after them, and
	 * they may sit at another address: the engine moves lent buffers into
	 * owned memory between loop turns, so TLS sets
	 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER). flags: TRANSPORT_MORE. */
	ssize_t (*writev)(struct conn *c, const struct iovec *iov, int iovcnt, int flags);

	/* Sends up to len (> 0) bytes of the file fd from *off, advancing *off
	 * by the count. Returns the count (> 0), 0 when the file has no byte
	 * at *off any more (it shrank: the engine drops the connection),
	 * TRANSPORT_WANT_WRITE / TRANSPORT_WANT_READ / TRANSPORT_ERROR; the
	 * same-bytes rule of writev holds across a WANT_* (the engine retries
	 * at the same *off). A transport that encrypts reads the file in
	 * bounded chunks (c->ctx->io_scratch, never a whole file). */
	ssize_t (*sendfile)(struct conn *c, int fd, off_t *off, size_t len, int flags);

	/* Bytes written and not yet acknowledged by the peer (TCP: SIOCOUTQ),
	 * or -1 when unknown. The send deadline counts a fall since it was
	 * armed as progress, so a slow reader is not dropped; a transport
	 * holding bytes of its own (a TLS record not yet in the kernel) may
	 * add them. */
	int (*queued)(struct conn *c);

	/* Bytes the transport has already taken from the socket and would
	 * return from read at once (TLS: the rest of a decrypted record, or
	 * records buffered ahead). Whenever this is non-zero the engine reads
	 * again without waiting for the loop, which does not see them.
	 * Optional: NULL for transports that keep no input (TCP). */
	size_t (*read_pending)(const struct conn *c);

	/* The engine will write nothing more but keeps reading for a while
	 * (the linger before close, so a close does not reset a response in
	 * flight): TCP shutdown(SHUT_WR); TLS close_notify, then
	 * shutdown(SHUT_WR). Best effort, never blocks. */
	void (*shutdown)(struct conn *c);

	/* Frees c->tp_data and closes c->fd (which also takes it out of the
	 * loop: the engine has already told the loop). how: see above. The
	 * last call on c. */
	void (*close)(struct conn *c, enum transport_close how);

	/* A client refused over --max-connections, on a fresh non-blocking
	 * fd for which no struct conn exists: send reply[0..len) best effort
	 * (reply may be NULL: nothing to say) and close fd, without
	 * blocking. TLS closes without a reply (a handshake is not worth it
	 * for a refusal, and plaintext would be noise). */
	void (*reject)(int fd, const char *reply, size_t len);
};

extern const struct transport transport_tcp; /* core/transport_tcp.c */

#endif
