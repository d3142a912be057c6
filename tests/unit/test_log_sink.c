/* Unit tests for src/util/log_sink.c and the access-log buffer on top of
 * it: a pipe nobody reads never blocks a write, never gets half a line,
 * and every line that does not fit is counted; the shared description of
 * the descriptor we were given is left blocking. A write that blocked
 * would hang the test (nothing reads the pipes here). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/log.h"
#include "util/log_sink.h"

static size_t drain(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	for (;;) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	fcntl(fd, F_SETFL, fl);
	return got;
}

static void test_pipe_is_reopened_and_the_shared_fd_stays_blocking(void **state)
{
	struct log_sink s;
	int p[2];

	assert_int_equal(pipe(p), 0);
	log_sink_init(&s, p[1], false, "access log", NULL);
	assert_int_equal(s.how, LOG_SINK_NONBLOCK);
	assert_true(s.own_fd);
	assert_int_not_equal(s.fd, p[1]);
	assert_true(s.pipe);
	/* The description others share is not touched. */
	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
	assert_int_not_equal(fcntl(s.fd, F_GETFL) & O_NONBLOCK, 0);
	log_sink_close(&s);
	close(p[0]);
	close(p[1]);
}

static void test_full_pipe_takes_whole_lines_only(void **state)
{
	static char buf[1 << 20], got[1 << 20];
	struct log_sink s;
	size_t len = 0, total = 0, n, r;
	int p[2];

	assert_int_equal(pipe(p), 0);
	log_sink_init(&s, p[1], false, "access log", NULL);
	/* Lines of 97 bytes: never a multiple of PIPE_BUF. */
	while (len + 97 <= sizeof(buf)) {
		memset(buf + len, 'a' + (int)(len / 97 % 26), 96);
		buf[len + 96] = '\n';
		len += 97;
	}
	while ((n = log_sink_write(&s, buf + total, len - total)) > 0)
		total += n;
	assert_true(total > 0 && total < len);
	assert_int_equal(total % 97, 0); /* cut at a line end */
	assert_int_equal(log_sink_write(&s, buf, 97), 0);
	r = drain(p[0], got, sizeof(got));
	assert_int_equal(r, total);
	assert_memory_equal(got, buf, total);
	/* Room again: writing resumes. */
	assert_int_equal(log_sink_write(&s, buf, 97), 97);
	log_sink_close(&s);
	close(p[0]);
	close(p[1]);
}

