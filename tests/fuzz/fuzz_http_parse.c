/* libFuzzer target: the request-head parser and the chunked-body decoder.
 *
 * Besides crashes and sanitizer reports it checks what http_parse.h
 * promises, and aborts when a promise is broken:
 *  - the result is the head length (<= the bytes given and <= max_head),
 *    0, or one of the documented error statuses;
 *  - every string in the result points inside the head (the path may also
 *    be the static "/");
 *  - a prefix of the input answers "need more" or the same as the whole
 *    (the parser keeps no state, so feeding a byte at a time is safe);
 *  - the chunked decoder gives the same answer however its input is split,
 *    never consumes more than it is given, and never counts more data than
 *    max_body.
 * max_head, the split points and max_body are derived from the input, so
 * the fuzzer explores the limits too. Each parse sees an exactly-sized
 * heap copy, so reading one byte too far is an ASan report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

/* A small deterministic hash (FNV-1a), to derive parameters. */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3u;
	}
	return h;
}

static bool str_within(struct http_str s, const char *base, size_t len)
{
	if (s.p == NULL)
		return s.len == 0;
	return s.p >= base && s.len <= len && (size_t)(s.p - base) <= len - s.len;
}

static bool is_error_status(long r)
{
	return r == -400 || r == -414 || r == -431 || r == -501 || r == -505;
}

/* Parses an exact heap copy of data[0..len). */
static long parse_copy(const uint8_t *data, size_t len, size_t max_head,
		       struct http_request *req, char **copy_out)
{
	char *copy = malloc(len ? len : 1);
	long r;

	CHECK(copy != NULL);
	if (len)
		memcpy(copy, data, len);
	r = http_parse_request(copy, len, max_head, req);
	*copy_out = copy;
	return r;
}

static void check_request(const struct http_request *req, const char *buf,
			  long head)
{
	size_t n = (size_t)head;
	const struct http_str *known[] = {
		&req->host, &req->if_none_match, &req->if_modified_since,
		&req->if_match, &req->if_unmodified_since, &req->if_range,
		&req->range, &req->accept, &req->accept_encoding,
		&req->user_agent, &req->referer,
	};

	CHECK(req->version_minor == 0 || req->version_minor == 1);
	CHECK(str_within(req->method_name, buf, n) && req->method_name.len > 0);
	CHECK(str_within(req->target, buf, n) && req->target.len > 0);
	CHECK(str_within(req->path, buf, n) ||
	      (req->path.len == 1 && req->path.p[0] == '/'));
	CHECK(req->path.len > 0);
	CHECK(str_within(req->query, buf, n));
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		CHECK(str_within(*known[i], buf, n));
	CHECK(req->header_count <= HTTP_MAX_HEADERS);
	for (size_t i = 0; i < req->header_count; i++) {
		CHECK(str_within(req->headers[i].name, buf, n));
		CHECK(req->headers[i].name.len > 0);
		CHECK(str_within(req->headers[i].value, buf, n));
	}
	CHECK(req->body == HTTP_BODY_NONE || req->body == HTTP_BODY_LENGTH ||
	      req->body == HTTP_BODY_CHUNKED);
	if (req->body != HTTP_BODY_LENGTH)
		CHECK(req->content_length == 0);
	/* HTTP/1.1 needs Host; HTTP/1.0 never gets a chunked body. */
	if (req->version_minor == 1)
		CHECK(req->host.p != NULL);
	else
		CHECK(req->body != HTTP_BODY_CHUNKED && !req->expect_continue);
	/* The head ends with its empty line. */
	CHECK(buf[n - 1] == '\n');
}

