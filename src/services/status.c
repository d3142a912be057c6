/* The status report: gather a snapshot, render it, serve it. */
#include "services/status.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conn.h"
#include "http/http_resp.h"
#include "core/proto.h"
#include "core/ctx.h"
#include "core/stats.h"

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

static void copy_client(void *arg, const struct conn *c)
{
	struct status_snapshot *s = arg;
	struct status_client *out = &s->clients[s->nclients++];

	memcpy(out->addr, c->peer_addr, sizeof(out->addr));
	out->addr[sizeof(out->addr) - 1] = '\0';
	out->port = peer_port(&c->peer);
	out->connected_at = c->connected_at;
}

int status_gather(const struct server *srv, time_t now, struct status_snapshot *s)
{
	struct stats_totals t;

	memset(s, 0, sizeof(*s));
	/* Allocated before any lock is taken: the locks cover copying only. */
	s->clients = malloc(STATUS_MAX_CLIENTS * sizeof(*s->clients));
	if (!s->clients)
		return -1;
	stats_gather(srv, &t, STATUS_MAX_CLIENTS, copy_client, s);
	s->protocol = t.protocol;
	s->running = t.running;
	snprintf(s->listen, sizeof(s->listen), "%s", t.listen);
	s->port = t.port;
	s->threads = t.threads;
	s->started = t.started;
	s->now = now;
	s->connections = t.connections;
	s->peak_connections = t.peak_connections;
	s->requests = t.requests;
	s->bytes_sent = t.bytes_sent;
	s->accepted = t.accepted;
	memcpy(s->responses, t.responses, sizeof(s->responses));
	s->client_count = t.client_count;
	return 0;
}

void status_snapshot_free(struct status_snapshot *s)
{
	free(s->clients);
	s->clients = NULL;
	s->nclients = 0;
}

/* ---- text building ---- */

