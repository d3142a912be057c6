/* Access log (Common Log Format) and error messages. Each worker appends
 * to its own buffer, so logging never serialises the threads; a buffer is
 * written when it fills, every second, and at exit, through a log_sink
 * that never blocks (log_sink.h). A line that finds the buffer full while
 * the reader is not keeping up is dropped and counted, so a log nobody
 * reads costs lines, never service. */
#ifndef EISD_LOG_H
#define EISD_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include "util/log_sink.h"

#define LOG_BUF_SIZE 32768

/* The shape of an access-log line. */
enum log_format {
	LOG_FORMAT_COMMON,   /* CLF: client - - [date] "request" status bytes */
	LOG_FORMAT_COMBINED, /* CLF + "Referer" "User-Agent" (Apache, nginx, fail2ban) */
	LOG_FORMAT_JSON,     /* one JSON object per line */
};

/* What a line says about the request; NULL pointers are absent fields. */
struct log_request {
	const char *method;
	size_t method_len;
	const char *target;
	size_t target_len;
	int version_major, version_minor;
	const char *referer;
	size_t referer_len;
	const char *user_agent;
	size_t user_agent_len;
};

struct log_buf {
	int fd;            /* -1: logging off (else the sink's) */
	struct log_sink *sink; /* shared by the workers; NULL: off */
	bool stalled;      /* the sink took nothing last time: wait for a flush */
	size_t len;
	enum log_format format; /* set by the worker (--log-format) */
	time_t clf_time;   /* second the cached timestamps are for */
	char clf_date[32]; /* "10/Oct/2000:13:55:36 +0000" */
	char iso_date[24]; /* "2000-10-10T13:55:36Z" (json) */
	char data[LOG_BUF_SIZE];
};

/* sink: NULL (or a sink that is off) for no logging. */
void log_buf_init(struct log_buf *lb, struct log_sink *sink);
/* One access-log line in lb->format; rq NULL: the request did not parse. */
void log_request_line(struct log_buf *lb, time_t now, const char *client,
		      const struct log_request *rq, int status, uint64_t bytes);
/* The same with just the request line (no Referer, no User-Agent).
 * method/target may be NULL (unparsable request). */
void log_access(struct log_buf *lb, time_t now, const char *client,
		const char *method, size_t method_len, const char *target,
		size_t target_len, int version_major, int version_minor, int status,
		uint64_t bytes);
/* One access-log line for the echo and file services, in the same format
 * with the request written as "VERB" or "VERB name" (no HTTP version;
 * json: "method" VERB, "target" name). */
void log_service(struct log_buf *lb, time_t now, const char *client,
		 const char *verb, const char *name, size_t name_len,
		 int status, uint64_t bytes);
/* Writes what the sink takes now; the rest waits for the next flush. */
void log_flush(struct log_buf *lb);
/* At exit: flushes, waiting up to max_ms in all for a slow reader (poll,
 * never a blocking write); what is still unwritten is dropped and counted. */
void log_flush_final(struct log_buf *lb, int max_ms);

/* Where log_error writes (standard error's sink, set once at startup);
 * NULL: stderr through stdio. */
void log_set_error_sink(struct log_sink *s);

/* "eisd: " + message + newline on stderr, prefixed by a UTC timestamp
 * when the server is running (ts != 0). */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
