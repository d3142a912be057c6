/* HTTP Basic authentication (--auth-file, --auth PREFIX).
 *
 * The users and their hashes (bcrypt $2y$/$2b$, SHA-crypt $5$/$6$) come
 * from an htpasswd file read at start and on reload (app/htpasswd.c);
 * verification is libcrypt's crypt_r, its result compared in constant
 * time. Two things keep the cost of a slow hash in bounds:
 *
 *   - A per-worker cache of credentials that verified: AUTH_CACHE_SLOTS
 *     entries of SHA-256(db key, user, password, stored hash), each good
 *     for AUTH_CACHE_TTL_MS, so a browser sending the same header on every
 *     request costs one crypt per worker and per AUTH_CACHE_TTL_MS, and
 *     a changed password (new hash, new file: new key) never matches an
 *     old entry. The password itself is never kept.
 *   - Failed attempts counted per client address (IPv4 address, or the
 *     whole IPv6 address) in a table shared by the workers (AUTH_FAIL_SLOTS
 *     entries, the oldest replaced when full): after cfg->auth_max_failures
 *     failures within AUTH_FAIL_WINDOW_MS the address gets 429 with
 *     Retry-After until its window ends, before any hash is computed.
 *
 * A verification runs on the worker that received the request, at most
 * one per loop turn: a second request that needs one in the same turn
 * (x->can_defer: HTTP/1.1 without a body) sets x->defer and is answered
 * next turn, after the worker served everyone else (conn_defer_input);
 * by then the first one's result is often in the cache. So a worker's
 * other clients wait at most one verification per turn. */
#ifndef EISD_AUTH_H
#define EISD_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/handler.h"

#define AUTH_CACHE_SLOTS 16
#define AUTH_CACHE_TTL_MS (5 * 60 * 1000)
#define AUTH_FAIL_SLOTS 256
#define AUTH_FAIL_WINDOW_MS (60 * 1000)
#define AUTH_MAX_USER 255
#define AUTH_MAX_SECRET 1024 /* decoded user:password */

struct auth_user {
	char *name;
	char *hash;
};

struct auth_fail {
	unsigned char addr[16]; /* IPv4 in the first 4 bytes */
	uint8_t family;
	unsigned count;
	uint64_t since_ms;      /* start of its window (monotonic) */
};

struct auth_db {
	struct auth_user *users;
	size_t nusers;
	unsigned char key[32];  /* random per load: keys the cache */
	char *challenge;        /* the WWW-Authenticate value */
	pthread_mutex_t lock;   /* fails */
	struct auth_fail fails[AUTH_FAIL_SLOTS];
};

/* Whether x carries credentials of a user in cfg->auth_db. If not, x->resp
 * is the answer (401 with the challenge, or 429 with Retry-After) and the
 * caller returns it, or x->defer is set (see above: no answer now). */
bool auth_check(struct http_exchange *x);

/* Frees a db (app/htpasswd.c makes them). */
void auth_db_free(struct auth_db *db);

/* Decodes RFC 4648 base64 s[0..len) into out (at most outsz bytes):
 * the length, or -1 when malformed or too long. */
long auth_base64_decode(const char *s, size_t len, unsigned char *out, size_t outsz);

#endif
