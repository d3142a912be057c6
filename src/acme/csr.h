/* Certificate material ACME needs that OpenSSL builds: the CSR for an
 * order (a fresh P-256 key per certificate) and the TLS-ALPN-01
 * validation certificate (RFC 8737 §3). */
#ifndef EISD_ACME_CSR_H
#define EISD_ACME_CSR_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* A CSR for names (names[0] the subject CN, all as subjectAltName DNS
 * entries), DER as base64url (RFC 8555 §7.4). The new key as PEM. */
char *acme_csr_new(const char *const *names, size_t n, char **key_pem);

/* A self-signed certificate for name carrying the critical
 * id-pe-acmeIdentifier extension with SHA-256(key_auth), and its key, both
 * PEM. Returns 0 or -1. */
int acme_alpn_cert(const char *name, const char *key_auth, char **cert_pem, char **key_pem);

/* notBefore and notAfter of the first certificate in a PEM chain.
 * Returns 0 or -1 when it does not parse. */
int acme_cert_validity(const char *pem, size_t len, time_t *not_before, time_t *not_after);

/* Whether key (PEM) is the private key of chain's first certificate. */
bool acme_pair_matches(const char *chain, size_t clen, const char *key, size_t klen);

#endif
