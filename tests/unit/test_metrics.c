/* Unit tests for the metrics text (src/services/metrics.c) and the
 * duration histogram's bucketing (src/core/stats.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/stats.h"
#include "http/http_parse.h"
#include "services/metrics.h"

static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("missing line: %s", line);
}

static void test_buckets(void **state)
{
	static struct stats st;

	stats_observe_duration(&st, 0);
	stats_observe_duration(&st, 25);       /* on a bound: that bucket */
	stats_observe_duration(&st, 26);
	stats_observe_duration(&st, 10000000);
	stats_observe_duration(&st, 10000001); /* above all: +Inf */
	assert_int_equal(st.duration[0], 2);
	assert_int_equal(st.duration[1], 1);
	assert_int_equal(st.duration[STATS_DURATION_BUCKETS - 1], 1);
	assert_int_equal(st.duration[STATS_DURATION_BUCKETS], 1);
	assert_int_equal(st.duration_sum_us, 20000052);
	for (unsigned i = 1; i < STATS_DURATION_BUCKETS; i++)
		assert_true(stats_duration_bounds_us[i] > stats_duration_bounds_us[i - 1]);
}

static void test_render(void **state)
{
	struct metrics_snapshot *m = calloc(1, sizeof(*m));
	size_t len;
	char *text;

	assert_non_null(m);
	m->version = "9.9.9";
	m->started = 1700000000;
	m->by_method[1 + HTTP_METHOD_GET][2] = 7;
	m->by_method[1 + HTTP_METHOD_HEAD][4] = 2;
	m->by_method[0][4] = 1;
	m->duration[0] = 3;
	m->duration[2] = 1;
	m->duration[STATS_DURATION_BUCKETS] = 1;
	m->duration_sum_us = 12000345;
	m->bytes_sent = 12345;
	m->connections_open = 4;
	m->refused = 5;
	m->timed_out[2] = 6;
	m->nworkers = 2;
	m->workers[1].connections = 4;
	m->workers[1].requests = 10;
	text = metrics_render(m, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	has_line(text, "# TYPE eisd_http_requests_total counter");
	has_line(text, "eisd_http_requests_total{method=\"GET\",code=\"2xx\"} 7");
	has_line(text, "eisd_http_requests_total{method=\"HEAD\",code=\"4xx\"} 2");
	has_line(text, "eisd_http_requests_total{method=\"invalid\",code=\"4xx\"} 1");
	assert_null(strstr(text, "method=\"POST\"")); /* zero: not shown */
	has_line(text, "eisd_sent_bytes_total 12345");
	has_line(text, "# TYPE eisd_http_request_duration_seconds histogram");
	has_line(text, "eisd_http_request_duration_seconds_bucket{le=\"0.000025\"} 3");
	has_line(text, "eisd_http_request_duration_seconds_bucket{le=\"0.000100\"} 3");
	has_line(text, "eisd_http_request_duration_seconds_bucket{le=\"0.000500\"} 4");
	has_line(text, "eisd_http_request_duration_seconds_bucket{le=\"10.000000\"} 4");
	has_line(text, "eisd_http_request_duration_seconds_bucket{le=\"+Inf\"} 5");
	has_line(text, "eisd_http_request_duration_seconds_sum 12.000345");
	has_line(text, "eisd_http_request_duration_seconds_count 5");
	has_line(text, "eisd_connections_open 4");
	has_line(text, "eisd_connections_refused_total{reason=\"capacity\"} 5");
	has_line(text, "eisd_connections_timed_out_total{deadline=\"send\"} 6");
	has_line(text, "eisd_worker_connections{worker=\"0\"} 0");
	has_line(text, "eisd_worker_connections{worker=\"1\"} 4");
	has_line(text, "eisd_worker_requests_total{worker=\"1\"} 10");
	has_line(text, "eisd_build_info{version=\"9.9.9\"} 1");
	has_line(text, "eisd_start_time_seconds 1700000000");
	assert_int_equal(text[len - 1], '\n');
	free(text);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_render),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
