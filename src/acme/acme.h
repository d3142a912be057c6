/* Automatic HTTPS: eisd gets and renews its own certificates over ACME
 * (RFC 8555). The manager owns the ACME thread; nothing here runs on a
 * worker. The TLS layer supplies the hooks that install a certificate for
 * a name and answer TLS-ALPN-01 challenges; the plain listener asks
 * acme_http01_answer() for HTTP-01 tokens. */
#ifndef EISD_ACME_H
#define EISD_ACME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ACME_MAX_DOMAINS 64
#define ACME_LETSENCRYPT "https://acme-v02.api.letsencrypt.org/directory"
#define ACME_LETSENCRYPT_STAGING "https://acme-staging-v02.api.letsencrypt.org/directory"

struct acme_settings {
	const char *domains[ACME_MAX_DOMAINS];
	int ndomains;
	const char *email;     /* account contact, or NULL */
	const char *directory; /* the CA's directory URL */
	const char *ca_file;   /* trust for the CA, or NULL: the system's */
	const char *storage;   /* directory for keys and certificates */
	bool agree_tos;
	bool http01;           /* a plain listener can answer HTTP-01 */
	bool tls_alpn01;       /* the TLS listener answers acme-tls/1 */
};

/* What the TLS layer does for ACME. Called on the ACME thread (and once
 * on the starting thread); each must be safe against workers handshaking. */
struct acme_hooks {
	/* Serve chain/key (PEM) for name from the next handshake on. */
	int (*install)(void *arg, const char *name, const char *chain_pem, const char *key_pem,
		       char *err, size_t errlen);
	/* Answer acme-tls/1 handshakes for name with this certificate, or
	 * stop (cert_pem NULL). */
	int (*alpn_challenge)(void *arg, const char *name, const char *cert_pem,
			      const char *key_pem);
	void *arg;
};

struct acme_manager;

/* The default storage: /var/lib/eisd/acme as root, else
 * $XDG_DATA_HOME/eisd/acme (~/.local/share/eisd/acme). */
void acme_default_storage(char *out, size_t len);

struct acme_manager *acme_manager_new(const struct acme_settings *set,
				      const struct acme_hooks *hooks);
void acme_manager_free(struct acme_manager *m);

/* Opens the storage (made 0700), reads or makes the account key, and
 * checks the stored certificates: corrupt ones are set aside and
 * reported. Call before TLS loads the stored pairs. 0, or -1 with err. */
int acme_manager_prepare(struct acme_manager *m, char *err, size_t errlen);
/* Obtains the certificates that are missing or expired (bounded by deadline_s), with progress lines on stderr.
 * Returns 0, or -1 with one line in err: the name, and the CA's problem
 * type and detail. The ACME server is not contacted when every name has
 * a good stored certificate. */
int acme_manager_start(struct acme_manager *m, long deadline_s, char *err, size_t errlen);
/* The renewal thread: certificates are renewed at two thirds of their
 * life, retried with back-off, swapped in without dropping anyone. */
int acme_manager_run(struct acme_manager *m);
void acme_manager_stop(struct acme_manager *m);

/* HTTP-01: the body to answer GET /.well-known/acme-challenge/TOKEN with,
 * when token is one the manager is waiting for. Copies it into out;
 * returns its length, or -1 (then the answer is 404). Any thread. */
long acme_http01_answer(const char *token, size_t token_len, char *out, size_t outlen);

#endif
