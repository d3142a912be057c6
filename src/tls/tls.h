/* TLS for eisd, with OpenSSL behind it: certificates chosen by SNI, the
 * protocol and cipher policy, session tickets shared by every worker,
 * ALPN, OCSP stapling and reload (tls_config.c, tls_tickets.c), and the
 * record layer of one connection (tls_conn.c). The files in src/tls/ are
 * the only ones that include an OpenSSL header. */
#ifndef EISD_TLS_H
#define EISD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TLS_MAX_PAIRS 64

/* What the command line says about TLS. The strings must outlive the
 * tls_server (they are re-read on reload). */
struct tls_settings {
	const char *certs[TLS_MAX_PAIRS]; /* PEM, leaf first, chain after */
	const char *keys[TLS_MAX_PAIRS];  /* PEM private key of certs[i] */
	int npairs;                       /* 0: TLS off */
	int min_version;                  /* 12 or 13 (TLS 1.2 / 1.3) */
	const char *ocsp_file;            /* DER OCSP response for certs[0] */
	/* Offer h2 in ALPN (before http/1.1). Read on every handshake, so
	 * the HTTP/2 layer may set it after tls_server_new. */
	bool http2;
};

/* Non-fatal news while loading (an expired certificate): one line,
 * without a prefix or newline. */
typedef void (*tls_warn_fn)(void *arg, const char *msg);

struct tls_server;
struct tls_conn;

/* Loads every pair and builds the contexts. NULL on failure, with one
 * line in err naming the file and the reason. */
struct tls_server *tls_server_new(const struct tls_settings *set, tls_warn_fn warn,
				  void *warn_arg, char *err, size_t errlen);
/* Loads every file again and, when all of them are good, makes the new
 * certificates the ones new handshakes use (connections in flight keep
 * theirs). On failure nothing changes and err says why. Safe to call from
 * any thread while workers handshake. */
int tls_server_reload(struct tls_server *ts, tls_warn_fn warn, void *warn_arg,
		      char *err, size_t errlen);
void tls_server_free(struct tls_server *ts);
/* Whether the kernel can take the record layer (kTLS): then file bodies go
 * out with SSL_sendfile on connections whose cipher it supports. */
bool tls_server_ktls(const struct tls_server *ts);
/* Offers h2 in ALPN from the next handshake on. */
void tls_server_set_http2(struct tls_server *ts, bool on);

/* Ticket keys: the current one encrypts, the previous one still
 * decrypts, so a ticket stays good for one to two periods. */
#define TLS_TICKET_ROTATE_SEC (12 * 3600)

/* ---- one connection ---- */

enum {
	TLS_ERROR = -1,       /* fatal: close (tls_conn_error says why) */
	TLS_WANT_READ = -2,   /* wait until the socket is readable */
	TLS_WANT_WRITE = -3,  /* wait until the socket is writable */
};

/* Which protocol ALPN chose. */
enum tls_alpn {
	TLS_ALPN_NONE,   /* the client offered none: HTTP/1.1 */
	TLS_ALPN_HTTP11,
	TLS_ALPN_H2,
};

/* A server-side TLS session on the connected non-blocking socket fd
 * (which the caller keeps owning). NULL when out of memory. */
struct tls_conn *tls_conn_new(struct tls_server *ts, int fd);
void tls_conn_free(struct tls_conn *tc);
/* Drives the handshake: 1 when done, else TLS_WANT_READ/TLS_WANT_WRITE
 * or TLS_ERROR. */
int tls_conn_handshake(struct tls_conn *tc);
bool tls_conn_established(const struct tls_conn *tc);
/* Decrypted bytes into buf: the count, 0 at the peer's close_notify or
 * EOF, or a TLS_* code. */
ssize_t tls_conn_read(struct tls_conn *tc, void *buf, size_t len);
/* Decrypted bytes OpenSSL holds that no read has taken yet (the socket
 * may be empty while these wait). */
size_t tls_conn_pending(const struct tls_conn *tc);
/* Writes len bytes as records: the count written (all of it, or a
 * multiple of a record when partial) or a TLS_* code. After
 * TLS_WANT_WRITE the same bytes must be offered again (the same length;
 * the buffer may move). */
ssize_t tls_conn_write(struct tls_conn *tc, const void *buf, size_t len);
/* kTLS only: len bytes of fd from off through the kernel's record layer.
 * The count sent or a TLS_* code. */
ssize_t tls_conn_sendfile(struct tls_conn *tc, int fd, off_t off, size_t len);
/* Whether the kernel took the transmit keys of this connection. */
bool tls_conn_ktls_send(const struct tls_conn *tc);
/* Sends close_notify (best effort, never blocks). */
void tls_conn_shutdown(struct tls_conn *tc);
enum tls_alpn tls_conn_alpn(const struct tls_conn *tc);
/* Whether this session was resumed from a ticket. */
bool tls_conn_resumed(const struct tls_conn *tc);
/* The negotiated version, e.g. "TLSv1.3", and the SNI name (or NULL). */
const char *tls_conn_version(const struct tls_conn *tc);
const char *tls_conn_sni(const struct tls_conn *tc);
/* Why the last call failed, one line (for the handshake-failure log). */
void tls_conn_error(const struct tls_conn *tc, char *out, size_t outlen);

/* ---- pure helpers (tls_names.c) ---- */

/* Whether a certificate name (an exact DNS name, or "*.example.org"
 * standing for exactly one more label) covers host. Case-insensitive;
 * a trailing dot on host is ignored. */
bool tls_name_match(const char *pattern, const char *host);

#endif
