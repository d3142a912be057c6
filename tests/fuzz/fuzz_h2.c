/* libFuzzer target: arbitrary bytes as an HTTP/2 connection's input, after
 * the client preface, into the session (src/http/h2_session.h) with a
 * handler that answers every request with a body pulled in pieces.
 *
 * The first input byte picks how the input is cut into reads and when
 * the "socket" is full, so partial frames and output back-pressure are
 * exercised too. Aborts when a promise breaks:
 *  - input always reports all its bytes consumed, or -1 (close);
 *  - no more than H2_MAX_STREAMS streams are ever open;
 *  - output is produced only while less than H2_OUT_HIGH bytes wait
 *    (plus one frame, at most H2_DATA_CHUNK + 9 bytes);
 *  - every request the handler sees has version_major 2 and a path;
 *  - every body released exactly once (LeakSanitizer finds the rest). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "http/h2_session.h"

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

struct env {
	size_t queued;
	size_t produced_while_full;
	unsigned live_bodies;
};

struct pull {
	struct env *e;
	uint64_t left;
};

static int env_out(void *arg, const void *p, size_t n)
{
	struct env *e = arg;

	if (e->queued >= H2_OUT_HIGH)
		e->produced_while_full += n;
	CHECK(e->produced_while_full <= H2_DATA_CHUNK + 9);
	e->queued += n;
	return 0;
}

static size_t env_queued(void *arg)
{
	return ((struct env *)arg)->queued;
}

static ssize_t pull_bytes(void *arg, char *buf, size_t max)
{
	struct pull *pl = arg;
	size_t n = max < pl->left ? max : (size_t)pl->left;

	memset(buf, 'x', n);
	pl->left -= n;
	return (ssize_t)n;
}

static void release(void *arg)
{
	struct pull *pl = arg;

	CHECK(pl->e->live_bodies > 0);
	pl->e->live_bodies--;
	free(pl);
}

static void on_request(void *arg, struct h2_session *s, int32_t stream,
		       const struct http_request *req)
{
	struct env *e = arg;
	struct pull *pl = malloc(sizeof(*pl));
	static const struct h2_field f[] = { { "content-type", 12, "text/plain", 10 } };
	struct h2_body body = { .len = 70000, .pull = pull_bytes, .release = release, .arg = pl };

	CHECK(req->version_major == 2 && req->path.p);
	if (req->method == HTTP_METHOD_HEAD) {
		free(pl);
		h2_respond(s, stream, 204, f, 1, NULL);
		return;
	}
	if (!pl)
		return;
	pl->e = e;
	pl->left = body.len;
	e->live_bodies++;
	h2_respond(s, stream, 200, f, 1, &body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct env e = { 0 };
	struct h2_session_cfg cfg = {
		.max_header_list = 4096,
		.arg = &e,
		.out = env_out,
		.out_queued = env_queued,
		.on_request = on_request,
	};
	struct h2_session *s;
	unsigned mode;
	size_t off = 0, step;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	s = h2_session_new(&cfg);
	if (!s)
		return 0;
	if (h2_session_input(s, H2_PREFACE, H2_PREFACE_LEN) != H2_PREFACE_LEN)
		abort();
	step = (mode & 0x0f) ? (size_t)(mode & 0x0f) * 7 : size;
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		long r = h2_session_input(s, (const char *)data + off, n);

		if (r < 0)
			break;
		CHECK((size_t)r == n);
		CHECK(h2_session_open_streams(s) <= H2_MAX_STREAMS);
		off += n;
		/* The socket drains now and then. */
		if (mode & 0x10 || off % 3 == 0) {
			e.queued = 0;
			e.produced_while_full = 0;
			if (h2_session_pump(s))
				break;
		}
	}
	if (mode & 0x20)
		h2_session_shutdown(s);
	h2_session_free(s);

	CHECK(e.live_bodies == 0);
	return 0;
}
