/* HTTP-01 answers waiting for the CA: a small table of token -> key
 * authorization. It is process-wide because the ACME thread fills it and
 * whichever worker serves the plain listener reads it; a mutex guards it
 * and is taken only for /.well-known/acme-challenge/ requests. */
#include "acme/challenges.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "acme/acme.h"

#define CHALLENGES_MAX 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *token;
	char *key_auth;
} table[CHALLENGES_MAX];

int acme_http01_publish(const char *token, const char *key_auth)
{
	int rc = -1;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < CHALLENGES_MAX; i++) {
		if (table[i].token)
			continue;
		table[i].token = strdup(token);
		table[i].key_auth = strdup(key_auth);
		if (table[i].token && table[i].key_auth) {
			rc = 0;
		} else {
			free(table[i].token);
			free(table[i].key_auth);
			table[i].token = table[i].key_auth = NULL;
		}
		break;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void acme_http01_withdraw(const char *token)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < CHALLENGES_MAX; i++) {
		if (table[i].token && strcmp(table[i].token, token) == 0) {
			free(table[i].token);
			free(table[i].key_auth);
			table[i].token = table[i].key_auth = NULL;
		}
	}
	pthread_mutex_unlock(&lock);
}

long acme_http01_answer(const char *token, size_t token_len, char *out, size_t outlen)
{
	long n = -1;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < CHALLENGES_MAX; i++) {
		if (!table[i].token || strlen(table[i].token) != token_len ||
		    memcmp(table[i].token, token, token_len) != 0)
			continue;
		size_t len = strlen(table[i].key_auth);
		if (len < outlen) {
			memcpy(out, table[i].key_auth, len);
			n = (long)len;
		}
		break;
	}
	pthread_mutex_unlock(&lock);
	return n;
}
