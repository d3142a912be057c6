/* The server: the listening socket, the worker threads (one loop each),
 * start and stop. Connections are conn.c's (conn_io.h). */
#ifndef EISD_SERVER_H
#define EISD_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "app/config.h"
#include "core/conn_io.h"
#include "core/loop.h"

struct mime_table;
struct proto;
struct transport;
struct server;

/* Settings published while the server runs (a reload): each worker takes
 * the newest at the start of a loop turn, so one request sees one config
 * throughout and the request path takes no lock. The last holder to let
 * go calls destroy. Only values may outlive a loop turn (a deadline, a
 * length), never pointers into cfg or mime. */
struct server_snapshot {
	atomic_uint refs;
	const struct config *cfg;
	const struct mime_table *mime;
	void (*destroy)(struct server_snapshot *s);
};

/* What the layers above core/ keep in each worker's ctx (the file and
 * listing caches, the compressed-file cache they share, the Date string):
 * made, refreshed and freed through hooks that the program sets where it
 * wires the layers together (app/worker_state.c), so the engine decides
 * when and never includes what. A NULL hook (or NULL hooks) is skipped. */
struct server_hooks {
	/* Before any worker: what they share. 0, or -1 with a one-line
	 * reason in err. */
	int (*start)(struct server *srv, char *err, size_t errlen);
	/* After every worker has been joined and finished. */
	void (*stop)(struct server *srv);
	/* A worker's own state into x, before its thread starts: 0, or -1
	 * when out of memory. */
	int (*worker_init)(struct ctx *x, const struct server *srv);
	/* Between two loop turns, before x takes snapshot s: 0, or -1 to
	 * stay on the old one (no memory for what s needs). */
	int (*worker_adopt)(struct ctx *x, const struct server *srv,
			    const struct server_snapshot *s);
	/* About once a second: let go of what went stale. Returns the bytes
	 * of memory let go (a large amount is worth a malloc trim). */
	size_t (*worker_sweep)(struct ctx *x);
	/* The wall clock (x->now) moved to a new second: x->date. */
	void (*worker_second)(struct ctx *x);
	/* After the worker's thread returned. */
	void (*worker_fini)(struct ctx *x);
	/* For the metrics, from any thread: file-cache lookups so far. */
	void (*worker_counts)(const struct ctx *x, uint64_t *hits, uint64_t *misses);
};

/* One thread: its loop, its share of the listener, and the pool of the
 * connections it accepted (conn_io.h), whose ctx its clock drives. */
#define SERVER_MAX_VHOSTS 64

struct worker {
	struct server *srv;
	int index;
	pthread_t thread;
	struct loop *loop;
	int wake_fd;           /* eventfd: stop requests */
	struct loop_handler wake_h, listen_h;
	bool listening;        /* listener is in this worker's loop */
	bool stopping;         /* this worker saw the stop */
	uint64_t accept_resume_ms; /* after EMFILE: when to listen again */
	uint64_t conn_deadline; /* the pool's next deadline (conn_pool_expire) */
	unsigned trim_peak;    /* most clients since memory was last trimmed */
	uint64_t trim_check_ms;

	struct conn_pool pool;
	atomic_uint turns;     /* loop turns so far (server_share_fds_begin) */

	/* The snapshot pool.ctx.cfg and .mime come from (NULL: the server's
	 * own, from the start), and the one published for the next turn. */
	struct server_snapshot *snap;
	_Atomic(struct server_snapshot *) next_snap;
};

struct server {
	const struct config *cfg;
	const struct proto *proto;          /* each connection's first protocol */
	const struct transport *transport;  /* NULL: plain TCP */
	const struct server_hooks *hooks;   /* the state above core/ */
	/* With TLS, how file bodies go out ("ssl-write-16k", "ktls-sendfile")
	 * for the status report; NULL: plain TCP. */
	const char *tls_body_path;
	const struct mime_table *mime;
	int listen_fd;
	int root_fd;          /* the document root, opened once */
	const struct ctx_vhost *vhosts; /* --vhost roots, opened once */
	unsigned nvhosts;     /* at most SERVER_MAX_VHOSTS */
	bool vhost_strict;
	char addr_text[80];   /* "127.0.0.1:8080" or "[::1]:8080" */
	char url_host[64];    /* host part for URLs */
	int port;             /* the real port, after bind */
	long max_connections;
	unsigned fcache_entries; /* open files each worker may cache */
	struct conn_count conns;
	atomic_bool stopping;
	atomic_bool draining; /* --health says 503 (a stop is coming) */
	atomic_bool stop_now; /* a second stop signal: the grace is over */
	atomic_bool handing_over; /* stopping for a binary upgrade */
	atomic_bool fds_shared;   /* a forked child holds copies of our fds */
	atomic_int running;   /* worker threads not yet returned */
	time_t started;
	struct zcache *zcache; /* compressed files, all workers' (hooks->start) */
	/* Never-blocking writers (util/log_sink.h): the access log (off when
	 * quiet) and standard error, for reports and messages. */
	struct log_sink log;
	struct log_sink err;
	/* Another server's access log to write to instead of log (the
	 * redirect listener shares the main one's); NULL: log. */
	struct log_sink *log_shared;

	int nworkers;
	struct worker *workers;
};

/* Binds and listens. On failure writes a one-line reason into err. */
int server_listen(struct server *srv, char *err, size_t errlen);
/* Uses fd, an inherited listening TCP socket (systemd socket activation,
 * a binary upgrade), instead of binding: made non-blocking and
 * close-on-exec, its address read back. -1 with err when fd is no such
 * socket. */
int server_adopt_listener(struct server *srv, int fd, char *err, size_t errlen);
/* Starts the worker threads. */
int server_start(struct server *srv, char *err, size_t errlen);
/* Asks every worker to stop accepting and finish (bounded by the grace). */
void server_stop(struct server *srv);
/* Before a fork (a binary upgrade): from the return on, closing a
 * connection also removes it from epoll explicitly, since the child's
 * copies keep the sockets open. Waits (up to timeout_ms) until every
 * worker has begun a new loop turn, so none is still acting on the old
 * rule; -1 if one did not (then call server_share_fds_end). */
int server_share_fds_begin(struct server *srv, int timeout_ms);
/* After the child's exec closed its copies. */
void server_share_fds_end(struct server *srv);
/* Like server_stop, but leaves the listening socket working for another
 * process that shares it (a binary upgrade): this one stops accepting
 * and drains. */
void server_hand_over(struct server *srv);
/* Hands s to every worker (a reference each; the caller keeps its own):
 * they switch to it at the start of their next loop turn. A worker given
 * two before it looks takes the newer. */
void server_publish(struct server *srv, struct server_snapshot *s);
/* Drops one reference; the last calls s->destroy. */
void server_snapshot_release(struct server_snapshot *s);

/* Ends the grace at once: workers close what they hold and return. */
void server_stop_now(struct server *srv);
/* From now on --health answers 503 while everything else is served as
 * before: the balancer moves clients away before the stop. */
void server_drain(struct server *srv);
/* Whether every worker has returned (server_join will not wait). */
bool server_stopped(const struct server *srv);
/* Waits for the workers; frees them. */
void server_join(struct server *srv);

#endif
