/* Access log (Common Log Format) and error messages. Each worker appends
 * to its own buffer, so logging never serialises the threads; a buffer is
 * written with one write() when it fills, every second, and at exit. */
#ifndef EISD_LOG_H
#define EISD_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LOG_BUF_SIZE 32768

struct log_buf {
	int fd;            /* -1: logging off */
	size_t len;
	time_t clf_time;   /* second the cached timestamp is for */
	char clf_date[32]; /* "10/Oct/2000:13:55:36 +0000" */
	char data[LOG_BUF_SIZE];
};

void log_buf_init(struct log_buf *lb, int fd);
/* One access-log line. method/target may be NULL (unparsable request). */
void log_access(struct log_buf *lb, time_t now, const char *client,
		const char *method, size_t method_len, const char *target,
		size_t target_len, int version_major, int version_minor, int status,
		uint64_t bytes);
/* One access-log line for the echo and file services, in the same format
 * with the request written as "VERB" or "VERB name" (no HTTP version). */
void log_service(struct log_buf *lb, time_t now, const char *client,
		 const char *verb, const char *name, size_t name_len,
		 int status, uint64_t bytes);
void log_flush(struct log_buf *lb);

/* "eisd: " + message + newline on stderr, prefixed by a UTC timestamp
 * when the server is running (ts != 0). */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
