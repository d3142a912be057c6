/* Unit tests of the engine (src/core/conn.c) over socketpairs: one pool
 * and its loop driven turn by turn by a minimal harness standing in for a
 * worker, with a clock the test moves. Partial writes, lending and
 * settling, linger, the body skipper (through the HTTP protocol), protocol
 * switches, reading while writing and the on_writable pull. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/config.h"
#include "core/conn.h"
#include "core/conn_io.h"
#include "core/loop.h"
#include "core/proto.h"
#include "core/transport.h"
#include "files/fcache.h"
#include "files/mime.h"
#include "http/httpdate.h"

/* ---- the harness: a worker without threads, listener or real clock ---- */

struct harness {
	struct config cfg;
	struct loop *loop;
	struct conn_count count;
	struct conn_pool pool;
	struct mime_table *mime;
	atomic_bool stopping;
	char dir[64];
	int root_fd;
};

static struct harness *H;

static void put_file(const char *name, const char *data, size_t len)
{
	int fd = openat(H->root_fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct ctx *cx;

	if (!h)
		return -1;
	H = h;
	config_defaults(&h->cfg);
	strcpy(h->dir, "/tmp/eisd-conn-XXXXXX");
	if (!mkdtemp(h->dir))
		return -1;
	h->root_fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	h->mime = mime_table_new();
	h->loop = loop_new(64);
	h->count.max = 1000;
	cx = &h->pool.ctx;
	cx->cfg = &h->cfg;
	cx->mime = h->mime;
	cx->root_fd = h->root_fd;
	cx->url_host = "127.0.0.1";
	cx->stopping = &h->stopping;
	log_buf_init(&cx->log, NULL);
	cx->io_scratch = malloc(CTX_IO_SCRATCH);
	cx->fcache = fcache_new(h->root_fd, h->mime, 16);
	cx->now_ms = 1000000;
	cx->now = time(NULL);
	httpdate_format(cx->now, cx->date);
	if (h->root_fd < 0 || !h->mime || !h->loop || !cx->fcache ||
	    conn_pool_init(&h->pool, h->loop, &h->count))
		return -1;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;
	char cmd[128];

	conn_pool_fini(&h->pool);
	assert_int_equal(atomic_load(&h->count.open), 0);
	fcache_free(h->pool.ctx.fcache);
	free(h->pool.ctx.io_scratch);
	loop_free(h->loop);
	mime_table_free(h->mime);
	close(h->root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
	assert_int_equal(system(cmd), 0);
	free(h);
	return 0;
}

/* One loop turn, as a worker makes it. Returns the events handled. */
static int turn(int timeout_ms)
{
	struct loop_event *ev;
	unsigned ready = conn_pool_ready(&H->pool);
	int n = loop_wait(H->loop, ready ? 0 : timeout_ms, &ev);

	assert_true(n >= 0);
	if (n > 0)
		loop_dispatch(ev, n);
	conn_pool_run_ready(&H->pool, ready);
	conn_pool_expire(&H->pool);
	/* A worker moves on here: nothing may stay lent. */
	assert_null(H->pool.lent_to);
	return n;
}

/* Turns until the loop has nothing more to say (bounded). */
static void run(void)
{
	for (int i = 0; i < 1000 && (turn(10) > 0 || conn_pool_ready(&H->pool)); i++)
		;
}

static void advance_ms(uint64_t ms)
{
	H->pool.ctx.now_ms += ms;
	conn_pool_expire(&H->pool);
	assert_null(H->pool.lent_to);
}

/* A connected pair: the server end joins the pool speaking p (small send
 * buffer when sndbuf > 0), the client end is returned (non-blocking). */
static int connect_client(const struct proto *p, int sndbuf)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	if (sndbuf > 0)
		assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	in->sin_family = AF_INET;
	in->sin_port = htons(40000);
	in->sin_addr.s_addr = htonl(0x7f000001);
	conn_accept(&H->pool, sv[1], &ss, &transport_tcp, p);
	return sv[0];
}

static struct conn *only_conn(void)
{
	assert_int_equal(conn_pool_size(&H->pool), 1);
	return list_item(H->pool.clients.head, struct conn, client_node);
}

static void send_str(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Reads what is there now (up to cap). */
static size_t recv_now(int fd, char *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t n = recv(fd, buf + got, cap - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* What is there now, as a string (cap counts the NUL); returns its length. */
static size_t recv_str(int fd, char *buf, size_t cap)
{
	size_t n = recv_now(fd, buf, cap - 1);

	buf[n] = '\0';
	return n;
}

/* Reads until want bytes came, running the loop between reads. */
static size_t recv_all(int fd, char *buf, size_t want, size_t step)
{
	size_t got = 0;

	for (int i = 0; i < 100000 && got < want; i++) {
		size_t room = want - got < step ? want - got : step;
		ssize_t n = recv(fd, buf + got, room, 0);
		if (n > 0)
			got += (size_t)n;
		else
			turn(1);
	}
	return got;
}

/* Whether the peer closed its end (EOF now, nothing more queued). */
static bool at_eof(int fd)
{
	char c;

	return recv(fd, &c, 1, 0) == 0;
}

/* The client hangs up: its connection leaves the pool. */
static void hang_up(int fd)
{
	close(fd);
	run();
	assert_int_equal(conn_pool_size(&H->pool), 0);
}

static void fill_pattern(char *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (char)('a' + (i * 7 + seed) % 26);
}

/* ---- test protocols ---- */

static struct conn *last_conn;

/* The length of the first line, its '\n' included; 0 while incomplete. */
static size_t line_len(const char *data, size_t len)
{
	const char *nl = memchr(data, '\n', len);

	return nl ? (size_t)(nl - data) + 1 : 0;
}

/* "big": any input line queues a 64 KiB copy, a 64 KiB reference and a
 * 64 KiB file range. "small": 1000 bytes copied and a 256 KiB reference. */
#define BIG 65536
static char big_mem[BIG], big_ref[BIG], big_file[BIG], small_mem[1000], large_ref[262144];
static int big_fd = -1;

static long big_on_input(struct conn *c, const char *data, size_t len)
{
	size_t n = line_len(data, len);
	int fd;

	last_conn = c;
	if (n == 6 && memcmp(data, "small", 5) == 0) {
		assert_int_equal(conn_out_bytes(c, small_mem, sizeof(small_mem)), 0);
		assert_int_equal(conn_out_ref(c, large_ref, sizeof(large_ref)), 0);
	} else if (n) {
		fd = dup(big_fd);
		assert_true(fd >= 0);
		assert_int_equal(conn_out_bytes(c, big_mem, BIG), 0);
		assert_int_equal(conn_out_ref(c, big_ref, BIG), 0);
		assert_int_equal(conn_out_file(c, fd, 0, BIG), 0);
	}
	return (long)n;
}

static void ignore_overflow(struct conn *c)
{
}

static const struct proto proto_big = {
	.name = "big",
	.on_input = big_on_input,
	.on_overflow = ignore_overflow,
};

/* "line": answers each line "NAME:line\n" where NAME is its own name. */
static int line_closes, line_opens;

static long line_on_input(struct conn *c, const char *data, size_t len)
{
	size_t n = line_len(data, len);

	last_conn = c;
	if (n)
		assert_int_equal(conn_out_printf(c, "%s:%.*s", c->proto->name, (int)n, data), 0);
	return (long)n;
}

static void line_on_close(struct conn *c)
{
	line_closes++;
}

static const struct proto proto_line = {
	.name = "line",
	.on_input = line_on_input,
	.on_overflow = ignore_overflow,
	.on_close = line_on_close,
};

static const struct proto proto_b;

/* "sw": like line, but "SWITCH\n" hands the connection to "b". */
static long sw_on_input(struct conn *c, const char *data, size_t len)
{
	if (len >= 7 && memcmp(data, "SWITCH\n", 7) == 0) {
		c->proto_state.u64[0] = 42; /* must not leak into b */
		assert_int_equal(conn_set_proto(c, &proto_b), 0);
		return 7;
	}
	/* Like the HTTP/2 preface: the bytes are the new protocol's. */
	if (len >= 4 && memcmp(data, "PRI\n", 4) == 0) {
		assert_int_equal(conn_set_proto(c, &proto_b), 0);
		return 0;
	}
	return line_on_input(c, data, len);
}

static int b_on_open(struct conn *c)
{
	line_opens++;
	assert_int_equal(c->proto_state.u64[0], 0);
	return 0;
}

static const struct proto proto_sw = {
	.name = "sw",
	.on_input = sw_on_input,
	.on_overflow = ignore_overflow,
	.on_close = line_on_close,
};

static const struct proto proto_b = {
	.name = "b",
	.on_open = b_on_open,
	.on_input = line_on_input,
	.on_overflow = ignore_overflow,
	.on_close = line_on_close,
};

/* "stream": "GO\n" streams STREAM_CHUNKS chunks of 4 KiB, one per
 * on_writable; "PING\n" is answered "PONG\n" even while output is pending.
 * "HOLD\n" consumes nothing more until released. */
#define STREAM_CHUNKS 64
#define CHUNK 4096
static char chunk_mem[STREAM_CHUNKS][CHUNK];
static int chunks_left, writables, pings;
static bool holding;

static void stream_queue(struct conn *c)
{
	if (chunks_left > 0) {
		int k = STREAM_CHUNKS - chunks_left--;
		assert_int_equal(conn_out_ref(c, chunk_mem[k], CHUNK), 0);
	}
}

static long stream_on_input(struct conn *c, const char *data, size_t len)
{
	last_conn = c;
	if (holding)
		return 0;
	if (len >= 3 && memcmp(data, "GO\n", 3) == 0) {
		chunks_left = STREAM_CHUNKS;
		stream_queue(c);
		return 3;
	}
	if (len >= 5 && memcmp(data, "PING\n", 5) == 0) {
		pings++;
		assert_int_equal(conn_out_bytes(c, "PONG\n", 5), 0);
		return 5;
	}
	if (len >= 5 && memcmp(data, "HOLD\n", 5) == 0) {
		holding = true;
		return 5;
	}
	return line_len(data, len) ? (long)len : 0;
}

static void stream_on_writable(struct conn *c)
{
	writables++;
	stream_queue(c);
}

static const struct proto proto_stream = {
	.name = "stream",
	.on_input = stream_on_input,
	.read_while_writing = true,
	.on_writable = stream_on_writable,
	.on_overflow = ignore_overflow,
};

/* ---- tests ---- */

/* A response far larger than the send buffer: the first turn leaves the
 * first memory segment part-sent (its offset moved), then the reader takes
 * it in small steps and gets every byte in order (copy, reference, file). */
static void test_partial_writes(void **state)
{
	static char got[3 * BIG];
	char path[96];
	int cl;
	struct conn *c;

	fill_pattern(big_mem, BIG, 1);
	fill_pattern(big_ref, BIG, 2);
	fill_pattern(big_file, BIG, 3);
	put_file("big.bin", big_file, BIG);
	snprintf(path, sizeof(path), "%s/big.bin", H->dir);
	big_fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(big_fd >= 0);

	cl = connect_client(&proto_big, 4096);
	send_str(cl, "go\n");
	run();
	c = only_conn();
	assert_int_equal(c->state, CONN_WRITING);
	assert_int_equal(c->timer, TIMER_SEND);
	/* The socket took part of the first segment: the offset path ran. */
	assert_int_equal(c->seg_next, 0);
	assert_true(c->segs[0].fd < 0 && c->segs[0].mem_off > 0);
	assert_true(c->segs[0].len < BIG);
	/* The pending bytes are the connection's own now, not the pool's. */
	assert_false(c->out_lent || c->segs_lent);
	assert_ptr_not_equal(c->out.p, H->pool.out_scratch);

	assert_int_equal(recv_all(cl, got, sizeof(got), 1000), sizeof(got));
	assert_memory_equal(got, big_mem, BIG);
	assert_memory_equal(got + BIG, big_ref, BIG);
	assert_memory_equal(got + 2 * BIG, big_file, BIG);
	run();
	/* Sent: back to reading, holding no buffer and no file. */
	assert_int_equal(c->state, CONN_READING);
	assert_int_equal(c->timer, TIMER_IDLE);
	assert_null(c->out.p);
	assert_null(c->segs);
	assert_int_equal(c->body_fd, -1);
	hang_up(cl);
	close(big_fd);
	big_fd = -1;
}

/* A "big" client that asked for "small" (the patterns filled from seed
 * and seed + 1) and is left with output pending: returns the client end,
 * its connection in *c. */
static int stuck_client(unsigned seed, struct conn **c)
{
	int fd;

	fill_pattern(small_mem, sizeof(small_mem), seed);
	fill_pattern(large_ref, sizeof(large_ref), seed + 1);
	fd = connect_client(&proto_big, 4096);
	send_str(fd, "small\n");
	run();
	*c = last_conn;
	assert_int_equal((*c)->state, CONN_WRITING);
	return fd;
}

/* What is there now is exactly want. */
static void expect_now(int fd, const char *want)
{
	char buf[64];

	assert_int_equal(recv_now(fd, buf, sizeof(buf)), strlen(want));
	assert_memory_equal(buf, want, strlen(want));
}

/* The pool's scratch goes to whichever connection is being served: one
 * stuck with pending output keeps a copy of its own, another is served
 * from the scratch meanwhile, and an idle one holds nothing. */
static void test_lending_and_settling(void **state)
{
	static char got[sizeof(small_mem) + sizeof(large_ref)];
	int a, b;
	struct conn *ca, *cb;

	a = stuck_client(4, &ca);
	/* Its header-sized output was built in the pool's scratch and has
	 * moved into memory of its own before the worker moved on. */
	assert_false(ca->out_lent);
	assert_false(ca->segs_lent);
	assert_non_null(ca->out.p);
	assert_ptr_not_equal(ca->out.p, H->pool.out_scratch);
	assert_ptr_not_equal(ca->segs, H->pool.seg_scratch);

	/* A second client is answered in one go from the scratch. */
	b = connect_client(&proto_line, 0);
	send_str(b, "hello\n");
	run();
	cb = last_conn;
	assert_ptr_not_equal(cb, ca);
	expect_now(b, "line:hello\n");
	assert_null(cb->in.p);
	assert_null(cb->out.p);
	assert_null(cb->segs);

	/* Half a line stays with b in memory of its own, then completes. */
	send_str(b, "hal");
	run();
	assert_int_equal(cb->in.len, 3);
	assert_false(cb->in_lent);
	assert_ptr_not_equal(cb->in.p, H->pool.in_scratch);
	send_str(b, "f\n");
	run();
	expect_now(b, "line:half\n");
	assert_int_equal(cb->in.len, 0);
	assert_null(cb->in.p);

	/* a's bytes were not disturbed by b's use of the scratch. */
	assert_int_equal(recv_all(a, got, sizeof(got), 4096), sizeof(got));
	assert_memory_equal(got, small_mem, sizeof(small_mem));
	assert_memory_equal(got + sizeof(small_mem), large_ref, sizeof(large_ref));
	close(a);
	close(b);
	run();
	assert_int_equal(conn_pool_size(&H->pool), 0);
}

/* A client that stops reading is dropped once it took nothing for a send
 * deadline; one that keeps taking bytes is not. */
static void test_send_deadline(void **state)
{
	static char got[sizeof(small_mem) + sizeof(large_ref)];
	uint64_t send_ms = (uint64_t)H->cfg.send_timeout * 1000;
	struct conn *ca;
	int a = stuck_client(6, &ca);

	/* It reads what is there before the deadline: still served. */
	assert_true(recv_now(a, got, sizeof(got)) > 0);
	advance_ms(send_ms + 1);
	assert_int_equal(conn_pool_size(&H->pool), 1);
	/* Then nothing for a whole deadline: dropped. */
	advance_ms(send_ms + 1);
	assert_int_equal(conn_pool_size(&H->pool), 0);
	close(a);
}

/* An error that closes while the client may still be sending: the write
 * side is shut after the reply, what the client sends meanwhile is
 * drained, and the linger deadline ends it. */
static void test_linger(void **state)
{
	char buf[4096];
	int cl;
	struct conn *c;

	cl = connect_client(&proto_http, 0);
	send_str(cl, "BROKEN\r\n\r\n");
	run();
	c = only_conn();
	assert_int_equal(c->state, CONN_LINGER);
	assert_int_equal(c->timer, TIMER_LINGER);
	recv_str(cl, buf, sizeof(buf));
	assert_true(strncmp(buf, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
	assert_non_null(strstr(buf, "\r\nConnection: close\r\n"));
	assert_true(at_eof(cl)); /* our side is shut */
	/* The client goes on sending: taken in and thrown away. */
	send_str(cl, "more bytes the client had in flight\r\n");
	run();
	assert_int_equal(conn_pool_size(&H->pool), 1);
	assert_int_equal(c->in.len, 0);
	advance_ms(1999);
	assert_int_equal(conn_pool_size(&H->pool), 1);
	advance_ms(2);
	assert_int_equal(conn_pool_size(&H->pool), 0);
	close(cl);
}

/* Count "HTTP/1.1 200 OK" responses in s. */
static int count_ok(const char *s)
{
	int n = 0;

	while ((s = strstr(s, "HTTP/1.1 200 OK\r\n"))) {
		n++;
		s++;
	}
	return n;
}

/* The client sends text; after the turns, what came back is in buf as a
 * string (cap counts the NUL). Returns its length. */
static size_t say(int fd, const char *text, char *buf, size_t cap)
{
	send_str(fd, text);
	run();
	return recv_str(fd, buf, cap);
}

/* Request bodies are skipped, never read as the next request: a body in
 * pieces across reads, then a chunked body answered only once it ended. */
static void test_body_skipper(void **state)
{
	char buf[8192];
	int cl;
	struct conn *c;

	put_file("a.txt", "AAAA\n", 5);
	cl = connect_client(&proto_http, 0);
	say(cl, "GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nGET /a", buf, sizeof(buf));
	c = only_conn();
	assert_int_equal(count_ok(buf), 1);
	/* The body is under way: the header deadline still runs. */
	assert_int_equal(c->timer, TIMER_HEADER);
	assert_int_equal(say(cl, ".txt", buf, sizeof(buf)), 0);
	/* Body done (10 bytes): idle, the keep-alive deadline applies. */
	assert_int_equal(c->timer, TIMER_IDLE);
	say(cl, "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
	assert_int_equal(count_ok(buf), 1);
	assert_non_null(strstr(buf, "\r\n\r\nAAAA\n"));

	/* Chunked: no answer before the last chunk. */
	assert_int_equal(say(cl, "GET /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "5\r\nGET /", buf, sizeof(buf)), 0);
	assert_int_equal(c->timer, TIMER_HEADER);
	say(cl, "\r\n0\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
	assert_int_equal(count_ok(buf), 2);
	assert_int_equal(c->timer, TIMER_IDLE);
	hang_up(cl);
}

/* A new "sw" client sends input, which must leave it on "b" having
 * been answered want; returns the client end. */
static int switch_client(const char *input, const char *want)
{
	char buf[256];
	int cl = connect_client(&proto_sw, 0);

	send_str(cl, input);
	run();
	assert_ptr_equal(only_conn()->proto, &proto_b);
	recv_str(cl, buf, sizeof(buf));
	assert_string_equal(buf, want);
	return cl;
}

/* conn_set_proto from inside on_input: the old protocol's state goes
 * (on_close once, proto_state zeroed), the new one's on_open runs, and
 * the rest of the same read goes to the new protocol at once. */
static void test_protocol_switch(void **state)
{
	int cl;

	line_closes = line_opens = 0;
	cl = switch_client("one\nSWITCH\ntwo\nthree\n", "sw:one\nb:two\nb:three\n");
	assert_int_equal(line_closes, 1);
	assert_int_equal(line_opens, 1);
	close(cl);
	run();
	assert_int_equal(line_closes, 2); /* b's own on_close at the end */
	assert_int_equal(conn_pool_size(&H->pool), 0);

	/* Switching without consuming: the new protocol reads those bytes. */
	hang_up(switch_client("one\nPRI\ntwo\n", "sw:one\nb:PRI\nb:two\n"));
}

/* A protocol that reads while writing gets its input while its output
 * waits for the reader, and produces its stream in on_writable as the
 * socket drains; a full input buffer stops reading, not the loop. */
static void test_read_while_writing(void **state)
{
	static char got[STREAM_CHUNKS * CHUNK + 5];
	size_t total = sizeof(got), n;
	int cl;
	struct conn *c;

	for (int k = 0; k < STREAM_CHUNKS; k++)
		fill_pattern(chunk_mem[k], CHUNK, (unsigned)k);
	chunks_left = writables = pings = 0;
	holding = false;
	cl = connect_client(&proto_stream, 4096);
	send_str(cl, "GO\n");
	run();
	c = only_conn();
	assert_int_equal(c->state, CONN_WRITING);
	assert_true(chunks_left > 0);
	assert_true(writables > 0);
	/* Input is taken although the output is stuck. */
	send_str(cl, "PING\n");
	run();
	assert_int_equal(pings, 1);
	assert_int_equal(c->state, CONN_WRITING);

	/* Everything arrives: the chunks in order, PONG among them. */
	n = recv_all(cl, got, total, 3000);
	assert_int_equal(n, total);
	{
		char *pong = memmem(got, total, "PONG\n", 5);
		size_t at;
		assert_non_null(pong);
		at = (size_t)(pong - got);
		memmove(pong, pong + 5, total - at - 5);
		for (int k = 0; k < STREAM_CHUNKS; k++)
			assert_memory_equal(got + (size_t)k * CHUNK, chunk_mem[k], CHUNK);
	}
	run();
	assert_int_equal(chunks_left, 0);
	assert_int_equal(c->state, CONN_READING);

	/* Stuck output and input the protocol does not take: once the input
	 * buffer is full the connection no longer asks the loop to read. */
	send_str(cl, "GO\nHOLD\n");
	run();
	assert_int_equal(c->state, CONN_WRITING);
	{
		char junk[1024];
		memset(junk, 'x', sizeof(junk));
		for (int i = 0; i < 64; i++) {
			if (send(cl, junk, sizeof(junk), MSG_NOSIGNAL) < 0)
				break;
			turn(0);
		}
	}
	run();
	assert_int_equal(c->in.len, H->cfg.max_request_bytes);
	assert_false(c->watching & LOOP_READ);
	assert_true(c->watching & LOOP_WRITE);
	holding = false;
	hang_up(cl);
}

/* Count the lines in buf[0..len) that start with prefix. */
static int count_lines(const char *buf, size_t len, const char *prefix)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		if ((i == 0 || buf[i - 1] == '\n') && strncmp(buf + i, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

/* One connection with many pipelined requests gets a bounded share of a
 * turn, then waits in the ready list while others are served, and is
 * served on in the next turns until its requests are all answered. */
static void test_fair_share(void **state)
{
	char buf[8192], many[100 * 3 + 1];
	size_t n;
	int a, b, first;
	struct conn *ca;

	a = connect_client(&proto_line, 0);
	b = connect_client(&proto_line, 0);
	for (int i = 0; i < 100; i++)
		memcpy(many + 3 * i, "xx\n", 3);
	many[sizeof(many) - 1] = '\0';
	send_str(a, many);
	send_str(b, "b\n");
	turn(100);
	ca = NULL;
	n = recv_now(a, buf, sizeof(buf));
	first = count_lines(buf, n, "line:xx");
	/* A share, not everything; b answered in the same turn or the next. */
	assert_true(first >= 1 && first < 100);
	assert_int_equal(conn_pool_ready(&H->pool), 1);
	for (struct conn *c = list_item(H->pool.clients.head, struct conn, client_node); c;
	     c = list_item(c->client_node.next, struct conn, client_node))
		if (c->on_ready)
			ca = c;
	assert_non_null(ca);
	assert_true(ca->in.len > 0);
	assert_false(ca->in_lent); /* its pending requests are its own */
	turn(10);
	n = recv_now(b, buf, sizeof(buf));
	assert_int_equal(n, strlen("line:b\n"));
	run();
	n = recv_now(a, buf, sizeof(buf));
	assert_int_equal(first + count_lines(buf, n, "line:xx"), 100);
	assert_int_equal(conn_pool_ready(&H->pool), 0);
	assert_false(ca->on_ready);
	/* Closed while waiting for its share: off the ready list too. */
	send_str(a, many);
	turn(100);
	assert_int_equal(conn_pool_ready(&H->pool), 1);
	close(a);
	close(b);
	run();
	assert_int_equal(conn_pool_ready(&H->pool), 0);
	assert_int_equal(conn_pool_size(&H->pool), 0);
}

/* A protocol that answers one "slow" line per turn (as auth does with a
 * password hash) and defers the rest with conn_defer_input. */
static int slow_turn_seen = -1, slow_turn;

static long slow_on_input(struct conn *c, const char *data, size_t len)
{
	size_t n = line_len(data, len);

	if (!n)
		return 0;
	if (len >= 4 && memcmp(data, "slow", 4) == 0) {
		if (slow_turn_seen == slow_turn) {
			conn_defer_input(c);
			return 0;
		}
		slow_turn_seen = slow_turn;
	}
	assert_int_equal(conn_out_printf(c, "%.*s", (int)n, data), 0);
	return (long)n;
}

static const struct proto proto_slow = {
	.name = "slow",
	.on_input = slow_on_input,
	.on_overflow = ignore_overflow,
};

static void test_defer_input(void **state)
{
	char buf[256];
	size_t na, nb, nc;
	int a, b, c;

	a = connect_client(&proto_slow, 0);
	b = connect_client(&proto_slow, 0);
	c = connect_client(&proto_slow, 0);
	send_str(a, "slow a\n");
	send_str(b, "slow b\n");
	send_str(c, "fast c\n");
	/* b's EOF must not lose its request while it is deferred. */
	assert_int_equal(shutdown(b, SHUT_WR), 0);
	shutdown(a, SHUT_WR);
	slow_turn = 1;
	turn(100);
	/* One slow answer this turn and the fast one; the other slow one
	 * waits in the ready list with its input. */
	na = recv_now(a, buf, sizeof(buf));
	nb = recv_now(b, buf, sizeof(buf));
	nc = recv_now(c, buf, sizeof(buf));
	assert_int_equal(nc, strlen("fast c\n"));
	assert_true((na == 7) != (nb == 7));
	assert_int_equal(na + nb, 7);
	assert_int_equal(conn_pool_ready(&H->pool), 1);
	slow_turn = 2;
	turn(10);
	na += recv_now(a, buf, sizeof(buf));
	nb += recv_now(b, buf, sizeof(buf));
	assert_int_equal(na, 7);
	assert_int_equal(nb, 7);
	assert_int_equal(conn_pool_ready(&H->pool), 0);
	close(a);
	close(b);
	close(c);
	run();
	assert_int_equal(conn_pool_size(&H->pool), 0);
	(void)state;
}

/* Over the connection limit: refused through the transport with the
 * protocol's reply, never counted as open. */
static void test_reject(void **state)
{
	char buf[512];
	int cl;

	H->count.max = 0;
	cl = connect_client(&proto_http, 0);
	H->count.max = 1000;
	assert_int_equal(conn_pool_size(&H->pool), 0);
	assert_int_equal(atomic_load(&H->count.open), 0);
	recv_str(cl, buf, sizeof(buf));
	assert_true(strncmp(buf, "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0);
	assert_true(at_eof(cl));
	close(cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_partial_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lending_and_settling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_skipper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_while_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fair_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defer_input, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
