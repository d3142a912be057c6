/* The status report: gather a snapshot, render it, serve it. */
#include "services/status.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conn.h"
#include "core/proto.h"
#include "core/ctx.h"
#include "core/stats.h"
#include "http/handler.h"
#include "http/negotiate.h"
#include "services/endpoint.h"
#include "util/bytes.h"
#include "util/escape.h"

#define HTML_REFRESH_SEC 5

/* ---- gathering ---- */

static int peer_port(const union conn_addr *a)
{
	if (a->sa.sa_family == AF_INET)
		return ntohs(a->in.sin_port);
	if (a->sa.sa_family == AF_INET6)
		return ntohs(a->in6.sin6_port);
	return 0;
}

/* What the connection is doing, in a word. */
static const char *client_state(const struct conn *c)
{
	if (c->proxy_wait)
		return "proxy header";
	switch (c->state) {
	case CONN_WRITING:
		return "sending";
	case CONN_LINGER:
		return "closing";
	case CONN_READING:
		break;
	}
	/* Between requests (keep-alive) or in one (a head, or a body being
	 * skipped, is on its way). */
	return c->timer == TIMER_IDLE ? "idle" : "reading";
}

static void copy_client(void *arg, const struct conn *c)
{
	struct status_snapshot *s = arg;
	struct status_client *out = &s->clients[s->nclients++];

	memcpy(out->addr, c->peer_addr, sizeof(out->addr));
	out->addr[sizeof(out->addr) - 1] = '\0';
	out->port = peer_port(&c->peer);
	out->connected_at = c->connected_at;
	out->state = client_state(c);
	out->requests = c->requests;
}

int status_gather(const struct server *srv, time_t now, struct status_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	/* Allocated before any lock is taken: the locks cover copying only. */
	s->clients = malloc(STATUS_MAX_CLIENTS * sizeof(*s->clients));
	if (!s->clients)
		return -1;
	stats_gather(srv, &s->totals, STATUS_MAX_CLIENTS, copy_client, s);
	s->now = now;
	return 0;
}

void status_snapshot_free(struct status_snapshot *s)
{
	free(s->clients);
	s->clients = NULL;
	s->nclients = 0;
}

/* ---- text building ---- */

static void html_str(struct bytes *b, const char *s)
{
	escape_html(b, s, strlen(s));
}

/* s as a JSON string, quotes included. */
static void json_str(struct bytes *b, const char *s)
{
	bytes_char(b, '"');
	escape_json(b, s, strlen(s));
	bytes_char(b, '"');
}

/* "2026-01-02T03:04:05Z" */
static void iso_time(time_t t, char out[32])
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "-");
}

static long long seconds_between(time_t from, time_t to)
{
	return to > from ? (long long)(to - from) : 0;
}

/* ---- JSON ---- */

char *status_render_json(const struct status_snapshot *s, size_t *len)
{
	const struct stats_totals *t = &s->totals;
	struct bytes b;
	char when[32];

	bytes_init_heap(&b);
	BYTES_LIT(&b, "{\"running\":");
	bytes_printf(&b, "%s", t->running ? "true" : "false");
	BYTES_LIT(&b, ",\"protocol\":");
	json_str(&b, t->protocol);
	BYTES_LIT(&b, ",\"address\":");
	json_str(&b, t->listen);
	if (t->tls_body_path) {
		BYTES_LIT(&b, ",\"tls\":{\"body_path\":");
		json_str(&b, t->tls_body_path);
		bytes_printf(&b, ",\"handshakes\":%llu,\"resumed\":%llu,\"handshake_failures\":%llu}",
				  (unsigned long long)t->tls_handshakes,
				  (unsigned long long)t->tls_resumed,
				  (unsigned long long)t->tls_handshake_failures);
	}
	iso_time(t->started, when);
	bytes_printf(&b, ",\"port\":%d,\"threads\":%d,\"started_at\":", t->port, t->threads);
	json_str(&b, when);
	bytes_printf(&b,
			  ",\"uptime\":%lld,\"requests\":%llu,\"bytes_sent\":%llu,"
			  "\"responses\":{\"1xx\":%llu,\"2xx\":%llu,\"3xx\":%llu,\"4xx\":%llu,"
			  "\"5xx\":%llu},\"connections\":%ld,\"peak_connections\":%ld,"
			  "\"accepted\":%llu,\"log_lines_dropped\":%llu,"
			  "\"stderr_messages_dropped\":%llu,\"clients\":%zu,"
			  "\"client_list_truncated\":%s,\"client_list\":[",
			  seconds_between(t->started, s->now), (unsigned long long)t->requests,
			  (unsigned long long)t->bytes_sent, (unsigned long long)t->responses[1],
			  (unsigned long long)t->responses[2], (unsigned long long)t->responses[3],
			  (unsigned long long)t->responses[4], (unsigned long long)t->responses[5],
			  t->connections, t->peak_connections, (unsigned long long)t->accepted,
			  (unsigned long long)t->log_dropped, (unsigned long long)t->err_dropped,
			  t->client_count, s->nclients < t->client_count ? "true" : "false");
	for (size_t i = 0; i < s->nclients; i++) {
		const struct status_client *c = &s->clients[i];

		iso_time(c->connected_at, when);
		bytes_printf(&b, "%s{\"address\":", i ? "," : "");
		json_str(&b, c->addr);
		bytes_printf(&b, ",\"port\":%d,\"connected_at\":", c->port);
		json_str(&b, when);
		bytes_printf(&b, ",\"uptime\":%lld,\"state\":", seconds_between(c->connected_at, s->now));
		json_str(&b, c->state ? c->state : "-");
		bytes_printf(&b, ",\"requests\":%llu}", (unsigned long long)c->requests);
	}
	BYTES_LIT(&b, "]}\n");
	return bytes_steal(&b, len);
}

