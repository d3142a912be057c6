/* Unit tests for src/services/status.c: who may see the report (the loopback
 * check), which form it takes (JSON or HTML), and rendering a snapshot
 * built by hand. The escapers are tested in test_escape.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "services/status.h"

/* ---- status_addr_is_loopback ---- */

struct addr_case {
	const char *addr;
	bool loopback;
};

static const struct addr_case addr_cases[] = {
	{ "127.0.0.1", true },
	{ "127.1.2.3", true },
	{ "127.255.255.254", true },
	{ "::1", true },
	{ "::ffff:127.0.0.1", true },
	{ "::ffff:127.9.8.7", true },
	{ "10.0.0.1", false },
	{ "0.0.0.0", false },
	{ "128.0.0.1", false },
	{ "126.255.255.255", false },
	{ "192.168.1.1", false },
	{ "::ffff:10.0.0.1", false },
	{ "::ffff:128.0.0.1", false },
	{ "::", false },
	{ "::2", false },
	{ "2001:db8::1", false },
	{ "fe80::1", false },
	{ "::127.0.0.1", false },        /* IPv4-compatible (deprecated), not mapped */
	{ "::ffff:0:127.0.0.1", false }, /* IPv4-translated, not mapped */
	{ "64:ff9b::127.0.0.1", false }, /* NAT64: a remote host */
};

static bool check_addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(80);
		assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(80);
		assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
	}
	return status_addr_is_loopback((const struct sockaddr *)&ss);
}

static void test_loopback_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		bool got = check_addr(addr_cases[i].addr);
		if (got != addr_cases[i].loopback)
			fail_msg("%s: loopback=%d, want %d", addr_cases[i].addr, got,
				 addr_cases[i].loopback);
	}
}

static void test_loopback_other_family(void **state)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	(void)state;
	assert_false(status_addr_is_loopback((const struct sockaddr *)&un));
}

/* ---- status_wants_json ---- */

struct form_case {
	const char *accept; /* NULL: no Accept header */
	const char *query;  /* NULL: no '?' */
	bool json;
};

static const struct form_case form_cases[] = {
	{ NULL, NULL, false },
	{ NULL, "format=json", true },
	{ NULL, "a=1&format=json", true },
	{ NULL, "format=json&b=2", true },
	{ NULL, "format=jsonx", false },
	{ NULL, "xformat=json", false },
	{ NULL, "format=html", false },
	{ NULL, "", false },
	{ "application/json", NULL, true },
	{ "APPLICATION/JSON", NULL, true },
	/* negotiate.c's rule, as for listings: HTML is preferred here. */
	{ "text/html, application/json;q=0.9", NULL, false },
	{ "text/html;q=0.5, application/json", NULL, true },
	{ "application/json ; charset=utf-8", NULL, true },
	{ "application/json;q=0", NULL, false },
	{ "application/json; q=0.000", NULL, false },
	{ "application/json;Q=0.0", NULL, false },
	{ "application/json;q=0.001", NULL, true },
	{ "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", NULL, false },
	{ "application/jsonx", NULL, false },
	{ "application/json-seq", NULL, false },
	{ "*/*", NULL, false },
	{ "", NULL, false },
	{ ",,  ,application/json", NULL, true },
	{ "application/json", "format=html", false }, /* the query wins */
	{ "text/html", "format=json", true },
};

static struct http_str str_of(const char *s)
{
	struct http_str h = { s, s ? strlen(s) : 0 };
	return h;
}

static void test_wants_json_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(form_cases) / sizeof(form_cases[0]); i++) {
		const struct form_case *fc = &form_cases[i];
		bool got = status_wants_json(str_of(fc->accept), str_of(fc->query));
		if (got != fc->json)
			fail_msg("Accept %s, query %s: json=%d, want %d",
				 fc->accept ? fc->accept : "(none)", fc->query ? fc->query : "(none)",
				 got, fc->json);
	}
}

/* ---- rendering a snapshot ---- */

/* A snapshot built by hand, with two clients of its own. */
struct fixture {
	struct status_snapshot s;
	struct status_client clients[2];
};

static struct status_snapshot *fill_snapshot(struct fixture *fx)
{
	struct status_snapshot *s = &fx->s;
	struct status_client *clients = fx->clients;

	memset(fx, 0, sizeof(*fx));
	s->totals.protocol = "http";
	s->totals.running = true;
	s->totals.listen = "127.0.0.1:8080";
	s->totals.port = 8080;
	s->totals.threads = 4;
	s->totals.started = 1700000000; /* 2023-11-14T22:13:20Z */
	s->now = 1700000000 + 3723;     /* 1 h 2 min 3 s later */
	s->totals.requests = 42;
	s->totals.bytes_sent = 123456789012ULL;
	s->totals.accepted = 7;
	s->totals.responses[2] = 40;
	s->totals.responses[4] = 2;
	s->totals.connections = 2;
	s->totals.peak_connections = 5;
	s->totals.log_dropped = 11;
	s->totals.err_dropped = 3;
	s->totals.client_count = 2;
	s->nclients = 2;
	s->clients = clients;
	snprintf(clients[0].addr, sizeof(clients[0].addr), "127.0.0.1");
	clients[0].port = 40000;
	clients[0].connected_at = 1700000000 + 3700;
	clients[0].state = "idle";
	clients[0].requests = 3;
	snprintf(clients[1].addr, sizeof(clients[1].addr), "<b>&\"x\"");
	clients[1].port = 40001;
	clients[1].connected_at = 1700000000 + 3723;
	clients[1].state = "reading";
	clients[1].requests = 0;
	return s;
}