static void fuzz_head(const uint8_t *data, size_t size, uint64_t h)
{
	struct http_request req;
	size_t max_head, prefix;
	char *copy;
	long full, part;

	/* Mostly the default limit; otherwise a limit anywhere in or just
	 * past the input, where the 414/431 decisions are made. */
	if ((h & 3) == 0)
		max_head = 8192;
	else
		max_head = 1 + (size_t)((h >> 2) % (size + 4));

	full = parse_copy(data, size, max_head, &req, &copy);
	CHECK(full == 0 || is_error_status(full) ||
	      (full > 0 && (size_t)full <= size && (size_t)full <= max_head));
	if (full > 0)
		check_request(&req, copy, full);
	if (full == 0)
		CHECK(size < max_head);
	free(copy);

	/* A prefix answers "need more" or what the whole input answers. */
	if (size == 0)
		return;
	prefix = (size_t)((h >> 24) % size);
	part = parse_copy(data, prefix, max_head, &req, &copy);
	CHECK(part == 0 || part == full);
	if (part > 0)
		check_request(&req, copy, part);
	free(copy);

	/* The head alone, with max_head exactly its length, is still it. */
	if (full > 0) {
		part = parse_copy(data, (size_t)full, (size_t)full, &req, &copy);
		CHECK(part == full);
		free(copy);
	}
}

struct chunk_result {
	long consumed; /* -1: error */
	bool done;
	bool too_large;
	uint64_t total;
};

/* Feeds data in pieces whose sizes come from the hash (0 = all at once). */
static struct chunk_result chunk_feed(const uint8_t *data, size_t size,
				      uint64_t max_body, uint64_t split)
{
	struct chunk_result res = { 0, false, false, 0 };
	struct http_chunked ch;
	size_t pos = 0;

	http_chunked_init(&ch);
	while (pos < size) {
		size_t piece = size - pos;
		char *copy;
		bool done = false;
		long n;

		if (split) {
			size_t want = 1 + (size_t)(split % 7);
			split = split / 7 ? split / 7 : split * 31 + 1;
			if (want < piece)
				piece = want;
		}
		copy = malloc(piece);
		CHECK(copy != NULL);
		memcpy(copy, data + pos, piece);
		n = http_chunked_feed(&ch, copy, piece, max_body, &done);
		free(copy);
		CHECK(ch.total <= max_body);
		if (n < 0) {
			CHECK(n == -1 && !done);
			res.consumed = -1;
			res.too_large = ch.too_large;
			return res;
		}
		CHECK((size_t)n <= piece);
		pos += (size_t)n;
		if (done) {
			res.done = true;
			break;
		}
		/* Not done and not an error: it took everything given. */
		CHECK((size_t)n == piece);
	}
	res.consumed = (long)pos;
	res.total = ch.total;
	return res;
}

static void fuzz_chunked(const uint8_t *data, size_t size, uint64_t h)
{
	static const uint64_t limits[] = { 1024 * 1024, 0, 1, 16, 4096, UINT64_MAX };
	uint64_t max_body = limits[(h >> 40) % (sizeof(limits) / sizeof(limits[0]))];
	struct chunk_result whole = chunk_feed(data, size, max_body, 0);
	struct chunk_result split = chunk_feed(data, size, max_body, h | 1);

	CHECK(whole.consumed == split.consumed);
	CHECK(whole.done == split.done);
	CHECK(whole.too_large == split.too_large);
	CHECK(whole.total == split.total);
	if (whole.too_large)
		CHECK(whole.consumed == -1);
	/* The data counted can never exceed what was fed. */
	if (whole.consumed >= 0)
		CHECK(whole.total <= (uint64_t)whole.consumed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t h = hash_bytes(data, size);
	struct http_request req;
	char *copy;
	long head;

	fuzz_head(data, size, h);

	/* The decoder gets the body after a complete head (seeds are whole
	 * requests), or the raw input when there is no head. */
	head = parse_copy(data, size, size + 1, &req, &copy);
	free(copy);
	if (head > 0)
		fuzz_chunked(data + head, size - (size_t)head, h);
	else
		fuzz_chunked(data, size, h);
	return 0;
}
