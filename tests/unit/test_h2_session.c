/* Unit tests of the HTTP/2 session and its defences: frames built by hand
 * go in, the frames that come out are checked by type, stream and error
 * code. No sockets: the session's output goes to a buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "http/h2_session.h"

#define MAX_HEADER_LIST 8192

enum { F_DATA = 0, F_HEADERS = 1, F_RST = 3, F_SETTINGS = 4, F_PING = 6, F_GOAWAY = 7,
       F_WINDOW_UPDATE = 8, F_CONTINUATION = 9 };
enum { END_STREAM = 1, ACK = 1, END_HEADERS = 4 };

struct bytes {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct bytes *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void frame(struct bytes *b, int type, int flags, uint32_t stream, const void *p, size_t n)
{
	unsigned char h[9] = { (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n,
			       (unsigned char)type, (unsigned char)flags,
			       (unsigned char)(stream >> 24), (unsigned char)(stream >> 16),
			       (unsigned char)(stream >> 8), (unsigned char)stream };
	put(b, h, 9);
	put(b, p, n);
}

/* HPACK literal field without indexing, new name, no Huffman. */
static void field(struct bytes *b, const char *n, const char *v)
{
	unsigned char z = 0, nl = (unsigned char)strlen(n), vl = (unsigned char)strlen(v);
	put(b, &z, 1);
	put(b, &nl, 1);
	put(b, n, nl);
	put(b, &vl, 1);
	put(b, v, vl);
}

static void get_block(struct bytes *b, const char *path)
{
	field(b, ":method", "GET");
	field(b, ":scheme", "http");
	field(b, ":authority", "t");
	field(b, ":path", path);
}

static void preface(struct bytes *b)
{
	put(b, H2_PREFACE, H2_PREFACE_LEN);
	frame(b, F_SETTINGS, 0, 0, NULL, 0);
}

static void get(struct bytes *b, uint32_t stream, const char *path, int flags)
{
	struct bytes hb = { 0 };
	get_block(&hb, path);
	frame(b, F_HEADERS, END_HEADERS | flags, stream, hb.p, hb.len);
	free(hb.p);
}

/* A whole GET for / with one field more (name: value). */
static void get_with(struct bytes *b, uint32_t stream, const char *name, const char *value)
{
	struct bytes hb = { 0 };
	get_block(&hb, "/");
	field(&hb, name, value);
	frame(b, F_HEADERS, END_HEADERS | END_STREAM, stream, hb.p, hb.len);
	free(hb.p);
}

/* n fields "x-pad: " and 100 bytes, 109 bytes of block each. */
static void pad_fields(struct bytes *hb, int n)
{
	char v[101];

	memset(v, 'v', 100);
	v[100] = '\0';
	for (int i = 0; i < n; i++)
		field(hb, "x-pad", v);
}

/* ---- the session's surroundings ---- */

/* One test's session and what surrounds it. */
struct env {
	struct h2_session *s;
	struct bytes in; /* input not fed yet: the client preface to begin with */
	struct bytes out;
	size_t queued; /* what out_queued reports */
	unsigned requests;
	size_t body_len;
	char *body;
};

struct pull {
	const char *p;
	size_t left;
};

static int env_out(void *arg, const void *p, size_t n)
{
	put(&((struct env *)arg)->out, p, n);
	return 0;
}

static size_t env_queued(void *arg)
{
	return ((struct env *)arg)->queued;
}

static ssize_t pull_mem(void *arg, char *buf, size_t max)
{
	struct pull *pl = arg;
	size_t n = max < pl->left ? max : pl->left;
	memcpy(buf, pl->p, n);
	pl->p += n;
	pl->left -= n;
	return (ssize_t)n;
}

static void env_request(void *arg, struct h2_session *s, int32_t stream,
			const struct http_request *req)
{
	struct env *e = arg;
	static const struct h2_field f[] = { { "content-type", 12, "text/plain", 10 } };
	struct pull *pl = malloc(sizeof(*pl));
	struct h2_body body = { .len = e->body_len, .pull = pull_mem, .release = free, .arg = pl };

	assert_non_null(pl);
	assert_int_equal(req->version_major, 2);
	pl->p = e->body;
	pl->left = e->body_len;
	e->requests++;
	assert_int_equal(h2_respond(s, stream, 200, f, 1, &body), 0);
}

