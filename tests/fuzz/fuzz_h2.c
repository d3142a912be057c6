/* libFuzzer target: arbitrary bytes as an HTTP/2 connection's input, after
 * the client preface, into the session (src/http/h2_session.h) with the
 * real handler behind it (h2_answer: static files, listings, ranges,
 * precompressed sidecars, errors) over a small site made at startup.
 *
 * The first input byte picks how the input is cut into reads and when
 * the "socket" drains, so partial frames and back-pressure are exercised
 * too. Aborts when a promise breaks:
 *  - input always reports all its bytes consumed, or -1 (close);
 *  - no more than H2_MAX_STREAMS streams are ever open;
 *  - output is produced only while less than H2_OUT_HIGH bytes wait
 *    (plus one frame, at most H2_DATA_CHUNK + 9 bytes);
 * and LeakSanitizer finds a response or stream never freed. */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "app/config.h"
#include "core/ctx.h"
#include "files/fcache.h"
#include "files/mime.h"
#include "http/h2_serialize.h"
#include "http/h2_session.h"

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

static struct config cfg;
static struct ctx cx;
static atomic_bool stopping;
static struct sockaddr_in peer = { .sin_family = AF_INET };

static void put(const char *dir, const char *name, const char *data, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	CHECK(f);
	CHECK(fwrite(data, 1, n, f) == n);
	fclose(f);
}

static char dir[] = "/tmp/fuzz_h2_XXXXXX";

static void remove_site(void)
{
	static const char *const names[] = { "index.html", "a.txt", "a.txt.gz", "big.bin",
					     ".hidden", "sub/x.txt", "sub", "" };
	char path[600];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (remove(path) != 0) {
			/* best effort */
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char big[100000];
	char sub[600];

	CHECK(mkdtemp(dir));
	atexit(remove_site);
	memset(big, 'b', sizeof(big));
	put(dir, "index.html", "<p>hi</p>\n", 10);
	put(dir, "a.txt", "AAAA\n", 5);
	put(dir, "a.txt.gz", "\x1f\x8b gz", 5);
	put(dir, "big.bin", big, sizeof(big));
	put(dir, ".hidden", "secret\n", 7);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	CHECK(mkdir(sub, 0755) == 0);
	put(sub, "x.txt", "x\n", 2);

	config_defaults(&cfg);
	cfg.root = dir;
	cfg.listing = true;
	cfg.max_request_bytes = 4096;
	cx.cfg = &cfg;
	cx.mime = mime_table_new();
	cx.root_fd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(cx.mime && cx.root_fd >= 0);
	cx.fcache = fcache_new(cx.root_fd, cx.mime, 16);
	cx.io_scratch = malloc(CTX_IO_SCRATCH);
	CHECK(cx.fcache && cx.io_scratch);
	log_buf_init(&cx.log, NULL);
	memcpy(cx.date, "Tue, 01 Dec 2026 00:00:00 GMT", CTX_DATE_LEN);
	cx.now = 1764547200;
	cx.url_host = "127.0.0.1";
	cx.stopping = &stopping;
	return 0;
}

struct env {
	size_t queued;
	size_t produced_while_full;
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

static void on_request(void *arg, struct h2_session *s, int32_t stream,
		       const struct http_request *req)
{
	CHECK(req->version_major == 2);
	h2_answer(s, stream, &cx, (const struct sockaddr *)&peer, "127.0.0.1", req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct env e = { 0 };
	struct h2_session_cfg scfg = {
		.max_header_list = cfg.max_request_bytes,
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
	s = h2_session_new(&scfg);
	if (!s)
		return 0;
	CHECK(h2_session_input(s, H2_PREFACE, H2_PREFACE_LEN) == H2_PREFACE_LEN);
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
	return 0;
}
