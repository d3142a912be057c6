/* One HTTP/2 connection's session: libnghttp2 does the framing, HPACK and
 * flow control; eisd keeps the streams, the limits and the defences (in its
 * own callbacks, so they hold whatever the library version), and hands
 * each request to the caller as a struct http_request. No I/O: bytes come
 * in through h2_session_input and leave through cfg.out, produced only
 * while less than H2_OUT_HIGH bytes wait to be sent. The only file that
 * includes nghttp2.h. */
#ifndef EISD_H2_SESSION_H
#define EISD_H2_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "http/http_parse.h"

/* The limits, each with the attack it answers (SECURITY.md). */
#define H2_MAX_STREAMS 128      /* SETTINGS_MAX_CONCURRENT_STREAMS; more: REFUSED_STREAM */
#define H2_STREAMS_PER_PASS 128 /* new streams per read pass; more: REFUSED_STREAM */
#define H2_RESET_SLACK 100      /* resets (either way) beyond completed streams: calm */
#define H2_CTRL_SLACK 8192      /* control bytes beyond what the traffic explains: calm */
#define H2_CONTINUATIONS 64     /* CONTINUATION frames per header block: calm */
/* Output produced ahead of the socket. Three 16 KiB DATA frames (plus
 * their headers) fit in the connection's 64 KiB output buffer; a fourth
 * grew it to 128 KiB, glibc's mmap threshold, and as the buffer is freed
 * each time it drains, every 64 KiB sent cost an mmap, page faults and a
 * munmap with a TLB shootdown (h2-large: 97 MiB/s; with this, ~460). */
#define H2_OUT_HIGH 49152
#define H2_DATA_CHUNK 16384     /* largest DATA payload (the default frame size) */

/* The HTTP/2 connection preface a client sends first (RFC 9113 §3.4). */
#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24

struct h2_session;

/* A response body: len bytes that pull(arg, buf, max) copies out in
 * order, at most H2_DATA_CHUNK at a time as the window and the socket
 * allow (so a file is read piece by piece, never whole). pull returns the
 * bytes copied, or -1 (the stream is then reset). release(arg), when set,
 * runs once the stream no longer needs the body. */
struct h2_body {
	uint64_t len;
	ssize_t (*pull)(void *arg, char *buf, size_t max);
	void (*release)(void *arg);
	void *arg;
};

/* A response field; names must be lower case already. */
struct h2_field {
	const char *name;
	size_t nlen;
	const char *value;
	size_t vlen;
};

struct h2_session_cfg {
	size_t max_header_list; /* --max-request-bytes */
	void *arg;
	/* Queues bytes for the peer: 0, or -1 (out of memory). */
	int (*out)(void *arg, const void *p, size_t n);
	/* Bytes queued and not yet sent. */
	size_t (*out_queued)(void *arg);
	/* A complete request head. Answer with h2_respond before returning;
	 * a request left unanswered gets a 500. */
	void (*on_request)(void *arg, struct h2_session *s, int32_t stream,
			   const struct http_request *req);
	/* A request answered by the session itself (malformed: status 400,
	 * 431...), for the log. req may be NULL. Optional. */
	void (*on_refused)(void *arg, const struct http_request *req, int status);
};

/* Counters, for tests and the status report. */
struct h2_stats {
	uint64_t streams;        /* opened by the peer */
	uint64_t completed;      /* answered in full */
	uint64_t resets_recv;    /* RST_STREAM from the peer */
	uint64_t resets_sent;    /* RST_STREAM we sent with an error code */
	uint64_t in_bytes;       /* all input */
	uint64_t payload_bytes;  /* of HEADERS, CONTINUATION and non-empty DATA frames */
	uint64_t ctrl_bytes;     /* of all other frames (DATA on a closed stream is neither) */
	uint64_t data_frames_sent;
	uint32_t open;           /* streams open now */
};

/* A session with its SETTINGS queued; the client's preface is the first
 * input it expects. NULL when memory ran out. */
struct h2_session *h2_session_new(const struct h2_session_cfg *cfg);
void h2_session_free(struct h2_session *s);

/* Feeds input; answers what it can and produces output. Returns the bytes
 * consumed (all of them), or -1 when the connection must close now. After
 * a connection error the GOAWAY is queued and h2_session_done() says so. */
long h2_session_input(struct h2_session *s, const char *data, size_t len);
/* Produces output again (the socket drained). 0, or -1: close now. */
int h2_session_pump(struct h2_session *s);
/* Nothing more to read or to send: close once the queued bytes are out. */
bool h2_session_done(const struct h2_session *s);
/* Streams open now (0: the connection is idle). */
unsigned h2_session_open_streams(const struct h2_session *s);
/* Graceful shutdown: GOAWAY(NO_ERROR) with the last stream id; open
 * streams finish, new ones are refused. */
int h2_session_shutdown(struct h2_session *s);
/* Idle timeout and the like: GOAWAY(NO_ERROR) and no more reading. */
int h2_session_goaway(struct h2_session *s, uint32_t error_code);
const struct h2_stats *h2_session_stats(const struct h2_session *s);

/* Answers stream with status, fields and body (NULL or len 0: none; for
 * HEAD pass the body as NULL). Returns 0 or -1. */
int h2_respond(struct h2_session *s, int32_t stream, int status, const struct h2_field *f,
	       size_t n, const struct h2_body *body);

#endif
