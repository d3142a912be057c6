/* Prometheus metrics (see metrics.h). Names follow the Prometheus naming
 * guide: a unit suffix (_seconds, _bytes), _total on counters. */
#include "services/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "http/handler.h"
#include "http/http_parse.h"
#include "services/endpoint.h"
#include "services/status.h"
#include "util/bytes.h"

static void add_worker(void *arg, const struct stats_worker *w)
{
	struct metrics_snapshot *m = arg;
	const struct stats *st = w->stats;
	struct metrics_worker *mw;

#define LOAD(field) atomic_load_explicit(&st->field, memory_order_relaxed)
	for (int i = 0; i < STATS_METHODS; i++)
		for (int k = 0; k < 6; k++)
			m->by_method[i][k] += LOAD(by_method[i][k]);
	for (int i = 0; i <= STATS_DURATION_BUCKETS; i++)
		m->duration[i] += LOAD(duration[i]);
	for (int i = 0; i < 4; i++)
		m->timed_out[i] += LOAD(timed_out[i]);
	m->duration_sum_us += LOAD(duration_sum_us);
	m->bytes_sent += LOAD(bytes_sent);
	m->accepted += LOAD(accepted);
	m->refused += LOAD(refused);
	m->proxy_refused += LOAD(proxy_refused);
	m->tls_ok += LOAD(tls_handshakes);
	m->tls_failed += LOAD(tls_handshake_failures);
	m->tls_resumed += LOAD(tls_resumed);
	m->h2_streams += LOAD(h2_streams);
	m->fcache_hits += w->fcache_hits;
	m->fcache_misses += w->fcache_misses;
	m->connections_open += w->connections;
	if (m->nworkers < METRICS_MAX_WORKERS) {
		mw = &m->workers[m->nworkers++];
		mw->connections = w->connections;
		mw->requests = LOAD(requests);
		mw->bytes_sent = LOAD(bytes_sent);
	}
#undef LOAD
}

void metrics_gather(const struct server *srv, struct metrics_snapshot *m)
{
	struct stats_totals t;

	memset(m, 0, sizeof(*m));
	stats_gather(srv, &t, 0, NULL, NULL);
	m->version = EISD_VERSION;
	m->started = t.started;
	m->stopping = !t.running;
	stats_workers(srv, add_worker, m);
}

/* Label values of by_method's first index (stats.h). */
static const char *method_name(unsigned i)
{
	static const char *const names[STATS_METHODS] = {
		[0] = "invalid",
		[1 + HTTP_METHOD_OTHER] = "other",
		[1 + HTTP_METHOD_GET] = "GET",
		[1 + HTTP_METHOD_HEAD] = "HEAD",
		[1 + HTTP_METHOD_POST] = "POST",
		[1 + HTTP_METHOD_PUT] = "PUT",
		[1 + HTTP_METHOD_DELETE] = "DELETE",
		[1 + HTTP_METHOD_PATCH] = "PATCH",
		[1 + HTTP_METHOD_CONNECT] = "CONNECT",
		[1 + HTTP_METHOD_OPTIONS] = "OPTIONS",
		[1 + HTTP_METHOD_TRACE] = "TRACE",
	};
	return i < STATS_METHODS && names[i] ? names[i] : "other";
}

_Static_assert(1 + HTTP_METHOD_TRACE < STATS_METHODS, "STATS_METHODS covers every method");

static void head(struct bytes *b, const char *name, const char *type, const char *help)
{
	bytes_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct bytes *b, const char *name, uint64_t v)
{
	bytes_str(b, name);
	bytes_char(b, ' ');
	bytes_u64(b, v);
	bytes_char(b, '\n');
}

static void metric(struct bytes *b, const char *name, const char *type, const char *help,
		   uint64_t v)
{
	head(b, name, type, help);
	sample(b, name, v);
}

/* Microseconds as seconds, exactly (no float rounding). */
static void seconds(struct bytes *b, uint64_t us)
{
	bytes_u64(b, us / 1000000);
	bytes_char(b, '.');
	bytes_u64_pad(b, us % 1000000, 6);
}

static void requests(struct bytes *b, const struct metrics_snapshot *m)
{
	static const char *const codes[6] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };

	head(b, "eisd_http_requests_total", "counter",
	     "HTTP requests answered, by method and status class.");
	for (unsigned i = 0; i < STATS_METHODS; i++)
		for (unsigned k = 0; k < 6; k++)
			if (m->by_method[i][k])
				bytes_printf(b, "eisd_http_requests_total{method=\"%s\",code=\"%s\"} %llu\n",
					     method_name(i), codes[k],
					     (unsigned long long)m->by_method[i][k]);
}

