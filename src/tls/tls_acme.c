/* TLS-ALPN-01 (RFC 8737): while the ACME thread waits for the CA to
 * validate a name, a handshake for that name offering ALPN "acme-tls/1"
 * gets the validation certificate instead of the site's, negotiates
 * acme-tls/1, and is closed once done (§3: no application data follows).
 * Every other handshake is untouched. The decision is taken in the
 * ClientHello callback, before SNI switches contexts or a certificate is
 * chosen, so it does not depend on the order OpenSSL runs later callbacks
 * in. */
#include "tls/tls_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#define ALPN_ACME "acme-tls/1"

/* The ex_data slot marking a handshake as an ACME validation. */
static int acme_index = -1;
static pthread_once_t acme_once = PTHREAD_ONCE_INIT;

static void make_index(void)
{
	acme_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

int tls_acme_init(struct tls_server *ts)
{
	pthread_once(&acme_once, make_index);
	pthread_mutex_init(&ts->acme_lock, NULL);
	return acme_index >= 0 ? 0 : -1;
}

void tls_acme_destroy(struct tls_server *ts)
{
	for (int i = 0; i < TLS_ACME_CHALLENGES; i++) {
		free(ts->acme[i].name);
		X509_free(ts->acme[i].cert);
		EVP_PKEY_free(ts->acme[i].key);
	}
	pthread_mutex_destroy(&ts->acme_lock);
}

int tls_server_set_challenge(struct tls_server *ts, const char *name, const char *cert_pem,
			     const char *key_pem)
{
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int rc = -1, slot = -1;

	if (cert_pem) {
		BIO *b = BIO_new_mem_buf(cert_pem, -1);
		cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		b = BIO_new_mem_buf(key_pem, -1);
		key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (!cert || !key) {
			ERR_clear_error();
			goto out;
		}
	}
	pthread_mutex_lock(&ts->acme_lock);
	for (int i = 0; i < TLS_ACME_CHALLENGES; i++) {
		if (ts->acme[i].name && strcasecmp(ts->acme[i].name, name) == 0) {
			free(ts->acme[i].name);
			X509_free(ts->acme[i].cert);
			EVP_PKEY_free(ts->acme[i].key);
			memset(&ts->acme[i], 0, sizeof(ts->acme[i]));
		}
		if (!ts->acme[i].name && slot < 0)
			slot = i;
	}
	if (!cert) {
		rc = 0; /* withdrawn */
	} else if (slot >= 0 && (ts->acme[slot].name = strdup(name)) != NULL) {
		ts->acme[slot].cert = cert;
		ts->acme[slot].key = key;
		cert = NULL;
		key = NULL;
		rc = 0;
	}
	pthread_mutex_unlock(&ts->acme_lock);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* The host name in a ClientHello's server_name extension (RFC 6066 §3),
 * copied into out. */
static bool sni_of(SSL *s, char *out, size_t outlen)
{
	const unsigned char *p;
	size_t len, n;

	if (!SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &p, &len) || len < 5)
		return false;
	if ((size_t)(p[0] << 8 | p[1]) != len - 2 || p[2] != TLSEXT_NAMETYPE_host_name)
		return false;
	n = (size_t)(p[3] << 8 | p[4]);
	if (n == 0 || n + 5 > len || n >= outlen || memchr(p + 5, '\0', n))
		return false;
	memcpy(out, p + 5, n);
	out[n] = '\0';
	return true;
}

static bool offers_acme(SSL *s)
{
	const unsigned char *p;
	size_t len;

	if (!SSL_client_hello_get0_ext(s, TLSEXT_TYPE_application_layer_protocol_negotiation, &p,
				       &len) || len < 2 || (size_t)(p[0] << 8 | p[1]) != len - 2)
		return false;
	for (size_t i = 2; i < len;) {
		size_t n = p[i];
		if (i + 1 + n > len)
			return false;
		if (n == sizeof(ALPN_ACME) - 1 && memcmp(p + i + 1, ALPN_ACME, n) == 0)
			return true;
		i += 1 + n;
	}
	return false;
}

int tls_acme_client_hello(SSL *s, struct tls_server *ts)
{
	char name[256];
	bool found = false;

	if (!offers_acme(s))
		return 1;
	if (!sni_of(s, name, sizeof(name)))
		return 0; /* acme-tls/1 without a name: nothing to prove */
	pthread_mutex_lock(&ts->acme_lock);
	for (int i = 0; i < TLS_ACME_CHALLENGES && !found; i++) {
		if (ts->acme[i].name && strcasecmp(ts->acme[i].name, name) == 0) {
			found = SSL_use_certificate(s, ts->acme[i].cert) == 1 &&
				SSL_use_PrivateKey(s, ts->acme[i].key) == 1;
		}
	}
	pthread_mutex_unlock(&ts->acme_lock);
	if (!found) {
		ERR_clear_error();
		return 0; /* no validation under way for this name: refuse */
	}
	SSL_set_ex_data(s, acme_index, ts);
	return 1;
}

bool tls_acme_is_validation(const SSL *s)
{
	return acme_index >= 0 && SSL_get_ex_data(s, acme_index) != NULL;
}

const char *tls_acme_alpn(void)
{
	return ALPN_ACME;
}
