/* Basic authentication. See auth.h. */
#include "http/auth.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ctx.h"
#include "util/bytes.h"

/* A worker's own: the cache of verified credentials and libcrypt's
 * scratch (about 32 KiB, too much for the stack of every call). Made on
 * first use, freed by the worker (ctx->handler_state_free). */
struct auth_worker {
	struct auth_cached {
		unsigned char digest[32];
		uint64_t until_ms;
		bool used;
	} cache[AUTH_CACHE_SLOTS];
	unsigned next; /* round robin: the slot replaced next */
	uint64_t verified_turn; /* the loop turn of the last crypt */
	struct crypt_data cd;
};

static void worker_state_free(void *p)
{
	if (p) {
		OPENSSL_cleanse(p, sizeof(struct auth_worker));
		free(p);
	}
}

static struct auth_worker *worker_state(struct ctx *cx)
{
	if (!cx->handler_state) {
		cx->handler_state = calloc(1, sizeof(struct auth_worker));
		if (cx->handler_state)
			cx->handler_state_free = worker_state_free;
	}
	return cx->handler_state;
}

void auth_db_free(struct auth_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nusers; i++) {
		free(db->users[i].name);
		OPENSSL_cleanse(db->users[i].hash, strlen(db->users[i].hash));
		free(db->users[i].hash);
	}
	free(db->users);
	free(db->challenge);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long auth_base64_decode(const char *s, size_t len, unsigned char *out, size_t outsz)
{
	size_t w = 0, pad = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v;

		if (s[i] == '=') {
			if (len - i > 2)
				return -1;
			pad++;
			continue;
		}
		if (pad)
			return -1; /* data after padding */
		v = b64_value((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (w == outsz)
				return -1;
			out[w++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)w;
}

/* ---- failures per client address ---- */

static void peer_key(const struct sockaddr *sa, unsigned char addr[16], uint8_t *family)
{
	memset(addr, 0, 16);
	*family = (uint8_t)sa->sa_family;
	if (sa->sa_family == AF_INET) {
		memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) { /* the same client as over IPv4 */
			memcpy(addr, a->s6_addr + 12, 4);
			*family = AF_INET;
		} else {
			memcpy(addr, a->s6_addr, 16);
		}
	}
}

/* Milliseconds since a window began: workers read the clock each at
 * their own turn, so another's stamp may be a little ahead of ours. */
static uint64_t elapsed(uint64_t now_ms, uint64_t since_ms)
{
	return now_ms > since_ms ? now_ms - since_ms : 0;
}

/* The slot of this address (NULL: none), under db->lock. */
static struct auth_fail *fail_find(struct auth_db *db, const unsigned char addr[16],
				   uint8_t family)
{
	for (size_t i = 0; i < AUTH_FAIL_SLOTS; i++) {
		struct auth_fail *f = &db->fails[i];

		if (f->count && f->family == family && memcmp(f->addr, addr, 16) == 0)
			return f;
	}
	return NULL;
}

/* Seconds the address must still wait, 0 when it may try. */
static unsigned fail_blocked(struct auth_db *db, long max, const struct sockaddr *peer,
			     uint64_t now_ms)
{
	unsigned char addr[16];
	struct auth_fail *f;
	uint8_t family;
	unsigned wait = 0;

	peer_key(peer, addr, &family);
	pthread_mutex_lock(&db->lock);
	f = fail_find(db, addr, family);
	if (f && elapsed(now_ms, f->since_ms) >= AUTH_FAIL_WINDOW_MS)
		f->count = 0; /* its window is over */
	else if (f && f->count >= (unsigned)max)
		wait = (unsigned)((AUTH_FAIL_WINDOW_MS - elapsed(now_ms, f->since_ms) + 999) / 1000);
	pthread_mutex_unlock(&db->lock);
	return wait;
}

static void fail_record(struct auth_db *db, const struct sockaddr *peer, uint64_t now_ms)
{
	unsigned char addr[16];
	struct auth_fail *f, *oldest = &db->fails[0];
	uint8_t family;

	peer_key(peer, addr, &family);
	pthread_mutex_lock(&db->lock);
	f = fail_find(db, addr, family);
	if (f && elapsed(now_ms, f->since_ms) >= AUTH_FAIL_WINDOW_MS)
		f->count = 0;
	if (!f) {
		for (size_t i = 0; i < AUTH_FAIL_SLOTS && !f; i++) {
			if (db->fails[i].count == 0 ||
			    elapsed(now_ms, db->fails[i].since_ms) >= AUTH_FAIL_WINDOW_MS)
				f = &db->fails[i];
			else if (db->fails[i].since_ms < oldest->since_ms)
				oldest = &db->fails[i];
		}
		if (!f)
			f = oldest; /* full: the oldest window goes */
		memcpy(f->addr, addr, 16);
		f->family = family;
		f->count = 0;
	}
	if (f->count == 0)
		f->since_ms = now_ms;
	f->count++;
	pthread_mutex_unlock(&db->lock);
}

/* ---- the cache of verified credentials ---- */

static bool digest_of(const struct auth_db *db, const unsigned char *secret, size_t len,
		      const char *hash, unsigned char out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned n = 0;
	bool ok;

	if (!md)
		return false;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(md, db->key, sizeof(db->key)) == 1 &&
	     EVP_DigestUpdate(md, secret, len) == 1 &&
	     EVP_DigestUpdate(md, "", 1) == 1 &&
	     EVP_DigestUpdate(md, hash, strlen(hash)) == 1 &&
	     EVP_DigestFinal_ex(md, out, &n) == 1 && n == 32;
	EVP_MD_CTX_free(md);
	return ok;
}

static bool cache_hit(struct auth_worker *aw, const unsigned char d[32], uint64_t now_ms)
{
	bool hit = false;

	/* Every slot is compared, in constant time each. */
	for (size_t i = 0; i < AUTH_CACHE_SLOTS; i++)
		if (aw->cache[i].used && now_ms < aw->cache[i].until_ms &&
		    CRYPTO_memcmp(aw->cache[i].digest, d, 32) == 0)
			hit = true;
	return hit;
}

static void cache_put(struct auth_worker *aw, const unsigned char d[32], uint64_t now_ms)
{
	struct auth_cached *c = &aw->cache[aw->next];

	aw->next = (aw->next + 1) % AUTH_CACHE_SLOTS;
	memcpy(c->digest, d, 32);
	c->until_ms = now_ms + AUTH_CACHE_TTL_MS;
	c->used = true;
}

/* ---- the check ---- */

static bool challenge(struct http_exchange *x)
{
	const char *c = x->ctx->cfg->auth_db->challenge;

	http_response_field_ref(&x->resp, HTTP_F_WWW_AUTHENTICATE, c, strlen(c));
	http_response_error(&x->resp, HTTP_UNAUTHORIZED);
	return false;
}

static bool too_many(struct http_exchange *x, unsigned wait)
{
	http_response_field_u64(&x->resp, HTTP_F_RETRY_AFTER, "", wait);
	http_response_error(&x->resp, HTTP_TOO_MANY_REQUESTS);
	return false;
}

/* The user's hash, or (for a name not in the file) the first user's, so
 * that an unknown name costs the same crypt as a wrong password. */
static const char *hash_for(const struct auth_db *db, const unsigned char *user, size_t len,
			    bool *known)
{
	for (size_t i = 0; i < db->nusers; i++)
		if (strlen(db->users[i].name) == len && memcmp(db->users[i].name, user, len) == 0) {
			*known = true;
			return db->users[i].hash;
		}
	*known = false;
	return db->users[0].hash;
}

static bool verify(struct auth_worker *aw, const char *password, const char *hash)
{
	const char *out = crypt_r(password, hash, &aw->cd);
	size_t n = strlen(hash);

	return out && out[0] != '*' && strlen(out) == n && CRYPTO_memcmp(out, hash, n) == 0;
}

/* Decoded "user:password" of a Basic Authorization header into secret
 * (NUL-terminated): the length of the user name, or -1. */
static long credentials(struct http_str h, unsigned char *secret, size_t *len)
{
	const unsigned char *colon;
	long n;

	if (!h.p || h.len < 6 || strncasecmp(h.p, "Basic ", 6) != 0)
		return -1;
	n = auth_base64_decode(h.p + 6, h.len - 6, secret, AUTH_MAX_SECRET);
	if (n <= 0 || memchr(secret, '\0', (size_t)n))
		return -1;
	secret[n] = '\0';
	*len = (size_t)n;
	colon = memchr(secret, ':', (size_t)n);
	if (!colon || colon == secret || colon - secret > AUTH_MAX_USER)
		return -1;
	return colon - secret;
}

bool auth_check(struct http_exchange *x)
{
	struct ctx *cx = x->ctx;
	struct auth_db *db = cx->cfg->auth_db;
	struct http_str h = http_request_header(x->req, "authorization");
	unsigned char secret[AUTH_MAX_SECRET + 1], d[32];
	struct auth_worker *aw;
	const char *hash;
	bool known = false, ok, have_d = false;
	size_t len = 0;
	unsigned wait;
	long ulen;

	if (!h.p)
		return challenge(x); /* the usual first request */
	aw = worker_state(cx);
	if (!aw) {
		x->resp.failed = true;
		return false;
	}
	ulen = credentials(h, secret, &len);
	hash = ulen > 0 ? hash_for(db, secret, (size_t)ulen, &known) : NULL;
	if (hash && known)
		have_d = digest_of(db, secret, len, hash, d);
	if (have_d && cache_hit(aw, d, cx->now_ms)) {
		OPENSSL_cleanse(secret, sizeof(secret));
		return true;
	}
	/* Before any hash is computed: a client over its limit waits. */
	wait = fail_blocked(db, cx->cfg->auth_max_failures, x->peer, cx->now_ms);
	if (wait) {
		OPENSSL_cleanse(secret, sizeof(secret));
		return too_many(x, wait);
	}
	/* One slow hash per worker and loop turn: a second request that
	 * needs one waits for the next turn (the others are served first)
	 * when its protocol can hold it. */
	if (hash && x->can_defer && aw->verified_turn == cx->turn && cx->turn) {
		OPENSSL_cleanse(secret, sizeof(secret));
		x->defer = true;
		return false;
	}
	aw->verified_turn = cx->turn;
	ok = hash && verify(aw, (const char *)secret + ulen + 1, hash) && known;
	OPENSSL_cleanse(&aw->cd, sizeof(aw->cd));
	OPENSSL_cleanse(secret, sizeof(secret));
	if (!ok) {
		fail_record(db, x->peer, cx->now_ms);
		return challenge(x);
	}
	if (have_d)
		cache_put(aw, d, cx->now_ms);
	return true;
}
