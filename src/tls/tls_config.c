/* Certificates, keys and the TLS policy: one SSL_CTX per certificate
 * (chosen by SNI), built from the files at start and again on reload.
 * Policy, and why (SECURITY.md has the threat model):
 * - TLS 1.2 and 1.3 only: older versions have no AEAD suites and are
 *   refused by every current browser anyway.
 * - TLS 1.2 suites: ECDHE (forward secrecy) with AEAD only; no static RSA
 *   key exchange, CBC (Lucky 13, POODLE-style padding oracles), RC4,
 *   3DES (Sweet32), NULL or EXPORT. TLS 1.3 keeps OpenSSL's default suites.
 * - Groups X25519 and P-256; the server's order of preference.
 * - No compression (CRIME), no renegotiation (its DoS and its history),
 *   no 0-RTT (early data can be replayed).
 * - Idle connections give their record buffers back. */
#include "tls/tls_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_GROUPS "X25519:P-256"
#define OCSP_MAX_BYTES (64 * 1024)
#define ALPN_H2 "h2"
#define ALPN_HTTP11 "http/1.1"

/* The reason OpenSSL queued last, or a fallback; clears the queue. */
static const char *ossl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : fallback;
}

static BIO *open_pem(const char *what, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	BIO *b;

	if (!f) {
		snprintf(err, errlen, "cannot read %s '%s': %s", what, path, strerror(errno));
		return NULL;
	}
	b = BIO_new_fp(f, BIO_CLOSE);
	if (!b) {
		fclose(f);
		snprintf(err, errlen, "cannot read %s '%s': out of memory", what, path);
	}
	return b;
}

/* An encrypted key would need a passphrase: there is nobody to ask. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	*(int *)u = 1;
	return -1;
}

static void time_text(const ASN1_TIME *t, char *out, size_t len)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 || !strftime(out, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, len, "(unreadable date)");
}

static void check_dates(X509 *x, const char *path, tls_warn_fn warn, void *arg)
{
	char msg[512], when[64];

	if (!warn)
		return;
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		time_text(X509_get0_notAfter(x), when, sizeof(when));
		snprintf(msg, sizeof(msg), "warning: certificate '%s' expired on %s (serving it anyway)",
			 path, when);
		warn(arg, msg);
	} else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		time_text(X509_get0_notBefore(x), when, sizeof(when));
		snprintf(msg, sizeof(msg), "warning: certificate '%s' is not valid before %s (serving it anyway)",
			 path, when);
		warn(arg, msg);
	}
}

/* The subjectAltName DNS entries, lower-cased. */
static int collect_names(X509 *x, struct tls_pair *p)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int n = gens ? sk_GENERAL_NAME_num(gens) : 0, rc = 0;

	p->names = calloc((size_t)(n ? n : 1), sizeof(*p->names));
	if (!p->names)
		rc = -1;
	for (int i = 0; i < n && rc == 0; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int len;
		char *s;

		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		len = ASN1_STRING_length(g->d.dNSName);
		if (len <= 0 || memchr(d, '\0', (size_t)len))
			continue; /* an embedded NUL would name some other host */
		s = malloc((size_t)len + 1);
		if (!s) {
			rc = -1;
			break;
		}
		for (int k = 0; k < len; k++)
			s[k] = (char)(d[k] >= 'A' && d[k] <= 'Z' ? d[k] + 32 : d[k]);
		s[len] = '\0';
		p->names[p->nnames++] = s;
	}
	GENERAL_NAMES_free(gens);
	return rc;
}

