/* The echo service: every chunk of bytes read from a client goes back as
 * "Echo: " followed by exactly those bytes. TCP carries a byte stream, not
 * messages, so a chunk is whatever one read returned (at most
 * --max-request-bytes); a line typed at a terminal is sent in one segment
 * and so comes back as one reply. */
#include <stdatomic.h>

#include "core/conn.h"
#include "core/proto.h"
#include "core/ctx.h"

#define ECHO_PREFIX "Echo: "

static long echo_on_input(struct conn *c, const char *data, size_t len)
{
	struct ctx *cx = c->ctx;

	if (conn_out_bytes(c, ECHO_PREFIX, sizeof(ECHO_PREFIX) - 1) ||
	    conn_out_bytes(c, data, len))
		return -1;
	c->requests++;
	stats_count(&cx->stats, 200);
	log_service(&cx->log, cx->now, c->peer_addr, "ECHO", NULL, 0, 200, len);
	return (long)len;
}

/* Unreachable: every byte is consumed as soon as it arrives. */
static void echo_on_overflow(struct conn *c)
{
}

const struct proto proto_echo = {
	.name = "echo",
	.on_input = echo_on_input,
	.on_overflow = echo_on_overflow,
	/* A client silent past --timeout, or over --max-connections, is
	 * closed without a word: there is no error format to speak. */
	.on_header_timeout = NULL,
	.reject_reply = NULL,
	.on_close = NULL,
};