typedef char *render_fn(const struct status_snapshot *s, size_t *len);

/* render(s), which must be one string of the length it reports. */
static char *rendered(render_fn *render, const struct status_snapshot *s)
{
	size_t len = 0;
	char *text = render(s, &len);

	assert_non_null(text);
	assert_int_equal(len, strlen(text));
	return text;
}

static void test_render_json(void **state)
{
	struct fixture fx;
	char *json;

	(void)state;
	json = rendered(status_render_json, fill_snapshot(&fx));
	assert_string_equal(json,
		"{\"running\":true,\"protocol\":\"http\",\"address\":\"127.0.0.1:8080\","
		"\"port\":8080,\"threads\":4,\"started_at\":\"2023-11-14T22:13:20Z\","
		"\"uptime\":3723,\"requests\":42,\"bytes_sent\":123456789012,"
		"\"responses\":{\"1xx\":0,\"2xx\":40,\"3xx\":0,\"4xx\":2,\"5xx\":0},"
		"\"connections\":2,\"peak_connections\":5,\"accepted\":7,"
		"\"log_lines_dropped\":11,\"stderr_messages_dropped\":3,"
		"\"clients\":2,\"client_list_truncated\":false,\"client_list\":["
		"{\"address\":\"127.0.0.1\",\"port\":40000,\"connected_at\":\"2023-11-14T23:15:00Z\",\"uptime\":23,"
		"\"state\":\"idle\",\"requests\":3},"
		"{\"address\":\"<b>&\\\"x\\\"\",\"port\":40001,\"connected_at\":\"2023-11-14T23:15:23Z\",\"uptime\":0,"
		"\"state\":\"reading\",\"requests\":0}"
		"]}\n");
	free(json);
}

static void test_render_json_truncated_and_stopping(void **state)
{
	struct fixture fx;
	struct status_snapshot *s = fill_snapshot(&fx);
	char *json;

	(void)state;
	s->totals.running = false;
	s->totals.client_count = 5000;
	s->nclients = 0;
	json = rendered(status_render_json, s);
	assert_non_null(strstr(json, "{\"running\":false,"));
	assert_non_null(strstr(json, "\"clients\":5000,\"client_list_truncated\":true,\"client_list\":[]}"));
	free(json);
}

static void test_render_html(void **state)
{
	struct fixture fx;
	char *html;

	(void)state;
	html = rendered(status_render_html, fill_snapshot(&fx));
	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_non_null(strstr(html, "<meta http-equiv=\"refresh\" content=\"5\">"));
	assert_non_null(strstr(html, "<table id=\"server\">"));
	assert_non_null(strstr(html, "<table id=\"clients\">"));
	assert_non_null(strstr(html, "<th scope=\"row\">Requests served</th><td>42</td>"));
	/* 123456789012 bytes = 114.978 GiB */
	assert_non_null(strstr(html, "<th scope=\"row\">Bytes sent</th>"
				     "<td title=\"123456789012 bytes\">115.0 GiB</td>"));
	assert_non_null(strstr(html, "<th scope=\"row\">Uptime</th><td>01:02:03</td>"));
	assert_non_null(strstr(html, "<th scope=\"row\">Responses 4xx</th><td>2</td>"));
	assert_non_null(strstr(html, "<td>127.0.0.1</td><td class=\"n\">40000</td>"
				     "<td>idle</td><td class=\"n\">3</td>"
				     "<td class=\"n\" title=\"since 2023-11-14T23:15:00Z UTC\">00:00:23</td>"));
	/* Everything from outside is escaped. */
	assert_non_null(strstr(html, "<td>&lt;b&gt;&amp;&quot;x&quot;</td>"));
	assert_null(strstr(html, "<b>&"));
	assert_non_null(strstr(html, "</html>\n"));
	free(html);
}

/* The byte counts the page shows, at the unit edges. */
static void test_human_bytes(void **state)
{
	static const struct {
		uint64_t v;
		const char *want;
	} cases[] = {
		{ 0, ">0 B<" },
		{ 1023, ">1023 B<" },
		{ 1024, ">1.0 KiB<" },
		{ 1536, ">1.5 KiB<" },
		{ 1048575, ">1024.0 KiB<" },
		{ 1048576, ">1.0 MiB<" },
		{ 10 * 1048576 + 104858, ">10.1 MiB<" },
		{ 1ULL << 40, ">1.0 TiB<" },
		{ UINT64_MAX, ">16.0 EiB<" },
	};
	struct fixture fx;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct status_snapshot *s = fill_snapshot(&fx);
		char *html;

		s->totals.bytes_sent = cases[i].v;
		html = rendered(status_render_html, s);
		if (!strstr(html, cases[i].want))
			fail_msg("%llu: no %s", (unsigned long long)cases[i].v, cases[i].want);
		free(html);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_table),
		cmocka_unit_test(test_loopback_other_family),
		cmocka_unit_test(test_wants_json_table),
		cmocka_unit_test(test_render_json),
		cmocka_unit_test(test_render_json_truncated_and_stopping),
		cmocka_unit_test(test_render_html),
		cmocka_unit_test(test_human_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
