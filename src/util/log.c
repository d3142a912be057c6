#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/bytes.h"
#include "util/chars.h"

void log_buf_init(struct log_buf *lb, struct log_sink *sink)
{
	if (sink && sink->fd < 0)
		sink = NULL;
	lb->sink = sink;
	lb->fd = sink ? sink->fd : -1;
	lb->stalled = false;
	lb->len = 0;
	lb->clf_time = (time_t)-1;
	lb->clf_date[0] = 0;
}

void log_flush(struct log_buf *lb)
{
	size_t n;

	if (!lb->sink || !lb->len)
		return;
	n = log_sink_write(lb->sink, lb->data, lb->len);
	lb->len -= n;
	if (lb->len)
		memmove(lb->data, lb->data + n, lb->len);
	lb->stalled = n == 0;
}

static uint64_t count_lines(const char *p, size_t len)
{
	uint64_t n = 0;
	const char *end = p + len;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p++;
	}
	return n;
}

void log_flush_final(struct log_buf *lb, int max_ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long spent;
		log_flush(lb);
		if (!lb->len)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (spent >= max_ms || !log_sink_wait(lb->sink, (int)(max_ms - spent)))
			break;
	}
	log_sink_dropped(lb->sink, count_lines(lb->data, lb->len));
	lb->len = 0;
}

/* Appends s, escaping what could forge or break a log line, while the
 * line stays under stop bytes. */
static void put_escaped(struct bytes *b, size_t stop, const char *s, size_t len)
{
	for (size_t i = 0; i < len && b->len + 4 < stop; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
			char esc[4] = { '\\', 'x', chars_hex_lower[ch >> 4], chars_hex_lower[ch & 15] };
			bytes_put(b, esc, 4);
		} else {
			bytes_char(b, (char)ch);
		}
	}
}

/* Worst case of a line: every byte of the request escaped to 4. */
#define LINE_MAX_BYTES (64 + 48 + 32 + 4 * 2048 + 64)
/* Room kept free after the request for the fields that end a line. */
#define LINE_TAIL 64

/* The "client - - [date] \"" part of a line, with the cached CLF
 * timestamp; at most 48 + 40 bytes. */
static void log_start(struct log_buf *lb, time_t now, const char *client, struct bytes *b)
{
	if (now != lb->clf_time) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(lb->clf_date, sizeof(lb->clf_date), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		lb->clf_time = now;
	}
	if (strlen(client) > 48)
		client = "-";
	bytes_str(b, client);
	BYTES_LIT(b, " - - [");
	bytes_str(b, lb->clf_date);
	BYTES_LIT(b, "] \"");
}

/* The "\" status bytes" end of a line; at most 45 bytes. */
static void log_end(struct bytes *b, int status, uint64_t bytes)
{
	BYTES_LIT(b, "\" ");
	bytes_u64(b, status > 0 ? (uint64_t)status : 0);
	bytes_char(b, ' ');
	bytes_u64(b, bytes);
	bytes_char(b, '\n');
}

static void log_append(struct log_buf *lb, const struct bytes *line)
{
	if (line->failed)
		return; /* cannot happen: the line's room is its worst case */
	if (lb->len + line->len > sizeof(lb->data)) {
		/* A sink that took nothing is not asked again before the
		 * next flush: one failed write per second, not per request. */
		if (!lb->stalled)
			log_flush(lb);
		if (lb->len + line->len > sizeof(lb->data)) {
			lb->stalled = true;
			log_sink_dropped(lb->sink, 1);
			return;
		}
	}
	memcpy(lb->data + lb->len, line->p, line->len);
	lb->len += line->len;
}

void log_service(struct log_buf *lb, time_t now, const char *client,
		 const char *verb, const char *name, size_t name_len,
		 int status, uint64_t bytes)
{
	char line[LINE_MAX_BYTES];
	struct bytes b;
	size_t vlen = strlen(verb);

	if (!lb->sink)
		return;
	bytes_init_fixed(&b, line, sizeof(line));
	log_start(lb, now, client, &b);
	put_escaped(&b, b.len + 32, verb, vlen > 32 ? 32 : vlen);
	if (name) {
		if (name_len > 2048)
			name_len = 2048;
		bytes_char(&b, ' ');
		put_escaped(&b, sizeof(line) - LINE_TAIL, name, name_len);
	}
	log_end(&b, status, bytes);
	log_append(lb, &b);
}

void log_access(struct log_buf *lb, time_t now, const char *client,
		const char *method, size_t method_len, const char *target,
		size_t target_len, int version_major, int version_minor, int status,
		uint64_t bytes)
{
	char line[LINE_MAX_BYTES];
	struct bytes b;

	if (!lb->sink)
		return;
	bytes_init_fixed(&b, line, sizeof(line));
	log_start(lb, now, client, &b);
	if (method) {
		if (method_len > 32)
			method_len = 32;
		if (target_len > 2048)
			target_len = 2048;
		put_escaped(&b, sizeof(line) - LINE_TAIL, method, method_len);
		bytes_char(&b, ' ');
		put_escaped(&b, sizeof(line) - LINE_TAIL, target, target_len);
		BYTES_LIT(&b, " HTTP/");
		bytes_char(&b, (char)('0' + (version_major > 0 && version_major < 10 ? version_major : 1)));
		bytes_char(&b, '.');
		bytes_char(&b, (char)('0' + (version_minor > 0 && version_minor < 10 ? version_minor : 0)));
	} else {
		bytes_char(&b, '-');
	}
	log_end(&b, status, bytes);
	log_append(lb, &b);
}

static struct log_sink *error_sink;

void log_set_error_sink(struct log_sink *s)
{
	error_sink = s;
}

void log_error(const char *fmt, ...)
{
	char msg[512];
	char line[600];
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;
	int n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line), "%s eisd: %s\n", stamp, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1, line[n - 1] = '\n';
	if (error_sink)
		log_sink_message(error_sink, line, (size_t)n);
	else
		fputs(line, stderr);
}
