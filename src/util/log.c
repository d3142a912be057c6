#include "util/log.h"

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
	if (lb->len + len > sizeof(lb->data))
		log_flush(lb);
	memcpy(lb->data + lb->len, line, len);
	lb->len += len;
}

void log_service(struct log_buf *lb, time_t now, const char *client,
		 const char *verb, const char *name, size_t name_len,
		 int status, uint64_t bytes)
{
	char line[LINE_MAX_BYTES];
	size_t o, vlen = strlen(verb);

	if (lb->fd < 0)
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
		size_t target_len, int version_major, int version_minor, int status,
		uint64_t bytes)
{
	char line[LINE_MAX_BYTES];
	size_t o;

	if (lb->fd < 0)
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
		o += put_str(line + o, " HTTP/");
		line[o++] = (char)('0' + (version_major > 0 && version_major < 10 ? version_major : 1));
		line[o++] = '.';
		line[o++] = (char)('0' + (version_minor > 0 && version_minor < 10 ? version_minor : 0));
	} else {
		line[o++] = '-';
	}
	o += log_end(line + o, status, bytes);
	log_append(lb, line, o);
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
