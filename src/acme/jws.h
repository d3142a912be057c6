/* JSON Web Signatures for ACME (RFC 7515, RFC 8555 §6.2): base64url, the
 * account key's JWK and thumbprint, and flattened JWS objects signed with
 * ES256 (ECDSA P-256, SHA-256, the signature as r||s, 64 bytes). OpenSSL
 * does the cryptography; this file only encodes. Keys are opaque here so
 * no caller includes an OpenSSL header. */
#ifndef EISD_ACME_JWS_H
#define EISD_ACME_JWS_H

#include <stddef.h>

struct jws_key;

/* base64url without padding (RFC 7515 §2). Returns a malloc'd string. */
char *jws_b64url(const void *data, size_t len);

/* A fresh P-256 key, or one read from / written as PEM. */
struct jws_key *jws_key_generate(void);
struct jws_key *jws_key_from_pem(const char *pem, size_t len);
char *jws_key_to_pem(const struct jws_key *k); /* PKCS#8, malloc'd */
void jws_key_free(struct jws_key *k);

/* {"crv":"P-256","kty":"EC","x":"...","y":"..."}: members in the
 * lexicographic order RFC 7638 §3 fixes for the thumbprint. malloc'd. */
char *jws_jwk(const struct jws_key *k);
/* base64url(SHA-256(jwk)) (RFC 7638). malloc'd. */
char *jws_thumbprint(const struct jws_key *k);

/* ES256 over data: 64 bytes r||s, each left-padded to 32 (RFC 7518 §3.4),
 * not the DER form OpenSSL produces. Returns 0 or -1. */
int jws_sign_es256(const struct jws_key *k, const void *data, size_t len,
		   unsigned char sig[64]);

/* A flattened JWS: {"protected":..,"payload":..,"signature":..}. The
 * protected header carries alg ES256, nonce and url, and either kid (the
 * account URL, once it exists) or the jwk (kid == NULL: newAccount).
 * payload NULL is POST-as-GET (an empty payload, RFC 8555 §6.3). */
char *jws_sign(const struct jws_key *k, const char *kid, const char *nonce,
	       const char *url, const char *payload);

#endif
