#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void log_buf_init(struct log_buf *lb, int fd)
{
	lb->fd = fd;
	lb->len = 0;
	lb->clf_time = (time_t)-1;
	lb->clf_date[0] = 0;
}

void log_flush(struct log_buf *lb)
{
	size_t off = 0;

	while (off < lb->len) {
		ssize_t n = write(lb->fd, lb->data + off, lb->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* a broken log must not stop serving */
		off += (size_t)n;
	}
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

/* The "[date] \"" part of a line, with the cached CLF timestamp. */
static size_t log_start(struct log_buf *lb, time_t now, const char *client,
			char *line, size_t size)
{
	int n;

	if (now != lb->clf_time) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(lb->clf_date, sizeof(lb->clf_date), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		lb->clf_time = now;
	}
	n = snprintf(line, size, "%s - - [%s] \"", client, lb->clf_date);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

static void log_append(struct log_buf *lb, const char *line, size_t len)
{
	if (lb->len + len > sizeof(lb->data))
		log_flush(lb);
	memcpy(lb->data + lb->len, line, len);
	lb->len += len;
}

void log_service(struct log_buf *lb, time_t now, const char *client,
		 const char *verb, const char *name, size_t name_len,
		 int status, uint64_t bytes)
{
	char line[64 + 48 + 32 + 4 * 2048 + 64];
	size_t o;

	if (lb->fd < 0)
		return;
	o = log_start(lb, now, client, line, sizeof(line));
	o += (size_t)snprintf(line + o, sizeof(line) - o, "%s", verb);
	if (name) {
		if (name_len > 2048)
			name_len = 2048;
		line[o++] = ' ';
		o += put_escaped(line + o, sizeof(line) - o, name, name_len);
	}
	o += (size_t)snprintf(line + o, sizeof(line) - o, "\" %d %llu\n", status,
			      (unsigned long long)bytes);
	if (o > sizeof(line))
		o = sizeof(line);
	log_append(lb, line, o);
}

void log_access(struct log_buf *lb, time_t now, const char *client,
		const char *method, size_t method_len, const char *target,
		size_t target_len, int version_minor, int status,
		uint64_t bytes)
{
	/* Worst case: every byte escaped to 4. */
	char line[64 + 48 + 32 + 4 * 2048 + 64];
	size_t o = 0;
	int n;

	if (lb->fd < 0)
		return;
	if (now != lb->clf_time) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(lb->clf_date, sizeof(lb->clf_date), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		lb->clf_time = now;
	}
	n = snprintf(line, sizeof(line), "%s - - [%s] \"", client, lb->clf_date);
	o = (size_t)n;
	if (method) {
		if (method_len > 32)
			method_len = 32;
		if (target_len > 2048)
			target_len = 2048;
		o += put_escaped(line + o, sizeof(line) - o, method, method_len);
		line[o++] = ' ';
		o += put_escaped(line + o, sizeof(line) - o, target, target_len);
		o += (size_t)snprintf(line + o, sizeof(line) - o, " HTTP/1.%d", version_minor);
	} else {
		line[o++] = '-';
	}
	o += (size_t)snprintf(line + o, sizeof(line) - o, "\" %d %llu\n", status,
			      (unsigned long long)bytes);
	if (o > sizeof(line))
		o = sizeof(line);
	if (lb->len + o > sizeof(lb->data))
		log_flush(lb);
	memcpy(lb->data + lb->len, line, o);
	lb->len += o;
}

void log_error(const char *fmt, ...)
{
	char msg[512];
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s eisd: %s\n", stamp, msg);
}
