/* The TLS transport (core/transport.h) over src/tls/: the handshake runs
 * inside read, so the header deadline covers it and a silent or stalled
 * client is closed like any slow request. Plaintext goes out as records
 * of at most CTX_IO_SCRATCH bytes gathered in the worker's scratch, so a
 * header and the start of a body share one record and one write; file
 * bodies are read from the fd chunk by chunk into the same scratch (never
 * a whole file in memory, never a buffer held by an idle connection), or
 * handed to the kernel with SSL_sendfile when it took the keys (kTLS). */
#include "tls/transport_tls.h"

#include <errno.h>
#include <linux/sockios.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/conn.h"
#include "core/ctx.h"
#include "core/transport.h"
#include "tls/tls.h"
#include "util/log.h"

/* Failed handshakes are logged at most once per this many seconds (a
 * scanner must not fill the log); the next line counts what was left out. */
#define FAIL_LOG_SEC 1

struct transport_tls {
	struct transport ops; /* first: c->tp points here */
	struct tls_server *ts;
	/* The protocol a connection switches to when ALPN chose h2 (set by
	 * the HTTP/2 layer); NULL: h2 is not offered. */
	const struct proto *h2;
	atomic_uint_fast64_t fail_log_sec; /* last second a failure was logged */
	atomic_uint_fast64_t fail_quiet;   /* failures not logged since */
};

/* What one connection keeps (c->tp_data). */
struct tls_tp {
	struct tls_conn *tc;
	size_t retry_len; /* a record SSL_write must be offered again */
	bool broken;      /* a fatal error: no close_notify */
	bool counted;     /* this handshake's failure is counted */
};

static struct transport_tls *tp_of(const struct conn *c)
{
	return (struct transport_tls *)c->tp;
}

static void handshake_failed(struct conn *c, struct tls_tp *t)
{
	struct transport_tls *tt = tp_of(c);
	struct timespec now;
	uint64_t sec, last, quiet;
	char why[160];

	t->broken = true;
	if (t->counted)
		return;
	t->counted = true;
	stat_add(&c->ctx->stats.tls_handshake_failures, 1);
	clock_gettime(CLOCK_MONOTONIC, &now);
	sec = (uint64_t)now.tv_sec;
	last = atomic_load_explicit(&tt->fail_log_sec, memory_order_relaxed);
	if (sec - last < FAIL_LOG_SEC ||
	    !atomic_compare_exchange_strong(&tt->fail_log_sec, &last, sec)) {
		atomic_fetch_add_explicit(&tt->fail_quiet, 1, memory_order_relaxed);
		return;
	}
	quiet = atomic_exchange(&tt->fail_quiet, 0);
	tls_conn_error(t->tc, why, sizeof(why));
	if (quiet)
		log_error("TLS handshake with %s failed: %s (and %llu more not logged)",
			  c->peer_addr, why, (unsigned long long)quiet);
	else
		log_error("TLS handshake with %s failed: %s", c->peer_addr, why);
}

static int tls_open(struct conn *c)
{
	struct tls_tp *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	c->tp_data = t;
	t->tc = tls_conn_new(tp_of(c)->ts, c->fd);
	return t->tc ? 0 : -1;
}

static ssize_t map(int r)
{
	switch (r) {
	case TLS_WANT_READ:  return TRANSPORT_WANT_READ;
	case TLS_WANT_WRITE: return TRANSPORT_WANT_WRITE;
	default:             return TRANSPORT_ERROR;
	}
}

static ssize_t tls_read(struct conn *c, void *buf, size_t len)
{
	struct tls_tp *t = c->tp_data;
	ssize_t n;

	if (!tls_conn_established(t->tc)) {
		int r = tls_conn_handshake(t->tc);
		if (r != 1) {
			if (r == TLS_ERROR)
				handshake_failed(c, t);
			return map(r);
		}
		stat_add(&c->ctx->stats.tls_handshakes, 1);
		if (tls_conn_resumed(t->tc))
			stat_add(&c->ctx->stats.tls_resumed, 1);
		/* An ACME validation ends with its handshake (RFC 8737 §3):
		 * the connection closes as if the peer had. */
		if (tls_conn_alpn(t->tc) == TLS_ALPN_ACME)
			return 0;
		/* ALPN decided the protocol before any byte is returned. */
		if (tp_of(c)->h2 && tls_conn_alpn(t->tc) == TLS_ALPN_H2 &&
		    conn_set_proto(c, tp_of(c)->h2) < 0)
			return TRANSPORT_ERROR;
	}
	n = tls_conn_read(t->tc, buf, len);
	if (n <= 0) {
		if (n == TLS_ERROR)
			t->broken = true;
		return n == 0 ? 0 : map((int)n);
	}
	/* A read returns one record: gather what OpenSSL already holds, so
	 * a short count means the transport holds nothing more (the seam's
	 * promise) and pipelined requests arrive together. */
	while ((size_t)n < len && tls_conn_pending(t->tc)) {
		ssize_t more = tls_conn_read(t->tc, (char *)buf + n, len - (size_t)n);
		if (more <= 0)
			break; /* WANT_*, EOF or an error: the next read says so */
		n += more;
	}
	return n;
}