static void test_message_whole_or_dropped(void **state)
{
	static char msg[10000], fill[1 << 20], got[1 << 20];
	struct log_sink s;
	int p[2];

	assert_int_equal(pipe(p), 0);
	log_sink_init(&s, p[1], false, "standard error", &s);
	memset(msg, 'm', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\n';
	assert_true(log_sink_message(&s, msg, sizeof(msg)));
	assert_int_equal(log_sink_dropped_count(&s), 0);
	/* Fill the pipe with lines, then a message that cannot fit. */
	memset(fill, '\n', sizeof(fill));
	while (log_sink_write(&s, fill, sizeof(fill)) > 0)
		;
	assert_false(log_sink_message(&s, msg, sizeof(msg)));
	assert_false(log_sink_message(&s, msg, sizeof(msg)));
	assert_int_equal(log_sink_dropped_count(&s), 2);
	/* No piece of a dropped message reached the pipe. */
	size_t r = drain(p[0], got, sizeof(got));
	assert_true(r >= sizeof(msg));
	assert_memory_equal(got, msg, sizeof(msg));
	for (size_t i = sizeof(msg); i < r; i++)
		assert_int_equal(got[i], '\n');
	log_sink_close(&s);
	close(p[0]);
	close(p[1]);
}

static void test_log_buf_drops_and_counts_with_one_notice(void **state)
{
	static struct log_buf lb;
	static char got[1 << 20];
	struct log_sink s, notices;
	int p[2], q[2];
	char target[64];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	log_sink_init(&notices, q[1], false, "standard error", &notices);
	log_sink_init(&s, p[1], false, "access log", &notices);
	log_buf_init(&lb, &s);
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(target, sizeof(target), "/file-%05d", i);
		log_access(&lb, 1700000000, "127.0.0.1", "GET", 3, target, (size_t)n, 1, 1, 200, 12);
	}
	log_flush(&lb);
	uint64_t dropped = log_sink_dropped_count(&s);
	assert_true(dropped > 0);
	/* Every line is either in the pipe, in the buffer, or counted. */
	size_t r = drain(p[0], got, sizeof(got));
	uint64_t lines = 0;
	for (size_t i = 0; i < r; i++)
		lines += got[i] == '\n';
	for (size_t i = 0; i < lb.len; i++)
		lines += lb.data[i] == '\n';
	assert_int_equal(lines + dropped, 20000);
	assert_int_equal(got[r - 1], '\n');
	/* One notice, however many lines were dropped. */
	r = drain(q[0], got, sizeof(got));
	got[r] = '\0';
	assert_non_null(strstr(got, "eisd: access log: the reader is not keeping up"));
	assert_int_equal(strchr(got, '\n') - got + 1, (long)r);
	/* At exit nothing waits for a reader that never comes. */
	for (int i = 0; i < 400; i++)
		log_access(&lb, 1700000000, "127.0.0.1", "GET", 3, "/x", 2, 1, 1, 200, 1);
	while (log_sink_write(&s, "\n", 1) > 0)
		;
	log_flush_final(&lb, 50);
	assert_int_equal(lb.len, 0);
	assert_true(log_sink_dropped_count(&s) >= dropped + 400);
	log_sink_close(&s);
	log_sink_close(&notices);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

/* The three --log-format shapes of one request, and of one that did not
 * parse; every field bounded and escaped. */
static void test_log_formats(void **state)
{
	static struct log_buf lb;
	static const char *const want[] = {
		"127.0.0.1 - - [14/Nov/2023:22:13:20 +0000] \"GET /a\\x22b HTTP/1.1\" 200 12\n"
		"127.0.0.1 - - [14/Nov/2023:22:13:20 +0000] \"-\" 400 0\n",
		"127.0.0.1 - - [14/Nov/2023:22:13:20 +0000] \"GET /a\\x22b HTTP/1.1\" 200 12"
		" \"http://r/\" \"UA \\x22q\\x22\\x0a\"\n"
		"127.0.0.1 - - [14/Nov/2023:22:13:20 +0000] \"-\" 400 0 \"-\" \"-\"\n",
		"{\"time\":\"2023-11-14T22:13:20Z\",\"client\":\"127.0.0.1\",\"method\":\"GET\","
		"\"target\":\"/a\\\"b\",\"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes\":12,"
		"\"referer\":\"http://r/\",\"user_agent\":\"UA \\\"q\\\"\\n\"}\n"
		"{\"time\":\"2023-11-14T22:13:20Z\",\"client\":\"127.0.0.1\",\"method\":null,"
		"\"target\":null,\"protocol\":null,\"status\":400,\"bytes\":0,"
		"\"referer\":null,\"user_agent\":null}\n",
	};
	struct log_request rq = {
		.method = "GET", .method_len = 3, .target = "/a\"b", .target_len = 4,
		.version_major = 1, .version_minor = 1, .referer = "http://r/", .referer_len = 9,
		.user_agent = "UA \"q\"\n", .user_agent_len = 7,
	};
	struct log_sink s;
	int p[2];

	(void)state;
	for (int f = LOG_FORMAT_COMMON; f <= LOG_FORMAT_JSON; f++) {
		char got[4096];
		ssize_t n;

		assert_int_equal(pipe(p), 0);
		log_sink_init(&s, p[1], false, "access log", NULL);
		log_buf_init(&lb, &s);
		lb.format = (enum log_format)f;
		log_request_line(&lb, 1700000000, "127.0.0.1", &rq, 200, 12);
		log_request_line(&lb, 1700000000, "127.0.0.1", NULL, 400, 0);
		log_flush(&lb);
		n = read(p[0], got, sizeof(got) - 1);
		assert_true(n > 0);
		got[n] = '\0';
		assert_string_equal(got, want[f]);
		log_sink_close(&s);
		close(p[0]);
		close(p[1]);
	}
}

static void test_socket_and_file(void **state)
{
	static char buf[1 << 16];
	struct log_sink s;
	char path[] = "/tmp/eisd-log-sink-XXXXXX";
	int sv[2], fd;
	size_t total = 0, n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	log_sink_init(&s, sv[0], false, "access log", NULL);
	assert_int_equal(s.how, LOG_SINK_SOCKET);
	memset(buf, '\n', sizeof(buf));
	while ((n = log_sink_write(&s, buf, sizeof(buf))) > 0 && total < (64u << 20))
		total += n;
	assert_true(total < (64u << 20)); /* it filled, and did not block */
	assert_int_equal(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
	log_sink_close(&s);
	close(sv[0]);
	close(sv[1]);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	log_sink_init(&s, fd, false, "access log", NULL);
	assert_int_equal(s.how, LOG_SINK_PLAIN);
	assert_int_equal(log_sink_write(&s, "a\nb\n", 4), 4);
	log_sink_close(&s);
	close(fd);

	log_sink_init(&s, -1, false, "access log", NULL);
	assert_int_equal(s.how, LOG_SINK_OFF);
	assert_int_equal(log_sink_write(&s, "a\n", 2), 0);
	assert_false(log_sink_message(&s, "a\n", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe_is_reopened_and_the_shared_fd_stays_blocking),
		cmocka_unit_test(test_full_pipe_takes_whole_lines_only),
		cmocka_unit_test(test_message_whole_or_dropped),
		cmocka_unit_test(test_log_buf_drops_and_counts_with_one_notice),
		cmocka_unit_test(test_socket_and_file),
		cmocka_unit_test(test_log_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
