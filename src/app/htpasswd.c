/* --auth-file: an htpasswd file into an auth_db (http/auth.h), once at
 * start and on each reload. Only hashes libcrypt verifies slowly are
 * taken: bcrypt ($2y$, $2b$) and SHA-crypt ($5$, $6$). MD5 ($apr1$, $1$),
 * SHA-1 ({SHA}), crypt(3) DES and plain passwords are refused with the
 * line, so a weak file never goes live. */
#include "app/site_options.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/auth.h"

#define HTPASSWD_MAX_BYTES (1 << 20)
#define HTPASSWD_MAX_USERS 10000

#define set_err opt_err

static const char *refused_kind(const char *h)
{
	if (strncmp(h, "$apr1$", 6) == 0 || strncmp(h, "$1$", 3) == 0)
		return "MD5 hashes are not accepted";
	if (strncmp(h, "{SHA}", 5) == 0)
		return "SHA-1 ({SHA}) hashes are not accepted";
	if (strncmp(h, "$2y$", 4) == 0 || strncmp(h, "$2b$", 4) == 0 ||
	    strncmp(h, "$5$", 3) == 0 || strncmp(h, "$6$", 3) == 0)
		return NULL;
	return "plain-text or unknown password entries are not accepted";
}

/* libcrypt takes the hash as its own setting: a hash it cannot use
 * gives NULL or a string starting with '*'. */
static bool crypt_takes(const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	bool ok;

	if (!cd)
		return false;
	out = crypt_r("", hash, cd);
	ok = out && out[0] != '*' && strlen(out) == strlen(hash);
	free(cd);
	return ok;
}

static char *read_all(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *text;
	ssize_t got;

	if (fd < 0) {
		set_err(err, errlen, "--auth-file '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > HTPASSWD_MAX_BYTES) {
		set_err(err, errlen, "--auth-file '%s': not a regular file of at most %d bytes",
			path, HTPASSWD_MAX_BYTES);
		close(fd);
		return NULL;
	}
	text = malloc((size_t)st.st_size + 1);
	got = text ? read(fd, text, (size_t)st.st_size) : -1;
	close(fd);
	if (got < 0) {
		set_err(err, errlen, "--auth-file '%s': %s", path, text ? strerror(errno) : "out of memory");
		free(text);
		return NULL;
	}
	text[got] = '\0';
	return text;
}

static int add_user(struct auth_db *db, const char *name, size_t nlen, const char *hash,
		    size_t hlen)
{
	struct auth_user *u;

	if (db->nusers % 64 == 0) {
		u = realloc(db->users, (db->nusers + 64) * sizeof(*u));
		if (!u)
			return -1;
		db->users = u;
	}
	u = &db->users[db->nusers];
	u->name = strndup(name, nlen);
	u->hash = strndup(hash, hlen);
	if (!u->name || !u->hash) {
		free(u->name);
		free(u->hash);
		return -1;
	}
	db->nusers++;
	return 0;
}

static int parse(struct auth_db *db, const char *path, char *text, char *err, size_t errlen)
{
	unsigned lineno = 0;

	for (char *line = text, *next; line && *line; line = next) {
		char *nl = strchr(line, '\n'), *colon, *hash;
		size_t n;
		const char *why;

		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		colon = strchr(line, ':');
		if (!colon || colon == line || colon - line > AUTH_MAX_USER) {
			set_err(err, errlen, "%s:%u: expected user:hash", path, lineno);
			return -1;
		}
		hash = colon + 1;
		/* Apache's format allows a trailing ":comment" field. */
		if (strchr(hash, ':'))
			*strchr(hash, ':') = '\0';
		why = refused_kind(hash);
		if (!why && !crypt_takes(hash))
			why = "this hash is not one libcrypt can verify";
		if (why) {
			set_err(err, errlen, "%s:%u: user '%.*s': %s (use bcrypt: htpasswd -B)", path,
				lineno, (int)(colon - line), line, why);
			return -1;
		}
		if (db->nusers == HTPASSWD_MAX_USERS) {
			set_err(err, errlen, "%s:%u: more than %d users", path, lineno, HTPASSWD_MAX_USERS);
			return -1;
		}
		if (add_user(db, line, (size_t)(colon - line), hash, strlen(hash))) {
			set_err(err, errlen, "out of memory");
			return -1;
		}
	}
	if (db->nusers == 0) {
		set_err(err, errlen, "%s: no users", path);
		return -1;
	}
	return 0;
}

int site_load_auth(struct config *cfg, char *err, size_t errlen)
{
	const char *realm = cfg->auth_realm ? cfg->auth_realm : "eisd";
	struct auth_db *db;
	char *text;
	size_t clen;
	int rc;

	if (!cfg->auth_file)
		return 0;
	text = read_all(cfg->auth_file, err, errlen);
	if (!text)
		return -1;
	db = calloc(1, sizeof(*db));
	if (!db) {
		free(text);
		set_err(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&db->lock, NULL);
	rc = parse(db, cfg->auth_file, text, err, errlen);
	memset(text, 0, strlen(text));
	free(text);
	clen = strlen(realm) + 40;
	if (rc == 0 && (db->challenge = malloc(clen)) == NULL) {
		set_err(err, errlen, "out of memory");
		rc = -1;
	}
	if (rc == 0 && getrandom(db->key, sizeof(db->key), 0) != (ssize_t)sizeof(db->key)) {
		set_err(err, errlen, "--auth-file: no random bytes: %s", strerror(errno));
		rc = -1;
	}
	if (rc) {
		auth_db_free(db);
		return -1;
	}
	snprintf(db->challenge, clen, "Basic realm=\"%s\", charset=\"UTF-8\"", realm);
	cfg->auth_db = db;
	return 0;
}