/* Reads the certificate chain and the key of one pair into ctx. */
static int load_pair(SSL_CTX *ctx, struct tls_pair *p, const char *cert, const char *key,
		     tls_warn_fn warn, void *warn_arg, char *err, size_t errlen)
{
	BIO *b;
	X509 *leaf, *extra;
	EVP_PKEY *pkey;
	int asked = 0, rc = -1, nchain = 0;

	ERR_clear_error();
	if (!(b = open_pem("certificate", cert, err, errlen)))
		return -1;
	leaf = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
	if (!leaf) {
		snprintf(err, errlen, "certificate '%s': no PEM certificate in the file (%s)", cert,
			 ossl_reason("malformed"));
		BIO_free(b);
		return -1;
	}
	if (SSL_CTX_use_certificate(ctx, leaf) != 1) {
		snprintf(err, errlen, "certificate '%s': %s", cert, ossl_reason("unusable"));
		goto out_cert;
	}
	/* The rest of the file is the chain, leaf's issuer first. */
	while ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		nchain++;
		if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
			X509_free(extra);
			snprintf(err, errlen, "certificate '%s': chain certificate %d: %s", cert, nchain,
				 ossl_reason("unusable"));
			goto out_cert;
		}
	}
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		snprintf(err, errlen, "certificate '%s': chain certificate %d is malformed (%s)", cert,
			 nchain + 1, ossl_reason("bad PEM"));
		goto out_cert;
	}
	ERR_clear_error();
	BIO_free(b);
	b = NULL;

	if (!(b = open_pem("key", key, err, errlen)))
		goto out_cert;
	pkey = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, &asked);
	if (!pkey) {
		if (asked)
			snprintf(err, errlen, "key '%s': the key is encrypted (give eisd an unencrypted key, mode 0600)", key);
		else
			snprintf(err, errlen, "key '%s': no PEM private key in the file (%s)", key,
				 ossl_reason("malformed"));
		ERR_clear_error();
		goto out_cert;
	}
	if (X509_check_private_key(leaf, pkey) != 1) {
		snprintf(err, errlen, "key '%s' does not match certificate '%s'", key, cert);
		ERR_clear_error();
	} else if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
		snprintf(err, errlen, "key '%s': %s", key, ossl_reason("unusable"));
	} else if (collect_names(leaf, p)) {
		snprintf(err, errlen, "certificate '%s': out of memory", cert);
	} else {
		check_dates(leaf, cert, warn, warn_arg);
		rc = 0;
	}
	EVP_PKEY_free(pkey);
out_cert:
	X509_free(leaf);
	BIO_free(b);
	return rc;
}

/* ---- callbacks ---- */

static struct tls_pair *sni_pick(struct tls_set *set, const char *host)
{
	/* An exact name wins over a wildcard; among equals, the first pair. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < set->npairs; i++)
			for (int k = 0; k < set->pairs[i].nnames; k++) {
				const char *n = set->pairs[i].names[k];
				if ((n[0] == '*') == (pass == 1) && tls_name_match(n, host))
					return &set->pairs[i];
			}
	return NULL;
}

static int sni_cb(SSL *s, int *alert, void *arg)
{
	struct tls_set *set = arg;
	const char *host = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
	struct tls_pair *p;

	if (!host || set->npairs == 1)
		return SSL_TLSEXT_ERR_OK;
	p = sni_pick(set, host);
	if (p && p->ctx != SSL_get_SSL_CTX(s) && !SSL_set_SSL_CTX(s, p->ctx))
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	/* An unknown name gets the default certificate. */
	return SSL_TLSEXT_ERR_OK;
}

static bool alpn_offered(const unsigned char *in, unsigned inlen, const char *proto)
{
	size_t pl = strlen(proto);

	for (unsigned i = 0; i < inlen;) {
		unsigned n = in[i];
		if (i + 1 + n > inlen)
			return false;
		if (n == pl && memcmp(in + i + 1, proto, pl) == 0)
			return true;
		i += 1 + n;
	}
	return false;
}

/* The server's preference: h2 (when on), then http/1.1. A client that
 * offers neither gets no_application_protocol (RFC 7301 §3.2). */