/* One record from scratch; on a WANT_* the same length is offered next. */
static ssize_t write_record(struct conn *c, struct tls_tp *t, const char *p, size_t n)
{
	ssize_t w = tls_conn_write(t->tc, p, n);

	if (w > 0) {
		t->retry_len = 0;
		return w;
	}
	if (w == TLS_ERROR) {
		t->broken = true;
		return TRANSPORT_ERROR;
	}
	t->retry_len = n;
	return map((int)w);
}

static ssize_t tls_writev(struct conn *c, const struct iovec *iov, int iovcnt, int flags)
{
	struct tls_tp *t = c->tp_data;
	char *scratch = c->ctx->io_scratch;
	size_t want = t->retry_len ? t->retry_len : CTX_IO_SCRATCH, n = 0;

	if (!tls_conn_established(t->tc) || t->broken)
		return TRANSPORT_ERROR; /* nothing goes out in the clear */
	/* A single large piece goes straight in; small ones are gathered so
	 * a header and its body share a record. */
	if (iovcnt == 1 || iov[0].iov_len >= want)
		return write_record(c, t, iov[0].iov_base,
				    iov[0].iov_len < want ? iov[0].iov_len : want);
	for (int i = 0; i < iovcnt && n < want; i++) {
		size_t k = iov[i].iov_len < want - n ? iov[i].iov_len : want - n;
		memcpy(scratch + n, iov[i].iov_base, k);
		n += k;
	}
	return write_record(c, t, scratch, n);
}

static ssize_t tls_sendfile(struct conn *c, int fd, off_t *off, size_t len, int flags)
{
	struct tls_tp *t = c->tp_data;
	size_t want;
	ssize_t n, w;

	if (!tls_conn_established(t->tc) || t->broken)
		return TRANSPORT_ERROR;
	if (tls_conn_ktls_send(t->tc)) {
		n = tls_conn_sendfile(t->tc, fd, *off, len);
		if (n > 0)
			*off += n;
		else if (n == TLS_ERROR)
			t->broken = true;
		return n >= 0 ? n : map((int)n);
	}
	want = t->retry_len ? t->retry_len : (len < CTX_IO_SCRATCH ? len : CTX_IO_SCRATCH);
	do
		n = pread(fd, c->ctx->io_scratch, want, *off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return TRANSPORT_ERROR;
	if (n == 0)
		return 0;
	if (t->retry_len && (size_t)n != t->retry_len)
		return TRANSPORT_ERROR; /* the file changed under a pending record */
	w = write_record(c, t, c->ctx->io_scratch, (size_t)n);
	if (w > 0)
		*off += w;
	return w;
}

static int tls_queued(struct conn *c)
{
	int q;

	if (ioctl(c->fd, SIOCOUTQ, &q) < 0)
		return -1;
	return q;
}

static size_t tls_read_pending(const struct conn *c)
{
	const struct tls_tp *t = c->tp_data;

	return t && t->tc ? tls_conn_pending(t->tc) : 0;
}

static void tls_shutdown(struct conn *c)
{
	struct tls_tp *t = c->tp_data;

	if (t && t->tc && !t->broken)
		tls_conn_shutdown(t->tc);
	shutdown(c->fd, SHUT_WR);
}

static void tls_close(struct conn *c, enum transport_close how)
{
	struct tls_tp *t = c->tp_data;

	if (how == TRANSPORT_CLOSE_ABORT) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	} else if (t && t->tc && !t->broken) {
		tls_conn_shutdown(t->tc);
	}
	if (t) {
		/* A client that went away mid-handshake is a failed handshake
		 * too (counted, logged at the bounded rate). */
		if (t->tc && !tls_conn_established(t->tc) && !t->counted && how == TRANSPORT_CLOSE_GRACEFUL)
			stat_add(&c->ctx->stats.tls_handshake_failures, 1);
		tls_conn_free(t->tc);
		free(t);
		c->tp_data = NULL;
	}
	close(c->fd);
}

static const char *tls_server_name(const struct conn *c)
{
	const struct tls_tp *t = c->tp_data;

	return t && t->tc ? tls_conn_sni(t->tc) : NULL;
}

/* A refusal over --max-connections is not worth a handshake. */
static void tls_reject(int fd, const char *reply, size_t len)
{
	close(fd);
}

struct transport *transport_tls_new(struct tls_server *ts)
{
	struct transport_tls *tt = calloc(1, sizeof(*tt));

	if (!tt)
		return NULL;
	tt->ops = (struct transport){
		.name = "tls",
		.open = tls_open,
		.read = tls_read,
		.writev = tls_writev,
		.sendfile = tls_sendfile,
		.queued = tls_queued,
		.read_pending = tls_read_pending,
		.shutdown = tls_shutdown,
		.close = tls_close,
		.reject = tls_reject,
		.server_name = tls_server_name,
	};
	tt->ts = ts;
	return &tt->ops;
}

void transport_tls_set_h2(struct transport *tp, const struct proto *h2)
{
	struct transport_tls *tt = (struct transport_tls *)tp;

	tt->h2 = h2;
	tls_server_set_http2(tt->ts, h2 != NULL);
}

void transport_tls_free(struct transport *tp)
{
	free(tp);
}
