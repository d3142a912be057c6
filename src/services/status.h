/* The status report (the lecture's get_status): a snapshot of the server
 * taken without stopping the workers, rendered as JSON or as an HTML page,
 * served at --status PATH over HTTP and printed on SIGUSR1. */
#ifndef EISD_STATUS_H
#define EISD_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "core/stats.h"
#include "http/http_parse.h"

struct server;
struct http_exchange;

/* The client list is cut here so one report stays small however many
 * connections are open; client_count is always the true number. */
#define STATUS_MAX_CLIENTS 1000

struct status_client {
	char addr[48]; /* numeric, without port */
	int port;
	time_t connected_at;
	const char *state; /* "reading", "sending", "idle", ... (static) */
	uint64_t requests; /* answered on this connection */
};

struct status_snapshot {
	/* The server's figures: their strings are the server's (or static),
	 * and the server outlives every report. */
	struct stats_totals totals;
	time_t now;
	size_t nclients;       /* entries in clients (<= STATUS_MAX_CLIENTS) */
	struct status_client *clients; /* owned */
};

/* Sums the workers' counters and copies each worker's client list, holding
 * that worker's clients_lock only while copying. now: the wall clock.
 * Returns 0, or -1 when memory ran out. */
int status_gather(const struct server *srv, time_t now, struct status_snapshot *s);
void status_snapshot_free(struct status_snapshot *s);

/* The report as one line of JSON plus a newline, or as an HTML page that
 * reloads itself. Return the malloc'd text (*len set), or NULL. */
char *status_render_json(const struct status_snapshot *s, size_t *len);
char *status_render_html(const struct status_snapshot *s, size_t *len);

/* True for 127.0.0.0/8, ::1, and IPv4-mapped ::ffff:127.x.y.z. */
bool status_addr_is_loopback(const struct sockaddr *sa);
/* JSON when the query has format=json, or when Accept prefers
 * application/json to text/html (negotiate_prefers_json, the rule the
 * listing follows too); format=html forces HTML. */
bool status_wants_json(struct http_str accept, struct http_str query);

/* HTTP glue: is this request for --status PATH (a GET or HEAD)? */
bool status_is_request(const struct http_exchange *x);
/* Answers it: the report, or 404 for a non-loopback client without
 * --status-public. Returns 0, or -1 when memory ran out. */
int status_serve(struct http_exchange *x);

#endif
