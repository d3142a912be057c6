/* Inside src/tls/ only: the OpenSSL-side structures. */
#ifndef EISD_TLS_INT_H
#define EISD_TLS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <openssl/ssl.h>

#include "tls/tls.h"

/* One certificate and its key, with the names SNI may choose it by. */
struct tls_pair {
	SSL_CTX *ctx;
	char **names; /* subjectAltName DNS entries, lower case */
	int nnames;
};

/* Everything one load of the files made. Connections hold a reference,
 * so a reload frees the old set only after its last handshake is gone. */
struct tls_set {
	atomic_int refs;
	struct tls_server *ts;
	unsigned char *ocsp; /* DER OCSP response for pairs[0], or NULL */
	size_t ocsp_len;
	int npairs;
	struct tls_pair pairs[]; /* [0]: the default certificate */
};

/* Session ticket keys (tls_tickets.c). */
struct tls_ticket_key {
	unsigned char name[16];
	unsigned char aes[32];
	unsigned char hmac[32];
};

struct tls_tickets {
	pthread_rwlock_t lock;
	struct tls_ticket_key cur, prev;
	bool have_prev;
	uint64_t made; /* monotonic seconds when cur was made */
	uint64_t period; /* seconds between rotations */
};

struct tls_server {
	struct tls_settings settings;
	pthread_mutex_t lock; /* guards cur */
	struct tls_set *cur;
	struct tls_tickets tickets;
	atomic_bool http2;
	bool ktls;
};

struct tls_set *tls_set_get(struct tls_server *ts);
void tls_set_put(struct tls_set *set);

int tls_tickets_init(struct tls_tickets *t, uint64_t now, uint64_t period);
void tls_tickets_destroy(struct tls_tickets *t);
/* Picks the key to encrypt a new ticket with (rotating first when the
 * current one is a period old), or the one named by a ticket.
 * Returns 1 (found, current), 2 (found, previous: issue a fresh ticket),
 * 0 (unknown), -1 (error). *out gets a copy. */
int tls_tickets_key(struct tls_tickets *t, uint64_t now, bool enc,
		    const unsigned char name[16], struct tls_ticket_key *out);
/* The OpenSSL callback (SSL_CTX_set_tlsext_ticket_key_evp_cb). */
int tls_tickets_cb(SSL *s, unsigned char key_name[16], unsigned char *iv,
		   EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc);

#endif
