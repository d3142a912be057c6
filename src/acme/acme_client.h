/* The ACME protocol (RFC 8555) as a client: directory, nonces, account,
 * order, authorizations, challenges, finalize, download. Blocking, for the
 * ACME thread. Every signed request retries on badNonce with the nonce the
 * error carried (§6.5). Problem documents (§6.7) become "type: detail" in
 * err. JSON from the network is parsed by jansson only. */
#ifndef EISD_ACME_CLIENT_H
#define EISD_ACME_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

struct jws_key;
struct acme_client;

enum acme_challenge_type {
	ACME_TLS_ALPN_01, /* RFC 8737: answered on the TLS listener */
	ACME_HTTP_01,     /* RFC 8555 §8.3: on the plain (redirect) listener */
};

/* How a challenge's answer is put where the CA will look, then taken away.
 * key_auth is token "." thumbprint (§8.1). */
struct acme_responder {
	bool can_tls_alpn;
	bool can_http;
	int (*publish)(void *arg, enum acme_challenge_type type, const char *name,
		       const char *token, const char *key_auth);
	void (*withdraw)(void *arg, enum acme_challenge_type type, const char *name,
			 const char *token);
	void *arg;
	/* Progress lines ("order placed", ...); may be NULL. */
	void (*progress)(void *arg, const char *name, const char *what);
};

/* What a failed call leaves besides err: whether the CA asked us to wait
 * (Retry-After or a rateLimited problem) and for how long. */
struct acme_failure {
	long retry_after; /* seconds; -1: none given */
	bool rate_limited;
};

/* Fetches the directory. terms (if given) gets the terms-of-service URL
 * from its meta (malloc'd, NULL when none). */
struct acme_client *acme_client_new(const char *directory_url, const char *ca_file,
				    char **terms, char *err, size_t errlen);
void acme_client_free(struct acme_client *c);

/* Registers (or finds) the account for key. agree_tos is sent as
 * termsOfServiceAgreed. */
int acme_client_account(struct acme_client *c, struct jws_key *key, const char *email,
			bool agree_tos, char *err, size_t errlen);

/* Orders one certificate for names[0..n) (names[0] its subject), answers
 * the authorizations through r, finalizes with a CSR for a fresh P-256
 * key, and returns the chain and the key as PEM (malloc'd). deadline_s
 * bounds the whole order. */
int acme_client_order(struct acme_client *c, const char *const *names, size_t n,
		      const struct acme_responder *r, long deadline_s, char **chain_pem,
		      char **key_pem, struct acme_failure *fail, char *err, size_t errlen);

#endif