static struct h2_session *start(struct env *e, size_t body_len)
{
	struct h2_session_cfg cfg = {
		.max_header_list = MAX_HEADER_LIST,
		.arg = e,
		.out = env_out,
		.out_queued = env_queued,
		.on_request = env_request,
	};
	memset(e, 0, sizeof(*e));
	e->body_len = body_len;
	e->body = malloc(body_len + 1);
	for (size_t i = 0; i < body_len; i++)
		e->body[i] = (char)('a' + i % 26);
	preface(&e->in);
	e->s = h2_session_new(&cfg);
	assert_non_null(e->s);
	return e->s;
}

static void stop(struct env *e)
{
	h2_session_free(e->s);
	free(e->in.p);
	free(e->out.p);
	free(e->body);
}

/* The frames that came out, one at a time. */
struct seen {
	int type, flags;
	uint32_t stream;
	const unsigned char *p;
	size_t len;
};

static bool next_frame(const struct bytes *b, size_t *off, struct seen *f)
{
	const unsigned char *h = b->p + *off;

	if (*off + 9 > b->len)
		return false;
	f->len = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
	f->type = h[3];
	f->flags = h[4];
	f->stream = ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8]) &
		    0x7fffffff;
	f->p = h + 9;
	assert_true(*off + 9 + f->len <= b->len);
	*off += 9 + f->len;
	return true;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The error code of the GOAWAY in the output, or -1 when there is none. */
static long goaway_code(const struct env *e)
{
	size_t off = 0;
	struct seen f;

	while (next_frame(&e->out, &off, &f))
		if (f.type == F_GOAWAY)
			return (long)be32(f.p + 4);
	return -1;
}

static long rst_code(const struct env *e, uint32_t stream)
{
	size_t off = 0;
	struct seen f;

	while (next_frame(&e->out, &off, &f))
		if (f.type == F_RST && f.stream == stream)
			return (long)be32(f.p);
	return -1;
}

/* The session takes all the input built so far. */
static void feed(struct env *e)
{
	assert_int_equal(h2_session_input(e->s, (const char *)e->in.p, e->in.len), (long)e->in.len);
	free(e->in.p);
	memset(&e->in, 0, sizeof(e->in));
}

/* ---- tests ---- */

static void test_get_body_exact(void **state)
{
	struct env e;
	struct h2_session *s = start(&e, 40000);
	struct bytes body = { 0 };
	struct seen f;
	size_t off = 0;
	bool settings = false, headers = false, end = false;

	get(&e.in, 1, "/x", END_STREAM);
	feed(&e);
	while (next_frame(&e.out, &off, &f)) {
		if (f.type == F_SETTINGS && !(f.flags & ACK))
			settings = true;
		if (f.type == F_HEADERS && f.stream == 1)
			headers = true;
		if (f.type == F_DATA && f.stream == 1) {
			assert_false(end);
			assert_true(f.len <= H2_DATA_CHUNK);
			put(&body, f.p, f.len);
			end = f.flags & END_STREAM;
		}
	}
	assert_true(settings && headers && end);
	assert_int_equal(body.len, 40000);
	assert_memory_equal(body.p, e.body, 40000);
	assert_int_equal(e.requests, 1);
	assert_int_equal(h2_session_open_streams(s), 0);
	assert_int_equal(h2_session_stats(s)->completed, 1);
	free(body.p);
	stop(&e);
}

static void test_output_waits_for_the_socket(void **state)
{
	struct env e;
	struct h2_session *s = start(&e, 100);

	e.queued = H2_OUT_HIGH; /* the socket is full */
	get(&e.in, 1, "/x", END_STREAM);
	feed(&e);
	assert_int_equal(e.out.len, 0);
	assert_int_equal(e.requests, 1);
	e.queued = 0;
	assert_int_equal(h2_session_pump(s), 0);
	assert_true(e.out.len > 100);
	assert_int_equal(h2_session_open_streams(s), 0);
	stop(&e);
}

static void test_malformed_is_protocol_error(void **state)
{
	struct env e;

	start(&e, 10);
	get_with(&e.in, 1, "connection", "close");
	feed(&e);
	assert_int_equal(rst_code(&e, 1), 1); /* PROTOCOL_ERROR */
	assert_int_equal(e.requests, 0);
	assert_int_equal(goaway_code(&e), -1);
	stop(&e);
}

