/* One client connection: its buffers, its state, and the output queue a
 * protocol fills. The engine moves bytes; the protocol decides them. */
#ifndef EISD_CONN_H
#define EISD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

struct worker;

enum conn_state {
	CONN_READING, /* waiting for (more of) a request */
	CONN_WRITING, /* a response is queued; the socket is not writable */
	CONN_LINGER,  /* write side shut; draining input before close */
};

/* Which deadline a connection is waiting on (one list each in the worker). */
enum conn_timer {
	TIMER_NONE = -1,
	TIMER_HEADER = 0, /* a request has begun (or the connection is new) */
	TIMER_IDLE,       /* keep-alive, between requests */
	TIMER_SEND,       /* the client is not taking its response */
	TIMER_LINGER,     /* closing politely */
	TIMER_COUNT,
};

/* A piece of output: bytes from conn.out, or a range of a file. */
struct out_seg {
	int fd;         /* -1: memory at out.p + mem_off */
	size_t mem_off;
	off_t file_off;
	uint64_t len;
};

struct buf {
	char *p;
	size_t len;
	size_t cap;
};

struct conn {
	int fd;
	enum conn_state state;
	struct worker *w;

	/* Deadline list membership (worker.timers[timer]). */
	enum conn_timer timer;
	uint64_t deadline_ms;
	struct conn *tprev, *tnext;
	int send_queued; /* kernel send queue when TIMER_SEND was armed */

	/* Client registry (worker.clients), guarded by worker.clients_lock. */
	struct conn *cprev, *cnext;

	struct buf in;  /* unconsumed input; owned, freed when empty */
	struct buf out; /* header and memory-body bytes; owned */
	struct out_seg *segs; /* owned */
	unsigned nsegs, seg_cap, seg_next;
	int body_fd;    /* owned file the segments point at, -1 none */

	bool close_after; /* close once the queued output is sent */
	bool linger;      /* the peer may still be sending: drain before close */
	bool read_eof;

	struct sockaddr_storage peer;
	char peer_addr[48]; /* numeric, without port */
	time_t connected_at;
	uint64_t requests;

	/* Per-connection state owned by the protocol handler. */
	union {
		uint64_t u64[10];
		void *ptr;
	} proto;
};

/* Output building, used by protocol handlers. Each returns 0 or -1 when
 * memory runs out (the connection is then closed by the engine). */
int conn_out_printf(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int conn_out_bytes(struct conn *c, const void *p, size_t len);
/* Queues len bytes of fd from off; the conn takes ownership of fd the
 * first time (further ranges of the same fd share it). */
int conn_out_file(struct conn *c, int fd, off_t off, uint64_t len);
bool conn_has_output(const struct conn *c);

#endif