/* ---- HTML ---- */

static void html_duration(struct bytes *b, long long sec)
{
	long long d = sec / 86400, h = sec / 3600 % 24, m = sec / 60 % 60, s = sec % 60;

	if (d)
		bytes_printf(b, "%lldd %02lld:%02lld:%02lld", d, h, m, s);
	else
		bytes_printf(b, "%02lld:%02lld:%02lld", h, m, s);
}

/* "512 B", "1.5 KiB", "115.0 GiB": IEC units, one decimal from KiB on,
 * in integers only. */
static void human_bytes(struct bytes *b, uint64_t v)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	uint64_t div = 1024, whole, tenths;

	if (v < 1024) {
		bytes_printf(b, "%llu B", (unsigned long long)v);
		return;
	}
	while (u < 5 && v / div >= 1024) {
		div <<= 10;
		u++;
	}
	whole = v / div;
	tenths = ((v % div) * 10 + div / 2) / div; /* < 2^60 * 10: no overflow */
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	bytes_printf(b, "%llu.%llu %s", (unsigned long long)whole, (unsigned long long)tenths,
		     units[u]);
}

static void html_row_start(struct bytes *b, const char *label)
{
	BYTES_LIT(b, "<tr><th scope=\"row\">");
	html_str(b, label);
	BYTES_LIT(b, "</th><td>");
}

static void html_row_text(struct bytes *b, const char *label, const char *value)
{
	html_row_start(b, label);
	html_str(b, value);
	BYTES_LIT(b, "</td></tr>\n");
}

static void html_row_num(struct bytes *b, const char *label, unsigned long long v)
{
	html_row_start(b, label);
	bytes_printf(b, "%llu</td></tr>\n", v);
}