static void test_too_many_streams_refused(void **state)
{
	struct env e;

	start(&e, 10);
	for (uint32_t i = 0; i < H2_MAX_STREAMS + 1; i++)
		get(&e.in, 1 + 2 * i, "/", 0); /* no END_STREAM: they stay open */
	feed(&e);
	assert_int_equal(rst_code(&e, 1 + 2 * H2_MAX_STREAMS), 7); /* REFUSED_STREAM */
	/* The others are answered, then told to stop sending (NO_ERROR). */
	assert_int_equal(rst_code(&e, 1 + 2 * (H2_MAX_STREAMS - 1)), 0);
	assert_int_equal(goaway_code(&e), -1);
	stop(&e);
}

static void test_rapid_reset_calm(void **state)
{
	struct env e;
	struct h2_session *s = start(&e, 100000);
	unsigned char cancel[4] = { 0, 0, 0, 8 };

	feed(&e);
	for (uint32_t i = 0; i < 3 * H2_RESET_SLACK; i++) {
		get(&e.in, 1 + 2 * i, "/", END_STREAM);
		frame(&e.in, F_RST, 0, 1 + 2 * i, cancel, 4);
		feed(&e);
		if (goaway_code(&e) >= 0)
			break;
	}
	assert_int_equal(goaway_code(&e), 11); /* ENHANCE_YOUR_CALM */
	assert_true(h2_session_stats(s)->resets_recv > H2_RESET_SLACK);
	assert_true(h2_session_stats(s)->resets_recv <= H2_RESET_SLACK + 2);
	stop(&e);
}

static void test_made_you_reset_calm(void **state)
{
	/* A malformed request makes the server reset its stream
	 * (PROTOCOL_ERROR): those resets count too. */
	struct env e;
	struct h2_session *s = start(&e, 100000);

	feed(&e);
	for (uint32_t i = 0; i < 3 * H2_RESET_SLACK; i++) {
		get_with(&e.in, 1 + 2 * i, "te", "gzip");
		feed(&e);
		if (goaway_code(&e) >= 0)
			break;
	}
	assert_int_equal(goaway_code(&e), 11);
	assert_int_equal(h2_session_stats(s)->resets_recv, 0);
	assert_true(h2_session_stats(s)->resets_sent > H2_RESET_SLACK);
	/* What follows the GOAWAY is read and ignored. */
	get(&e.in, 1001, "/", END_STREAM);
	feed(&e);
	assert_true(h2_session_done(s));
	stop(&e);
}

/* HEADERS opening a GET / on stream 1, then count CONTINUATION frames
 * that each carry the fields in block (freed here): the session must
 * answer ENHANCE_YOUR_CALM and take no request. */
static void continuations_calm(struct bytes *block, int count)
{
	struct env e;
	struct bytes hb = { 0 };

	start(&e, 10);
	get_block(&hb, "/");
	frame(&e.in, F_HEADERS, 0, 1, hb.p, hb.len);
	free(hb.p);
	for (int i = 0; i < count; i++)
		frame(&e.in, F_CONTINUATION, 0, 1, block->p, block->len);
	free(block->p);
	feed(&e);
	assert_int_equal(goaway_code(&e), 11);
	assert_int_equal(e.requests, 0);
	stop(&e);
}

static void test_continuation_flood_calm(void **state)
{
	struct bytes hb = { 0 };

	field(&hb, "x", "y");
	continuations_calm(&hb, 10 * H2_CONTINUATIONS);
}

static void test_header_block_bound_calm(void **state)
{
	/* Few CONTINUATION frames, but more bytes than the bound: refused
	 * before they are decoded. */
	struct bytes hb = { 0 };

	pad_fields(&hb, 60);
	continuations_calm(&hb, 2);
}