static bool buf_grow(struct status_buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->len + more < b->cap)
		return true;
	cap = b->cap ? b->cap : 1024;
	while (cap <= b->len + more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void buf_put(struct status_buf *b, const char *s, size_t len)
{
	if (!buf_grow(b, len))
		return;
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

#define BUF_LIT(b, lit) buf_put((b), (lit), sizeof(lit) - 1)

void status_buf_printf(struct status_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (!buf_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void status_json_string(struct status_buf *b, const char *s, size_t len)
{
	BUF_LIT(b, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		size_t run = i;

		/* Copy runs of plain bytes in one go. */
		while (run < len && (unsigned char)s[run] >= 0x20 && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			buf_put(b, s + i, run - i);
			i = run - 1;
			continue;
		}
		switch (ch) {
		case '"':  BUF_LIT(b, "\\\""); break;
		case '\\': BUF_LIT(b, "\\\\"); break;
		case '\n': BUF_LIT(b, "\\n"); break;
		case '\r': BUF_LIT(b, "\\r"); break;
		case '\t': BUF_LIT(b, "\\t"); break;
		case '\b': BUF_LIT(b, "\\b"); break;
		case '\f': BUF_LIT(b, "\\f"); break;
		default:   status_buf_printf(b, "\\u%04x", ch); break;
		}
	}
	BUF_LIT(b, "\"");
}

void status_html_text(struct status_buf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':  BUF_LIT(b, "&amp;"); break;
		case '<':  BUF_LIT(b, "&lt;"); break;
		case '>':  BUF_LIT(b, "&gt;"); break;
		case '"':  BUF_LIT(b, "&quot;"); break;
		case '\'': BUF_LIT(b, "&#39;"); break;
		default:   buf_put(b, s + i, 1); break;
		}
	}
}

static void html_str(struct status_buf *b, const char *s)
{
	status_html_text(b, s, strlen(s));
}

static void json_str(struct status_buf *b, const char *s)
{
	status_json_string(b, s, strlen(s));
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

static char *buf_finish(struct status_buf *b, size_t *len)
{
	if (b->failed) {
		free(b->p);
		return NULL;
	}
	*len = b->len;
	return b->p;
}

/* ---- JSON ---- */

char *status_render_json(const struct status_snapshot *s, size_t *len)
{
	struct status_buf b = { 0 };
	char when[32];

	BUF_LIT(&b, "{\"running\":");
	status_buf_printf(&b, "%s", s->running ? "true" : "false");
	BUF_LIT(&b, ",\"protocol\":");
	json_str(&b, s->protocol);
	BUF_LIT(&b, ",\"address\":");
	json_str(&b, s->listen);
	iso_time(s->started, when);
	status_buf_printf(&b, ",\"port\":%d,\"threads\":%d,\"started_at\":", s->port, s->threads);
	json_str(&b, when);
	status_buf_printf(&b,
			  ",\"uptime\":%lld,\"requests\":%llu,\"bytes_sent\":%llu,"
			  "\"responses\":{\"1xx\":%llu,\"2xx\":%llu,\"3xx\":%llu,\"4xx\":%llu,"
			  "\"5xx\":%llu},\"connections\":%ld,\"peak_connections\":%ld,"
			  "\"accepted\":%llu,\"client_count\":%zu,\"clients_truncated\":%s,"
			  "\"clients\":[",
			  seconds_between(s->started, s->now), (unsigned long long)s->requests,
			  (unsigned long long)s->bytes_sent, (unsigned long long)s->responses[1],
			  (unsigned long long)s->responses[2], (unsigned long long)s->responses[3],
			  (unsigned long long)s->responses[4], (unsigned long long)s->responses[5],
			  s->connections, s->peak_connections, (unsigned long long)s->accepted,
			  s->client_count, s->nclients < s->client_count ? "true" : "false");
	for (size_t i = 0; i < s->nclients; i++) {
		const struct status_client *c = &s->clients[i];

		iso_time(c->connected_at, when);
		status_buf_printf(&b, "%s{\"address\":", i ? "," : "");
		json_str(&b, c->addr);
		status_buf_printf(&b, ",\"port\":%d,\"connected_at\":", c->port);
		json_str(&b, when);
		status_buf_printf(&b, ",\"uptime\":%lld}", seconds_between(c->connected_at, s->now));
	}
	BUF_LIT(&b, "]}\n");
	return buf_finish(&b, len);
}

/* ---- HTML ---- */

static void html_duration(struct status_buf *b, long long sec)
{
	long long d = sec / 86400, h = sec / 3600 % 24, m = sec / 60 % 60, s = sec % 60;

	if (d)
		status_buf_printf(b, "%lldd %02lld:%02lld:%02lld", d, h, m, s);
	else
		status_buf_printf(b, "%02lld:%02lld:%02lld", h, m, s);
}

static void html_row_start(struct status_buf *b, const char *label)
{
	BUF_LIT(b, "<tr><th scope=\"row\">");
	html_str(b, label);
	BUF_LIT(b, "</th><td>");
}

static void html_row_text(struct status_buf *b, const char *label, const char *value)
{
	html_row_start(b, label);
	html_str(b, value);
	BUF_LIT(b, "</td></tr>\n");
}

static void html_row_num(struct status_buf *b, const char *label, unsigned long long v)
{
	html_row_start(b, label);
	status_buf_printf(b, "%llu</td></tr>\n", v);
}

char *status_render_html(const struct status_snapshot *s, size_t *len)
{
	struct status_buf b = { 0 };
	char when[32];
	char num[32];

	status_buf_printf(&b,
			  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
			  "<meta http-equiv=\"refresh\" content=\"%d\">\n"
			  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			  "<title>eisd status</title>\n<style>\n"
			  "body{font:15px/1.4 system-ui,sans-serif;margin:2em;color:#222;background:#fafafa}\n"
			  "table{border-collapse:collapse;margin:0 0 1.5em}\n"
			  "th,td{border:1px solid #ccc;padding:.3em .8em;text-align:left}\n"
			  "th{background:#e8eef7}\ntd.n{text-align:right}\n"
			  "caption{text-align:left;font-weight:bold;padding:.3em 0}\n"
			  ".up{color:#080;font-weight:bold}.down{color:#b00;font-weight:bold}\n"
			  "</style></head><body>\n<h1>eisd status</h1>\n",
			  HTML_REFRESH_SEC);
	BUF_LIT(&b, "<table id=\"server\">\n<caption>Server</caption>\n");
	html_row_start(&b, "Running");
	status_buf_printf(&b, "%s", s->running ? "<span class=\"up\">yes</span>"
					       : "<span class=\"down\">no (stopping)</span>");
	BUF_LIT(&b, "</td></tr>\n");
	html_row_text(&b, "Protocol", s->protocol);
	html_row_text(&b, "Address", s->listen);
	html_row_num(&b, "Port", (unsigned long long)s->port);
	html_row_num(&b, "Threads", (unsigned long long)s->threads);
	iso_time(s->started, when);
	html_row_text(&b, "Started", when);
	html_row_start(&b, "Uptime");
	html_duration(&b, seconds_between(s->started, s->now));
	BUF_LIT(&b, "</td></tr>\n");
	html_row_num(&b, "Connected clients", s->client_count);
	html_row_num(&b, "Open connections", (unsigned long long)s->connections);
	html_row_num(&b, "Peak connections", (unsigned long long)s->peak_connections);
	html_row_num(&b, "Connections accepted", s->accepted);
	html_row_num(&b, "Requests served", s->requests);
	html_row_num(&b, "Bytes sent", s->bytes_sent);
	for (int k = 1; k <= 5; k++) {
		snprintf(num, sizeof(num), "Responses %dxx", k);
		html_row_num(&b, num, s->responses[k]);
	}
	BUF_LIT(&b, "</table>\n");

	status_buf_printf(&b, "<table id=\"clients\">\n<caption>Clients (%zu", s->client_count);
	if (s->nclients < s->client_count)
		status_buf_printf(&b, ", first %zu shown", s->nclients);
	BUF_LIT(&b, ")</caption>\n<thead><tr><th>Address</th><th>Port</th>"
		    "<th>Connected at (UTC)</th><th>Uptime</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < s->nclients; i++) {
		const struct status_client *c = &s->clients[i];

		iso_time(c->connected_at, when);
		BUF_LIT(&b, "<tr><td>");
		html_str(&b, c->addr);
		status_buf_printf(&b, "</td><td class=\"n\">%d</td><td>", c->port);
		html_str(&b, when);
		BUF_LIT(&b, "</td><td class=\"n\">");
		html_duration(&b, seconds_between(c->connected_at, s->now));
		BUF_LIT(&b, "</td></tr>\n");
	}
	status_buf_printf(&b, "</tbody></table>\n<p>Generated ");
	iso_time(s->now, when);
	html_str(&b, when);
	status_buf_printf(&b, "; this page reloads every %d seconds. "
			      "<a href=\"?format=json\">JSON</a></p>\n</body></html>\n",
			  HTML_REFRESH_SEC);
	return buf_finish(&b, len);
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

static bool lower_eq(const char *p, size_t len, const char *lit)
{
	struct http_str s = { p, len };
	return http_str_eq_nocase(s, lit);
}

static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* q=0 (0, 0., 0.0, 0.00, 0.000) means "not acceptable" (RFC 9110 §12.4.2). */
static bool q_is_zero(const char *p, size_t len)
{
	if (len == 0 || p[0] != '0')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(i == 1 && p[i] == '.') && p[i] != '0')
			return false;
	return true;
}

/* One Accept element, "type/sub;param=value;q=0.5", trimmed. */
static bool element_is_json(const char *p, size_t len)
{
	size_t semi = 0, end;

	while (semi < len && p[semi] != ';')
		semi++;
	end = semi;
	while (end > 0 && is_ows(p[end - 1]))
		end--;
	if (!lower_eq(p, end, "application/json"))
		return false;
	/* Look for a q parameter among the rest. */
	while (semi < len) {
		size_t start = semi + 1, stop = start;
		while (stop < len && p[stop] != ';')
			stop++;
		while (start < stop && is_ows(p[start]))
			start++;
		size_t tail = stop;
		while (tail > start && is_ows(p[tail - 1]))
			tail--;
		if (tail - start >= 2 && (p[start] == 'q' || p[start] == 'Q') && p[start + 1] == '=')
			return !q_is_zero(p + start + 2, tail - start - 2);
		semi = stop;
	}
	return true;
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
	for (i = 0; accept.p && i < accept.len;) {
		size_t start, stop;
		while (i < accept.len && (is_ows(accept.p[i]) || accept.p[i] == ','))
			i++;
		start = i;
		while (i < accept.len && accept.p[i] != ',')
			i++;
		stop = i;
		while (stop > start && is_ows(accept.p[stop - 1]))
			stop--;
		if (stop > start && element_is_json(accept.p + start, stop - start))
			return true;
	}
	return false;
}

/* ---- HTTP ---- */

bool status_is_request(const struct http_exchange *x)
{
	const char *path = x->ctx->cfg->status_path;
	const struct http_request *req = x->req;

	return path && (req->method == HTTP_METHOD_GET || req->method == HTTP_METHOD_HEAD) &&
	       req->path.len == strlen(path) && memcmp(req->path.p, path, req->path.len) == 0;
}

int status_serve(struct http_exchange *x)
{
	struct conn *c = x->c;
	const struct http_request *req = x->req;
	struct status_snapshot snap;
	bool json;
	size_t len = 0;
	char *body;
	int rc;

	/* 404, not 403: a refused client learns nothing, not even that the
	 * report exists. */
	if (!x->ctx->cfg->status_public &&
	    !status_addr_is_loopback(&c->peer.sa))
		return http_resp_error(x, 404, NULL);

	if (status_gather(x->ctx->srv, x->ctx->now, &snap))
		return -1;
	json = status_wants_json(req->accept, req->query);
	body = json ? status_render_json(&snap, &len) : status_render_html(&snap, &len);
	status_snapshot_free(&snap);
	if (!body)
		return -1;
	rc = http_resp_start(x, 200);
	rc |= conn_out_printf(c, "Cache-Control: no-store\r\nVary: Accept\r\n");
	rc |= http_resp_end(x, json ? "application/json" : "text/html; charset=utf-8", len);
	if (!x->head) {
		rc |= conn_out_bytes(c, body, len);
		x->body_bytes = len;
	}
	free(body);
	return rc;
}