static void durations(struct bytes *b, const struct metrics_snapshot *m)
{
	uint64_t cum = 0;

	head(b, "eisd_http_request_duration_seconds", "histogram",
	     "From the request head read to the response's last byte handed to the kernel.");
	for (unsigned i = 0; i < STATS_DURATION_BUCKETS; i++) {
		cum += m->duration[i];
		bytes_str(b, "eisd_http_request_duration_seconds_bucket{le=\"");
		seconds(b, stats_duration_bounds_us[i]);
		bytes_str(b, "\"} ");
		bytes_u64(b, cum);
		bytes_char(b, '\n');
	}
	cum += m->duration[STATS_DURATION_BUCKETS];
	bytes_str(b, "eisd_http_request_duration_seconds_bucket{le=\"+Inf\"} ");
	bytes_u64(b, cum);
	bytes_str(b, "\neisd_http_request_duration_seconds_sum ");
	seconds(b, m->duration_sum_us);
	bytes_char(b, '\n');
	sample(b, "eisd_http_request_duration_seconds_count", cum);
}

static void connections(struct bytes *b, const struct metrics_snapshot *m)
{
	static const char *const deadlines[4] = { "header", "idle", "send", "linger" };

	metric(b, "eisd_connections_open", "gauge", "Client connections open now.",
	       m->connections_open);
	metric(b, "eisd_connections_accepted_total", "counter", "Client connections accepted.",
	       m->accepted);
	head(b, "eisd_connections_refused_total", "counter",
	     "Connections closed unserved: over --max-connections, or no valid PROXY header "
	     "from a trusted proxy.");
	bytes_printf(b, "eisd_connections_refused_total{reason=\"capacity\"} %llu\n",
		     (unsigned long long)m->refused);
	bytes_printf(b, "eisd_connections_refused_total{reason=\"proxy_protocol\"} %llu\n",
		     (unsigned long long)m->proxy_refused);
	head(b, "eisd_connections_timed_out_total", "counter",
	     "Connections closed by a deadline, by which one.");
	for (unsigned i = 0; i < 4; i++)
		bytes_printf(b, "eisd_connections_timed_out_total{deadline=\"%s\"} %llu\n",
			     deadlines[i], (unsigned long long)m->timed_out[i]);
}

static void workers(struct bytes *b, const struct metrics_snapshot *m)
{
	head(b, "eisd_worker_connections", "gauge", "Connections each worker thread serves now.");
	for (int i = 0; i < m->nworkers; i++)
		bytes_printf(b, "eisd_worker_connections{worker=\"%d\"} %u\n", i,
			     m->workers[i].connections);
	head(b, "eisd_worker_requests_total", "counter", "Requests each worker thread answered.");
	for (int i = 0; i < m->nworkers; i++)
		bytes_printf(b, "eisd_worker_requests_total{worker=\"%d\"} %llu\n", i,
			     (unsigned long long)m->workers[i].requests);
}

char *metrics_render(const struct metrics_snapshot *m, size_t *len)
{
	struct bytes b;

	bytes_init_heap(&b);
	requests(&b, m);
	metric(&b, "eisd_sent_bytes_total", "counter",
	       "Bytes handed to the kernel for clients (heads and bodies).", m->bytes_sent);
	durations(&b, m);
	connections(&b, m);
	head(&b, "eisd_tls_handshakes_total", "counter", "TLS handshakes, by result.");
	bytes_printf(&b, "eisd_tls_handshakes_total{result=\"ok\"} %llu\n",
		     (unsigned long long)m->tls_ok);
	bytes_printf(&b, "eisd_tls_handshakes_total{result=\"failed\"} %llu\n",
		     (unsigned long long)m->tls_failed);
	metric(&b, "eisd_tls_resumed_total", "counter",
	       "TLS handshakes that resumed a session.", m->tls_resumed);
	metric(&b, "eisd_http2_streams_total", "counter", "HTTP/2 streams opened.", m->h2_streams);
	metric(&b, "eisd_file_cache_hits_total", "counter",
	       "File lookups answered by the open-file cache.", m->fcache_hits);
	metric(&b, "eisd_file_cache_misses_total", "counter",
	       "File lookups that had to open the file.", m->fcache_misses);
	workers(&b, m);
	head(&b, "eisd_build_info", "gauge", "The eisd build; the value is always 1.");
	bytes_printf(&b, "eisd_build_info{version=\"%s\"} 1\n", m->version);
	metric(&b, "eisd_start_time_seconds", "gauge", "When the server started, in Unix time.",
	       (uint64_t)m->started);
	metric(&b, "eisd_stopping", "gauge", "1 once a graceful stop has begun.", m->stopping);
	return bytes_steal(&b, len);
}

bool metrics_is_request(const struct http_exchange *x)
{
	return endpoint_is_request(x, x->ctx->cfg->metrics_path);
}

int metrics_serve(struct http_exchange *x)
{
	struct http_response *r = &x->resp;
	struct metrics_snapshot *m;
	size_t len = 0;
	char *body;

	/* 404, as for --status: a refused client learns nothing. */
	if (!x->ctx->cfg->metrics_public && !status_addr_is_loopback(x->peer))
		return http_response_error(r, HTTP_NOT_FOUND);
	m = malloc(sizeof(*m));
	if (!m)
		return -1;
	metrics_gather(x->ctx->srv, m);
	body = metrics_render(m, &len);
	free(m);
	if (!body || http_response_adopt(r, body) < 0)
		return -1;
	HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_CACHE_CONTROL, "no-store");
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	http_response_body_owned(r, body, len);
	return r->failed ? -1 : 0;
}