char *status_render_html(const struct status_snapshot *s, size_t *len)
{
	const struct stats_totals *t = &s->totals;
	struct bytes b;
	char when[32];
	char num[32];

	bytes_init_heap(&b);
	bytes_printf(&b,
			  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
			  "<meta http-equiv=\"refresh\" content=\"%d\">\n"
			  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			  "<title>eisd status</title>\n<style>\n"
			  "body{font:15px/1.4 system-ui,sans-serif;margin:2em;color:#222;background:#fafafa}\n"
			  "table{border-collapse:collapse;margin:0 0 1.5em}\n"
			  "th,td{border:1px solid #ccc;padding:.3em .8em;text-align:left}\n"
			  /* A phone (390 px and up) shows it all without
			   * scrolling sideways: less margin and padding, long
			   * IPv6 addresses wrap, and a clients table wider
			   * still scrolls inside its own box. */
			  "@media (max-width:600px){body{margin:.6em;font-size:14px}"
			  "th,td{padding:.25em .4em}h1{font-size:1.4em}}\n"
			  "td{overflow-wrap:anywhere}\n.wide{overflow-x:auto;max-width:100%%}\n"
			  "th{background:#e8eef7}\ntd.n{text-align:right}\n"
			  "caption{text-align:left;font-weight:bold;padding:.3em 0}\n"
			  ".up{color:#080;font-weight:bold}.down{color:#b00;font-weight:bold}\n"
			  "</style></head><body>\n<h1>eisd status</h1>\n",
			  HTML_REFRESH_SEC);
	BYTES_LIT(&b, "<table id=\"server\">\n<caption>Server</caption>\n");
	html_row_start(&b, "Running");
	bytes_printf(&b, "%s", t->running ? "<span class=\"up\">yes</span>"
					       : "<span class=\"down\">no (stopping)</span>");
	BYTES_LIT(&b, "</td></tr>\n");
	html_row_text(&b, "Protocol", t->protocol);
	html_row_text(&b, "Address", t->listen);
	html_row_num(&b, "Port", (unsigned long long)t->port);
	html_row_num(&b, "Threads", (unsigned long long)t->threads);
	if (t->tls_body_path) {
		html_row_text(&b, "TLS file bodies", t->tls_body_path);
		html_row_num(&b, "TLS handshakes", t->tls_handshakes);
		html_row_num(&b, "TLS sessions resumed", t->tls_resumed);
		html_row_num(&b, "TLS handshake failures", t->tls_handshake_failures);
	}
	iso_time(t->started, when);
	html_row_text(&b, "Started", when);
	html_row_start(&b, "Uptime");
	html_duration(&b, seconds_between(t->started, s->now));
	BYTES_LIT(&b, "</td></tr>\n");
	html_row_num(&b, "Connected clients", t->client_count);
	html_row_num(&b, "Open connections", (unsigned long long)t->connections);
	html_row_num(&b, "Peak connections", (unsigned long long)t->peak_connections);
	html_row_num(&b, "Connections accepted", t->accepted);
	html_row_num(&b, "Requests served", t->requests);
	/* Readable at a glance; the exact count on hover. */
	bytes_printf(&b, "<tr><th scope=\"row\">Bytes sent</th><td title=\"%llu bytes\">",
		     (unsigned long long)t->bytes_sent);
	human_bytes(&b, t->bytes_sent);
	BYTES_LIT(&b, "</td></tr>\n");
	for (int k = 1; k <= 5; k++) {
		snprintf(num, sizeof(num), "Responses %dxx", k);
		html_row_num(&b, num, t->responses[k]);
	}
	html_row_num(&b, "Access-log lines dropped", t->log_dropped);
	html_row_num(&b, "Stderr messages dropped", t->err_dropped);
	BYTES_LIT(&b, "</table>\n");

	bytes_printf(&b, "<div class=\"wide\"><table id=\"clients\">\n<caption>Clients (%zu",
		     t->client_count);
	if (s->nclients < t->client_count)
		bytes_printf(&b, ", first %zu shown", s->nclients);
	BYTES_LIT(&b, ")</caption>\n<thead><tr><th>Address</th><th>Port</th>"
		    "<th>State</th><th>Req.</th><th>Uptime</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < s->nclients; i++) {
		const struct status_client *c = &s->clients[i];

		iso_time(c->connected_at, when);
		BYTES_LIT(&b, "<tr><td>");
		html_str(&b, c->addr);
		bytes_printf(&b, "</td><td class=\"n\">%d</td><td>", c->port);
		html_str(&b, c->state ? c->state : "-");
		bytes_printf(&b, "</td><td class=\"n\">%llu</td><td class=\"n\" title=\"since ",
			     (unsigned long long)c->requests);
		html_str(&b, when);
		BYTES_LIT(&b, " UTC\">");
		html_duration(&b, seconds_between(c->connected_at, s->now));
		BYTES_LIT(&b, "</td></tr>\n");
	}
	bytes_printf(&b, "</tbody></table></div>\n<p>Generated ");
	iso_time(s->now, when);
	html_str(&b, when);
	bytes_printf(&b, "; this page reloads every %d seconds. "
			      "<a href=\"?format=json\">JSON</a></p>\n</body></html>\n",
			  HTML_REFRESH_SEC);
	return bytes_steal(&b, len);
}

/* ---- who may see it, and in which form ---- */

bool status_addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		/* A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d. */
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

bool status_wants_json(struct http_str accept, struct http_str query)
{
	size_t i = 0;

	/* The query wins: a link or a script says exactly what it wants. */
	while (query.p && i < query.len) {
		size_t start = i;
		while (i < query.len && query.p[i] != '&')
			i++;
		if (i - start == 11 && memcmp(query.p + start, "format=json", 11) == 0)
			return true;
		if (i - start == 11 && memcmp(query.p + start, "format=html", 11) == 0)
			return false;
		i++;
	}
	return negotiate_prefers_json(accept.p, accept.len);
}

/* ---- HTTP ---- */

bool status_is_request(const struct http_exchange *x)
{
	return endpoint_is_request(x, x->ctx->cfg->status_path);
}

int status_serve(struct http_exchange *x)
{
	const struct http_request *req = x->req;
	struct http_response *r = &x->resp;
	struct status_snapshot snap;
	bool json;
	size_t len = 0;
	char *body;

	/* 404, not 403: a refused client learns nothing, not even that the
	 * report exists. */
	if (!x->ctx->cfg->status_public &&
	    !status_addr_is_loopback(x->peer))
		return http_response_error(r, HTTP_NOT_FOUND);

	if (status_gather(x->ctx->srv, x->ctx->now, &snap))
		return -1;
	json = status_wants_json(req->accept, req->query);
	body = json ? status_render_json(&snap, &len) : status_render_html(&snap, &len);
	status_snapshot_free(&snap);
	if (!body || http_response_adopt(r, body) < 0)
		return -1;
	HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_CACHE_CONTROL, "no-store");
	HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_VARY, "Accept");
	r->content_type = json ? "application/json" : "text/html; charset=utf-8";
	http_response_body_owned(r, body, len);
	return r->failed ? -1 : 0;
}