static int alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned int inlen, void *arg)
{
	struct tls_set *set = arg;

	if (atomic_load_explicit(&set->ts->http2, memory_order_relaxed) &&
	    alpn_offered(in, inlen, ALPN_H2)) {
		*out = (const unsigned char *)ALPN_H2;
		*outlen = sizeof(ALPN_H2) - 1;
		return SSL_TLSEXT_ERR_OK;
	}
	if (alpn_offered(in, inlen, ALPN_HTTP11)) {
		*out = (const unsigned char *)ALPN_HTTP11;
		*outlen = sizeof(ALPN_HTTP11) - 1;
		return SSL_TLSEXT_ERR_OK;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* Staples the OCSP response when the client asked for status (and the
 * default certificate, which the response is for, is the one in use). */
static int ocsp_cb(SSL *s, void *arg)
{
	struct tls_set *set = arg;
	unsigned char *copy;

	if (!set->ocsp || SSL_get_SSL_CTX(s) != set->pairs[0].ctx)
		return SSL_TLSEXT_ERR_NOACK;
	copy = OPENSSL_memdup(set->ocsp, set->ocsp_len);
	if (!copy)
		return SSL_TLSEXT_ERR_NOACK;
	if (SSL_set_tlsext_status_ocsp_resp(s, copy, (long)set->ocsp_len) != 1) {
		OPENSSL_free(copy);
		return SSL_TLSEXT_ERR_NOACK;
	}
	return SSL_TLSEXT_ERR_OK;
}

/* ---- contexts and sets ---- */

static SSL_CTX *ctx_new(struct tls_server *ts, struct tls_set *set)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	uint64_t opts = SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
			SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF;

	if (!ctx)
		return NULL;
	if (ts->ktls)
		opts |= SSL_OP_ENABLE_KTLS;
	SSL_CTX_set_options(ctx, opts);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_app_data(ctx, set);
	/* One read() takes what the socket has, not a record header and
	 * then its body: half the reads of a request. The transport reads
	 * on while OpenSSL holds input (tls_conn_pending). */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* Tickets carry the session; the server keeps no cache to lock. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 1);
	if (SSL_CTX_set_min_proto_version(ctx, ts->settings.min_version == 13 ? TLS1_3_VERSION
									    : TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1 ||
	    SSL_CTX_set_max_early_data(ctx, 0) != 1 ||
	    SSL_CTX_set_recv_max_early_data(ctx, 0) != 1 ||
	    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"eisd", 4) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_tickets_cb) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
	SSL_CTX_set_tlsext_servername_arg(ctx, set);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, set);
	SSL_CTX_set_tlsext_status_cb(ctx, ocsp_cb);
	SSL_CTX_set_tlsext_status_arg(ctx, set);
	return ctx;
}

static void set_free(struct tls_set *set)
{
	for (int i = 0; i < set->npairs; i++) {
		SSL_CTX_free(set->pairs[i].ctx);
		for (int k = 0; k < set->pairs[i].nnames; k++)
			free(set->pairs[i].names[k]);
		free(set->pairs[i].names);
	}
	OPENSSL_free(set->ocsp);
	free(set);
}

static int load_ocsp(struct tls_set *set, const char *path, char *err, size_t errlen)
{
	BIO *b = open_pem("OCSP response", path, err, errlen);
	unsigned char buf[OCSP_MAX_BYTES];
	const unsigned char *p = buf;
	OCSP_RESPONSE *resp;
	int n;

	if (!b)
		return -1;
	n = BIO_read(b, buf, sizeof(buf));
	if (n > 0 && BIO_read(b, buf, 1) > 0)
		n = -2;
	BIO_free(b);
	if (n == -2) {
		snprintf(err, errlen, "OCSP response '%s': larger than %d bytes", path, OCSP_MAX_BYTES);
		return -1;
	}
	resp = n > 0 ? d2i_OCSP_RESPONSE(NULL, &p, n) : NULL;
	if (!resp || p != buf + n) {
		snprintf(err, errlen, "OCSP response '%s': not a DER OCSP response", path);
		OCSP_RESPONSE_free(resp);
		ERR_clear_error();
		return -1;
	}
	OCSP_RESPONSE_free(resp);
	set->ocsp = OPENSSL_memdup(buf, (size_t)n);
	set->ocsp_len = (size_t)n;
	if (!set->ocsp) {
		snprintf(err, errlen, "OCSP response '%s': out of memory", path);
		return -1;
	}
	return 0;
}

