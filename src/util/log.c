#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/bytes.h"
#include "util/chars.h"
#include "util/escape.h"

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
	lb->iso_date[0] = 0;
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

/* Bounds of the fields a line copies from a request. */
#define METHOD_MAX 32
#define TARGET_MAX 2048
#define HEADER_MAX 1024 /* Referer, User-Agent */
/* Worst case of a line: every byte of every field escaped (to 4 bytes in
 * CLF, to 6 in JSON), and the fixed parts. */
#define LINE_MAX_BYTES (512 + 6 * (METHOD_MAX + TARGET_MAX + 2 * HEADER_MAX))

/* The cached timestamps for now. */
static void log_stamp(struct log_buf *lb, time_t now)
{
	struct tm tm;

	if (now == lb->clf_time)
		return;
	gmtime_r(&now, &tm);
	strftime(lb->clf_date, sizeof(lb->clf_date), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	strftime(lb->iso_date, sizeof(lb->iso_date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	lb->clf_time = now;
}

static const char *log_client(const char *client)
{
	return strlen(client) > 48 ? "-" : client;
}

/* The "client - - [date] \"" part of a CLF line. */
static void clf_start(struct log_buf *lb, const char *client, struct bytes *b)
{
	bytes_str(b, log_client(client));
	BYTES_LIT(b, " - - [");
	bytes_str(b, lb->clf_date);
	BYTES_LIT(b, "] \"");
}

/* The "\" status bytes" end of a CLF request. */
static void clf_end(struct bytes *b, int status, uint64_t bytes)
{
	BYTES_LIT(b, "\" ");
	bytes_u64(b, status > 0 ? (uint64_t)status : 0);
	bytes_char(b, ' ');
	bytes_u64(b, bytes);
}

/* A quoted CLF field ("-" when absent), for combined. */
static void clf_quoted(struct bytes *b, const char *s, size_t len, size_t max)
{
	BYTES_LIT(b, " \"");
	if (s && len)
		put_escaped(b, b->len + 4 * max + 4, s, len > max ? max : len);
	else
		bytes_char(b, '-');
	bytes_char(b, '"');
}

/* ,"name":"value" (escape_json), or ,"name":null. */
static void json_field(struct bytes *b, const char *name, const char *s, size_t len, size_t max)
{
	bytes_str(b, ",\"");
	bytes_str(b, name);
	if (!s) {
		BYTES_LIT(b, "\":null");
		return;
	}
	BYTES_LIT(b, "\":\"");
	escape_json(b, s, len > max ? max : len);
	bytes_char(b, '"');
}

static void json_line(struct log_buf *lb, struct bytes *b, const char *client,
		      const struct log_request *rq, const char *protocol, int status,
		      uint64_t bytes)
{
	BYTES_LIT(b, "{\"time\":\"");
	bytes_str(b, lb->iso_date);
	BYTES_LIT(b, "\"");
	json_field(b, "client", log_client(client), strlen(log_client(client)), 64);
	json_field(b, "method", rq ? rq->method : NULL, rq ? rq->method_len : 0, METHOD_MAX);
	json_field(b, "target", rq ? rq->target : NULL, rq ? rq->target_len : 0, TARGET_MAX);
	json_field(b, "protocol", protocol, protocol ? strlen(protocol) : 0, 16);
	BYTES_LIT(b, ",\"status\":");
	bytes_u64(b, status > 0 ? (uint64_t)status : 0);
	BYTES_LIT(b, ",\"bytes\":");
	bytes_u64(b, bytes);
	json_field(b, "referer", rq ? rq->referer : NULL, rq ? rq->referer_len : 0, HEADER_MAX);
	json_field(b, "user_agent", rq ? rq->user_agent : NULL, rq ? rq->user_agent_len : 0,
		   HEADER_MAX);
	BYTES_LIT(b, "}\n");
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

/* "HTTP/1.1" for a request's version. */
static void version_text(char out[9], int major, int minor)
{
	memcpy(out, "HTTP/1.0", 9);
	out[5] = (char)('0' + (major > 0 && major < 10 ? major : 1));
	out[7] = (char)('0' + (minor > 0 && minor < 10 ? minor : 0));
}

void log_request_line(struct log_buf *lb, time_t now, const char *client,
		      const struct log_request *rq, int status, uint64_t bytes)
{
	char line[LINE_MAX_BYTES], version[9];
	struct bytes b;

	if (!lb->sink)
		return;
	log_stamp(lb, now);
	bytes_init_fixed(&b, line, sizeof(line));
	if (rq)
		version_text(version, rq->version_major, rq->version_minor);
	if (lb->format == LOG_FORMAT_JSON) {
		json_line(lb, &b, client, rq, rq ? version : NULL, status, bytes);
		log_append(lb, &b);
		return;
	}
	clf_start(lb, client, &b);
	if (rq && rq->method) {
		put_escaped(&b, b.len + 4 * METHOD_MAX + 4, rq->method,
			    rq->method_len > METHOD_MAX ? METHOD_MAX : rq->method_len);
		bytes_char(&b, ' ');
		put_escaped(&b, b.len + 4 * TARGET_MAX + 4, rq->target,
			    rq->target_len > TARGET_MAX ? TARGET_MAX : rq->target_len);
		bytes_char(&b, ' ');
		bytes_put(&b, version, 8);
	} else {
		bytes_char(&b, '-');
	}
	clf_end(&b, status, bytes);
	if (lb->format == LOG_FORMAT_COMBINED) {
		clf_quoted(&b, rq ? rq->referer : NULL, rq ? rq->referer_len : 0, HEADER_MAX);
		clf_quoted(&b, rq ? rq->user_agent : NULL, rq ? rq->user_agent_len : 0, HEADER_MAX);
	}
	bytes_char(&b, '\n');
	log_append(lb, &b);
}

void log_access(struct log_buf *lb, time_t now, const char *client,
		const char *method, size_t method_len, const char *target,
		size_t target_len, int version_major, int version_minor, int status,
		uint64_t bytes)
{
	struct log_request rq = {
		.method = method, .method_len = method_len, .target = target,
		.target_len = target_len, .version_major = version_major,
		.version_minor = version_minor,
	};

	log_request_line(lb, now, client, method ? &rq : NULL, status, bytes);
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
	log_stamp(lb, now);
	bytes_init_fixed(&b, line, sizeof(line));
	if (lb->format == LOG_FORMAT_JSON) {
		struct log_request rq = { .method = verb, .method_len = vlen, .target = name,
					  .target_len = name_len };

		json_line(lb, &b, client, &rq, NULL, status, bytes);
		log_append(lb, &b);
		return;
	}
	clf_start(lb, client, &b);
	put_escaped(&b, b.len + 4 * METHOD_MAX + 4, verb, vlen > METHOD_MAX ? METHOD_MAX : vlen);
	if (name) {
		bytes_char(&b, ' ');
		put_escaped(&b, b.len + 4 * TARGET_MAX + 4, name,
			    name_len > TARGET_MAX ? TARGET_MAX : name_len);
	}
	clf_end(&b, status, bytes);
	if (lb->format == LOG_FORMAT_COMBINED)
		BYTES_LIT(&b, " \"-\" \"-\"");
	bytes_char(&b, '\n');
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
