/* Session ticket keys shared by every worker (they all use the same
 * contexts): TLS 1.3 tickets and TLS 1.2 session tickets are encrypted
 * with the current key, which rotates every period; the previous key
 * still decrypts, so a resumed session works on any worker and across a
 * rotation (or a reload, which keeps the keys). The keys live in memory
 * only: a restart means full handshakes, which is what forward secrecy
 * asks. */
#include "tls/tls_int.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static int key_make(struct tls_ticket_key *k)
{
	return RAND_bytes(k->name, sizeof(k->name)) == 1 &&
	       RAND_bytes(k->aes, sizeof(k->aes)) == 1 &&
	       RAND_bytes(k->hmac, sizeof(k->hmac)) == 1 ? 0 : -1;
}

int tls_tickets_init(struct tls_tickets *t, uint64_t now, uint64_t period)
{
	memset(t, 0, sizeof(*t));
	if (pthread_rwlock_init(&t->lock, NULL))
		return -1;
	t->made = now;
	t->period = period;
	return key_make(&t->cur);
}

void tls_tickets_destroy(struct tls_tickets *t)
{
	OPENSSL_cleanse(&t->cur, sizeof(t->cur));
	OPENSSL_cleanse(&t->prev, sizeof(t->prev));
	pthread_rwlock_destroy(&t->lock);
}

int tls_tickets_key(struct tls_tickets *t, uint64_t now, bool enc,
		    const unsigned char name[16], struct tls_ticket_key *out)
{
	int rc = 0;

	if (enc && now - t->made >= t->period) {
		pthread_rwlock_wrlock(&t->lock);
		if (now - t->made >= t->period) {
			struct tls_ticket_key k;
			if (key_make(&k) == 0) {
				t->prev = t->cur;
				t->have_prev = true;
				t->cur = k;
				t->made = now;
			}
			OPENSSL_cleanse(&k, sizeof(k));
		}
		pthread_rwlock_unlock(&t->lock);
	}
	pthread_rwlock_rdlock(&t->lock);
	if (enc || memcmp(name, t->cur.name, sizeof(t->cur.name)) == 0) {
		*out = t->cur;
		rc = 1;
	} else if (t->have_prev && memcmp(name, t->prev.name, sizeof(t->prev.name)) == 0) {
		*out = t->prev;
		rc = 2;
	}
	pthread_rwlock_unlock(&t->lock);
	return rc;
}

static uint64_t mono_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

int tls_tickets_cb(SSL *s, unsigned char key_name[16], unsigned char *iv,
		   EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc)
{
	struct tls_set *set = SSL_CTX_get_app_data(SSL_get_SSL_CTX(s));
	struct tls_ticket_key k;
	OSSL_PARAM params[2];
	int rc;

	rc = tls_tickets_key(&set->ts->tickets, mono_sec(), enc, key_name, &k);
	if (rc <= 0)
		return rc;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (enc) {
		memcpy(key_name, k.name, sizeof(k.name));
		if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1 ||
		    !EVP_EncryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, k.aes, iv))
			rc = -1;
	} else if (!EVP_DecryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, k.aes, iv)) {
		rc = -1;
	}
	if (rc > 0 && !EVP_MAC_init(hctx, k.hmac, sizeof(k.hmac), params))
		rc = -1;
	OPENSSL_cleanse(&k, sizeof(k));
	return rc;
}
