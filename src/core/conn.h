/* One client connection: its buffers, its state, and the output queue a
 * protocol fills. The engine moves bytes; the protocol decides them. */
#ifndef EISD_CONN_H
#define EISD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "core/loop.h"
#include "util/list.h"

struct ctx;
struct proto;
struct transport;

enum conn_state {
	CONN_READING, /* waiting for (more of) a request */
	CONN_WRITING, /* a response is queued; the socket is not writable */
	CONN_LINGER,  /* write side shut; draining input before close */
};

/* Which deadline a connection is waiting on (one list each in its pool). */
enum conn_timer {
	TIMER_NONE = -1,
	TIMER_HEADER = 0, /* a request has begun (or the connection is new) */
	TIMER_IDLE,       /* keep-alive, between requests */
	TIMER_SEND,       /* the client is not taking its response */
	TIMER_LINGER,     /* closing politely */
	TIMER_COUNT,
};

/* A piece of output: bytes from conn.out, bytes someone else holds, or a
 * range of a file. */
struct out_seg {
	int fd;         /* -1: memory: at ext + mem_off, or out.p + mem_off */
	const char *ext; /* NULL: in conn.out (conn_out_ref sets it) */
	size_t mem_off;
	off_t file_off;
	uint64_t len;
};

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

/* A peer's address: IPv4 or IPv6 (a sockaddr_storage would be 100 bytes
 * more on every connection). */
union conn_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct conn {
	int fd;
	enum conn_state state;
	struct loop_handler lh; /* what the loop calls (conn.c) */
	struct ctx *ctx; /* the serving worker's context (core/ctx.h) */
	/* The protocol speaking on c now (conn_set_proto switches it) and
	 * the transport under it, with its per-connection state. */
	const struct proto *proto;
	const struct transport *tp;
	void *tp_data;

	/* Deadline list membership (conn_pool.timers[timer]). */
	enum conn_timer timer;
	int send_queued; /* kernel send queue when TIMER_SEND was armed */
	uint64_t deadline_ms;
	struct list_node timer_node;

	/* Client registry (conn_pool.clients), guarded by its clients_lock. */
	struct list_node client_node;
	struct list_node ready_node; /* the pool's ready list, while on_ready */

	/* Buffers exist only while bytes are in flight. While the pool
	 * serves this connection they are lent from the pool (*_lent); what
	 * is still pending when it moves on is copied into owned memory, so
	 * an idle connection holds none and a request answered in one go
	 * allocates nothing. */
	struct buf in;  /* unconsumed input */
	struct buf out; /* header and memory-body bytes */
	struct out_seg *segs;
	unsigned nsegs, seg_cap, seg_next;
	int body_fd;    /* owned file the segments point at, -1 none */
	/* What shared output (conn_out_ref/conn_out_file_ref) points into
	 * is kept alive by this hold until the response is done. */
	void (*hold_release)(void *arg);
	void *hold_arg;

	bool in_lent, out_lent, segs_lent; /* the buffers above are the pool's */
	bool in_loop;     /* registered with the loop */
	bool close_after; /* close once the queued output is sent */
	bool linger;      /* the peer may still be sending: drain before close */
	bool defer_input; /* conn_defer_input: on_input asked for the next turn */
	bool peer_done;   /* the peer announced its last request (Connection: close) */
	bool read_eof;
	bool proxy_wait;  /* --proxy-protocol: the header has not come yet */
	unsigned short proxy_have; /* header bytes in proxy_buf */
	char *proxy_buf;  /* owned; a header that came in pieces */
	/* The transport asked for the other direction (conn_want): a read
	 * waits for writability, or a write for readability. */
	bool read_wants_write, write_wants_read;
	unsigned char watching; /* the loop interest last set (conn_watch) */
	bool on_ready;    /* in the pool's ready list (its fair share ran out) */

	union conn_addr peer;
	char peer_addr[48]; /* numeric, without port */
	time_t connected_at;
	uint64_t requests;
	/* When the head of the request being answered arrived (ctx.now_us),
	 * 0 when none is timed: set by the protocol with --metrics, read by
	 * the engine once the response's last byte went to the transport. */
	uint64_t req_start_us;

	/* Per-connection state owned by the protocol (zeroed whenever the
	 * protocol changes). */
	union {
		uint64_t u64[4];
		void *ptr;
	} proto_state;
};

/* Output building, used by protocol handlers. Each returns 0 or -1 when
 * memory runs out (the connection is then closed by the engine). */
int conn_out_printf(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int conn_out_bytes(struct conn *c, const void *p, size_t len);
/* Building in place, without a copy from a builder: room for up to max
 * more bytes at the end of the output (NULL when memory ran out), then
 * conn_out_commit queues the len bytes (len <= max) written there. */
char *conn_out_room(struct conn *c, size_t max);
int conn_out_commit(struct conn *c, size_t len);
/* Queues len bytes of fd from off; the conn takes ownership of fd the
 * first time (further ranges of the same fd share it). */
int conn_out_file(struct conn *c, int fd, off_t off, uint64_t len);
/* Queues len bytes at p without copying them, and a range of an fd the
 * conn does not own; both must stay valid until the hold is released. */
int conn_out_ref(struct conn *c, const void *p, size_t len);
int conn_out_file_ref(struct conn *c, int fd, off_t off, uint64_t len);
/* Keeps what the response's shared output points at alive: release(arg)
 * runs once the response is sent or dropped. One hold per response;
 * returns -1 when another is set (release is not called then). */
int conn_out_hold(struct conn *c, void (*release)(void *arg), void *arg);
bool conn_has_output(const struct conn *c);

/* Switches c to protocol p, e.g. from HTTP/1.1 on seeing the HTTP/2
 * preface, or from the TLS transport once ALPN chose (core/proto.h says
 * when each hook runs). The current protocol's on_close runs first (it
 * frees what it holds), c->proto_state is zeroed, then p's on_open.
 * Called from inside on_input, the old protocol returns the bytes it
 * consumed and touches c->proto_state no more; the engine hands the rest
 * of the input to p at once. Returns 0, or -1 when p->on_open failed
 * (the caller then returns -1, or TRANSPORT_ERROR from a transport). */
int conn_set_proto(struct conn *c, const struct proto *p);

/* From on_input, which then returns 0: the buffered request cannot be
 * answered this turn (a slow step, such as a password hash, already ran
 * in it), so the connection waits in the ready list and its input is
 * offered again at the start of the next turn, after the others. */
void conn_defer_input(struct conn *c);

#endif
