/* One connection's TLS session on a non-blocking socket: the handshake,
 * record reads and writes, kTLS sendfile, close_notify. OpenSSL's own
 * socket BIO does the I/O, so kTLS can take over the record layer when
 * the kernel has it. */
#include "tls/tls_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

struct tls_conn {
	SSL *ssl;
	struct tls_set *set; /* the certificates this handshake began with */
	unsigned long last_err; /* OpenSSL error code of the last failure */
	int last_errno;
	int last_kind;          /* SSL_get_error of the last failure */
	bool established;
};

struct tls_conn *tls_conn_new(struct tls_server *ts, int fd)
{
	struct tls_conn *tc = calloc(1, sizeof(*tc));

	if (!tc)
		return NULL;
	tc->set = tls_set_get(ts);
	tc->ssl = SSL_new(tc->set->pairs[0].ctx);
	if (!tc->ssl || SSL_set_fd(tc->ssl, fd) != 1) {
		tls_conn_free(tc);
		return NULL;
	}
	SSL_set_accept_state(tc->ssl);
	return tc;
}

void tls_conn_free(struct tls_conn *tc)
{
	if (!tc)
		return;
	SSL_free(tc->ssl);
	tls_set_put(tc->set);
	free(tc);
}

/* SSL_get_error reads the thread's error queue, so it must be empty
 * before each call; emptying it is not free in OpenSSL 3 (about 1,500
 * instructions a call, most of a small request's overhead), so only when
 * something is in it. Failures empty it as they note why (fail). */
static inline void err_reset(void)
{
	if (ERR_peek_error())
		ERR_clear_error();
}

/* Maps an OpenSSL result to WANT_*, or TLS_ERROR after noting why. */
static int fail(struct tls_conn *tc, int ret)
{
	int kind = SSL_get_error(tc->ssl, ret);

	switch (kind) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	default:
		tc->last_kind = kind;
		tc->last_errno = errno;
		tc->last_err = ERR_peek_last_error();
		ERR_clear_error();
		return TLS_ERROR;
	}
}

int tls_conn_handshake(struct tls_conn *tc)
{
	int r;

	err_reset();
	r = SSL_do_handshake(tc->ssl);
	if (r == 1) {
		tc->established = true;
		return 1;
	}
	return fail(tc, r);
}

bool tls_conn_established(const struct tls_conn *tc)
{
	return tc->established;
}

ssize_t tls_conn_read(struct tls_conn *tc, void *buf, size_t len)
{
	size_t got = 0;
	int r;

	err_reset();
	r = SSL_read_ex(tc->ssl, buf, len, &got);
	if (r == 1)
		return (ssize_t)got;
	/* close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a bare EOF: a
	 * truncated request is simply an incomplete one. */
	if (SSL_get_error(tc->ssl, r) == SSL_ERROR_ZERO_RETURN)
		return 0;
	return fail(tc, r);
}

size_t tls_conn_pending(const struct tls_conn *tc)
{
	int n = SSL_pending(tc->ssl);

	if (n > 0)
		return (size_t)n;
	/* Records read ahead and not yet decrypted: at least one byte. */
	return SSL_has_pending(tc->ssl) ? 1 : 0;
}

ssize_t tls_conn_write(struct tls_conn *tc, const void *buf, size_t len)
{
	size_t done = 0;
	int r;

	err_reset();
	errno = 0;
	r = SSL_write_ex(tc->ssl, buf, len, &done);
	if (r == 1)
		return (ssize_t)done;
	return fail(tc, r);
}

ssize_t tls_conn_sendfile(struct tls_conn *tc, int fd, off_t off, size_t len)
{
	ossl_ssize_t n;

	err_reset();
	/* flags 0: never SF_ZEROCOPY, which sends a corrupt record when the
	 * file changes in flight. */
	n = SSL_sendfile(tc->ssl, fd, off, len, 0);
	if (n >= 0)
		return (ssize_t)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return TLS_WANT_WRITE;
	return fail(tc, -1);
}

bool tls_conn_ktls_send(const struct tls_conn *tc)
{
	return BIO_get_ktls_send(SSL_get_wbio(tc->ssl));
}

void tls_conn_shutdown(struct tls_conn *tc)
{
	/* Only after a handshake, and only once: SSL_shutdown sends our
	 * close_notify without waiting for the peer's. */
	if (tc->established && !(SSL_get_shutdown(tc->ssl) & SSL_SENT_SHUTDOWN)) {
		err_reset();
		SSL_shutdown(tc->ssl);
		ERR_clear_error();
	}
}

enum tls_alpn tls_conn_alpn(const struct tls_conn *tc)
{
	const unsigned char *p;
	unsigned len;

	SSL_get0_alpn_selected(tc->ssl, &p, &len);
	if (len == 2 && memcmp(p, "h2", 2) == 0)
		return TLS_ALPN_H2;
	if (len == 8 && memcmp(p, "http/1.1", 8) == 0)
		return TLS_ALPN_HTTP11;
	return TLS_ALPN_NONE;
}

bool tls_conn_resumed(const struct tls_conn *tc)
{
	return SSL_session_reused(tc->ssl) == 1;
}

const char *tls_conn_version(const struct tls_conn *tc)
{
	return SSL_get_version(tc->ssl);
}

const char *tls_conn_sni(const struct tls_conn *tc)
{
	return SSL_get_servername(tc->ssl, TLSEXT_NAMETYPE_host_name);
}

void tls_conn_error(const struct tls_conn *tc, char *out, size_t outlen)
{
	if (tc->last_err) {
		const char *r = ERR_reason_error_string(tc->last_err);
		snprintf(out, outlen, "%s", r ? r : "TLS error");
	} else if (tc->last_kind == SSL_ERROR_SYSCALL) {
		snprintf(out, outlen, "%s", tc->last_errno ? strerror(tc->last_errno)
							   : "connection closed during the handshake");
	} else {
		snprintf(out, outlen, "TLS error %d", tc->last_kind);
	}
}