static void test_decoded_too_large_431(void **state)
{
	/* Within the frame bound, but the decoded fields are larger: the
	 * request gets 431 and the connection goes on. */
	struct env e;
	struct bytes hb = { 0 };
	size_t off = 0;
	struct seen f;
	bool found = false;

	start(&e, 10);
	get_block(&hb, "/");
	pad_fields(&hb, 75); /* 75 * 109 > 8192 */
	assert_true(hb.len <= MAX_HEADER_LIST);
	frame(&e.in, F_HEADERS, END_HEADERS | END_STREAM, 1, hb.p, hb.len);
	free(hb.p);
	feed(&e);
	while (next_frame(&e.out, &off, &f))
		if (f.type == F_HEADERS && f.stream == 1) {
			/* ":status: 431" is not in the static table: a literal
			 * with indexed name 8 (":status"), "431". */
			assert_true(f.len >= 5);
			assert_memory_equal(f.p + f.len - 3, "431", 3);
			found = true;
		}
	assert_true(found);
	assert_int_equal(e.requests, 0);
	assert_int_equal(goaway_code(&e), -1);
	stop(&e);
}

static void flood(int type, const void *payload, size_t n, uint32_t stream, int count)
{
	struct env e;

	start(&e, 10);
	feed(&e);
	for (int i = 0; i < count && goaway_code(&e) < 0; i++) {
		for (int k = 0; k < 100; k++)
			frame(&e.in, type, 0, stream, payload, n);
		feed(&e);
	}
	assert_int_equal(goaway_code(&e), 11);
	stop(&e);
}

static void test_ping_flood_calm(void **state)
{
	flood(F_PING, "12345678", 8, 0, 100);
}

static void test_settings_flood_calm(void **state)
{
	flood(F_SETTINGS, NULL, 0, 0, 100);
}

static void test_window_update_flood_calm(void **state)
{
	unsigned char one[4] = { 0, 0, 0, 1 };
	flood(F_WINDOW_UPDATE, one, 4, 0, 100);
}

static void test_unknown_frame_flood_calm(void **state)
{
	flood(0x42, "x", 1, 0, 100);
}

static void test_priority_flood_calm(void **state)
{
	unsigned char prio[5] = { 0, 0, 0, 0, 16 };
	flood(2, prio, 5, 3, 100);
}

static void test_ping_answered_unknown_ignored(void **state)
{
	struct env e;
	size_t off = 0;
	struct seen f;
	bool pong = false;

	start(&e, 10);
	frame(&e.in, 0x42, 0, 0, "whatever", 8);
	frame(&e.in, F_PING, 0, 0, "abcdefgh", 8);
	feed(&e);
	while (next_frame(&e.out, &off, &f))
		if (f.type == F_PING && f.flags & ACK && f.len == 8 && !memcmp(f.p, "abcdefgh", 8))
			pong = true;
	assert_true(pong);
	assert_int_equal(goaway_code(&e), -1);
	stop(&e);
}

static void test_shutdown_goaway_last_stream(void **state)
{
	struct env e;
	struct h2_session *s = start(&e, 10);
	size_t off = 0;
	struct seen f;
	bool found = false;

	get(&e.in, 1, "/", END_STREAM);
	get(&e.in, 3, "/", END_STREAM);
	feed(&e);
	assert_int_equal(h2_session_shutdown(s), 0);
	while (next_frame(&e.out, &off, &f))
		if (f.type == F_GOAWAY) {
			assert_int_equal(be32(f.p) & 0x7fffffff, 3);
			assert_int_equal(be32(f.p + 4), 0);
			found = true;
		}
	assert_true(found);
	assert_true(h2_session_done(s));
	stop(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_body_exact),
		cmocka_unit_test(test_output_waits_for_the_socket),
		cmocka_unit_test(test_malformed_is_protocol_error),
		cmocka_unit_test(test_too_many_streams_refused),
		cmocka_unit_test(test_rapid_reset_calm),
		cmocka_unit_test(test_made_you_reset_calm),
		cmocka_unit_test(test_continuation_flood_calm),
		cmocka_unit_test(test_header_block_bound_calm),
		cmocka_unit_test(test_decoded_too_large_431),
		cmocka_unit_test(test_ping_flood_calm),
		cmocka_unit_test(test_settings_flood_calm),
		cmocka_unit_test(test_window_update_flood_calm),
		cmocka_unit_test(test_unknown_frame_flood_calm),
		cmocka_unit_test(test_priority_flood_calm),
		cmocka_unit_test(test_ping_answered_unknown_ignored),
		cmocka_unit_test(test_shutdown_goaway_last_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