static struct tls_set *set_load(struct tls_server *ts, tls_warn_fn warn, void *warn_arg,
				char *err, size_t errlen)
{
	const struct tls_settings *st = &ts->settings;
	struct tls_set *set = calloc(1, sizeof(*set) + (size_t)st->npairs * sizeof(set->pairs[0]));

	if (!set) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&set->refs, 1);
	set->ts = ts;
	for (int i = 0; i < st->npairs; i++) {
		struct tls_pair *p = &set->pairs[i];
		p->ctx = ctx_new(ts, set);
		set->npairs = i + 1;
		if (!p->ctx) {
			snprintf(err, errlen, "cannot set up TLS: %s", ossl_reason("out of memory"));
			goto fail;
		}
		if (load_pair(p->ctx, p, st->certs[i], st->keys[i], warn, warn_arg, err, errlen))
			goto fail;
	}
	if (st->ocsp_file && load_ocsp(set, st->ocsp_file, err, errlen))
		goto fail;
	return set;
fail:
	set_free(set);
	return NULL;
}

struct tls_set *tls_set_get(struct tls_server *ts)
{
	struct tls_set *set;

	pthread_mutex_lock(&ts->lock);
	set = ts->cur;
	atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&ts->lock);
	return set;
}

void tls_set_put(struct tls_set *set)
{
	if (set && atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) == 1)
		set_free(set);
}

/* The kernel offers the TLS upper-layer protocol (after modprobe tls). */
static bool ktls_available(void)
{
	char buf[256];
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");
	bool yes = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n"))
			if (strcmp(t, "tls") == 0)
				yes = true;
	}
	fclose(f);
	return yes;
}

static uint64_t mono_sec(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec;
}

struct tls_server *tls_server_new(const struct tls_settings *st, tls_warn_fn warn,
				  void *warn_arg, char *err, size_t errlen)
{
	struct tls_server *ts;

	if (st->npairs < 1 || st->npairs > TLS_MAX_PAIRS) {
		snprintf(err, errlen, "TLS needs 1 to %d certificate/key pairs", TLS_MAX_PAIRS);
		return NULL;
	}
	ts = calloc(1, sizeof(*ts));
	if (!ts) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ts->settings = *st;
	atomic_init(&ts->http2, st->http2);
	ts->ktls = ktls_available();
	pthread_mutex_init(&ts->lock, NULL);
	if (tls_tickets_init(&ts->tickets, mono_sec(), TLS_TICKET_ROTATE_SEC)) {
		snprintf(err, errlen, "cannot make session ticket keys: %s", ossl_reason("no randomness"));
		goto fail;
	}
	ts->cur = set_load(ts, warn, warn_arg, err, errlen);
	if (!ts->cur) {
		tls_tickets_destroy(&ts->tickets);
		goto fail;
	}
	return ts;
fail:
	pthread_mutex_destroy(&ts->lock);
	free(ts);
	return NULL;
}

int tls_server_reload(struct tls_server *ts, tls_warn_fn warn, void *warn_arg,
		      char *err, size_t errlen)
{
	struct tls_set *set = set_load(ts, warn, warn_arg, err, errlen), *old;

	if (!set)
		return -1;
	pthread_mutex_lock(&ts->lock);
	old = ts->cur;
	ts->cur = set;
	pthread_mutex_unlock(&ts->lock);
	tls_set_put(old);
	return 0;
}

void tls_server_free(struct tls_server *ts)
{
	if (!ts)
		return;
	tls_set_put(ts->cur);
	tls_tickets_destroy(&ts->tickets);
	pthread_mutex_destroy(&ts->lock);
	free(ts);
}

bool tls_server_ktls(const struct tls_server *ts)
{
	return ts->ktls;
}

void tls_server_set_http2(struct tls_server *ts, bool on)
{
	atomic_store(&ts->http2, on);
}
