#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* Appends s, escaping what could forge or break a log line. */
static size_t put_escaped(char *dst, size_t room, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len && o + 4 < room; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[ch >> 4];
			dst[o++] = hex[ch & 15];
		} else {
			dst[o++] = (char)ch;
		}
	}
	return o;
}

/* Plain copies instead of snprintf: formatting was most of the cost of
 * logging a request. Both return the bytes written; room is ample. */
static size_t put_str(char *dst, const char *s)
{
	size_t n = strlen(s);

	memcpy(dst, s, n);
	return n;
}

static size_t put_u64(char *dst, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(dst, tmp + i, sizeof(tmp) - i);
	return sizeof(tmp) - i;
}

/* Worst case of a line: every byte of the request escaped to 4. */
#define LINE_MAX_BYTES (64 + 48 + 32 + 4 * 2048 + 64)

/* The "client - - [date] \"" part of a line, with the cached CLF
 * timestamp; at most 48 + 40 bytes. */
static size_t log_start(struct log_buf *lb, time_t now, const char *client, char *line)
{
	size_t o = 0;

	if (now != lb->clf_time) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(lb->clf_date, sizeof(lb->clf_date), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		lb->clf_time = now;
	}
	if (strlen(client) > 48)
		client = "-";
	o += put_str(line + o, client);
	o += put_str(line + o, " - - [");
	o += put_str(line + o, lb->clf_date);
	o += put_str(line + o, "] \"");
	return o;
}

/* The "\" status bytes" end of a line; at most 45 bytes. */
static size_t log_end(char *line, int status, uint64_t bytes)
{
	size_t o = 0;

	o += put_str(line + o, "\" ");
	o += put_u64(line + o, status > 0 ? (uint64_t)status : 0);
	line[o++] = ' ';
	o += put_u64(line + o, bytes);
	line[o++] = '\n';
	return o;
}

static void log_append(struct log_buf *lb, const char *line, size_t len)
{
	if (lb->len + len > sizeof(lb->data)) {
		/* A sink that took nothing is not asked again before the
		 * next flush: one failed write per second, not per request. */
		if (!lb->stalled)
			log_flush(lb);
		if (lb->len + len > sizeof(lb->data)) {
			lb->stalled = true;
			log_sink_dropped(lb->sink, 1);
			return;
		}
	}
	memcpy(lb->data + lb->len, line, len);
	lb->len += len;
}

void log_service(struct log_buf *lb, time_t now, const char *client,
		 const char *verb, const char *name, size_t name_len,
		 int status, uint64_t bytes)
{
	char line[LINE_MAX_BYTES];
	size_t o, vlen = strlen(verb);

	if (!lb->sink)
		return;
	o = log_start(lb, now, client, line);
	/* 64 bytes stay free for the fields after the name. */
	o += put_escaped(line + o, 32, verb, vlen > 32 ? 32 : vlen);
	if (name) {
		if (name_len > 2048)
			name_len = 2048;
		line[o++] = ' ';
		o += put_escaped(line + o, sizeof(line) - o - 64, name, name_len);
	}
	o += log_end(line + o, status, bytes);
	log_append(lb, line, o);
}

void log_access(struct log_buf *lb, time_t now, const char *client,
		const char *method, size_t method_len, const char *target,
		size_t target_len, int version_minor, int status,
		uint64_t bytes)
{
	char line[LINE_MAX_BYTES];
	size_t o;

	if (!lb->sink)
		return;
	o = log_start(lb, now, client, line);
	if (method) {
		if (method_len > 32)
			method_len = 32;
		if (target_len > 2048)
			target_len = 2048;
		/* 64 bytes stay free for the fields after the target. */
		o += put_escaped(line + o, sizeof(line) - o - 64, method, method_len);
		line[o++] = ' ';
		o += put_escaped(line + o, sizeof(line) - o - 64, target, target_len);
		o += put_str(line + o, " HTTP/1.");
		line[o++] = version_minor == 0 ? '0' : '1';
	} else {
		line[o++] = '-';
	}
	o += log_end(line + o, status, bytes);
	log_append(lb, line, o);
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
