/* See acme.h: the ACME thread, its schedule, and the first start. */
#include "acme/acme.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "acme/acme_client.h"
#include "acme/challenges.h"
#include "acme/csr.h"
#include "acme/jws.h"
#include "acme/schedule.h"
#include "acme/store.h"

#define ACCOUNT_KEY "account.key"
#define RENEW_DEADLINE_S 300 /* one renewal attempt, all requests */
#define DAY (24L * 3600)

struct acme_name {
	const char *domain;
	time_t not_before, not_after; /* of the certificate served; 0: none */
	time_t next;                  /* when to try to renew */
	unsigned failures;
	time_t warned;                /* last expiry warning */
};

struct acme_manager {
	struct acme_settings set;
	struct acme_hooks hooks;
	struct acme_name names[ACME_MAX_DOMAINS];
	struct jws_key *account;
	bool account_created;  /* made by this start: the CA has not seen it */
	pthread_t thread;
	bool running;
	bool abandoned;        /* the thread outlived stop: never free m */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
};

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress and trouble, one line each on stderr (the ACME thread never
 * holds a lock while it writes). */
static void note(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fputs("eisd: acme: ", stderr);
	fwrite(line, 1, (size_t)n, stderr);
	fflush(stderr);
}

void acme_default_storage(char *out, size_t len)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		snprintf(out, len, "/var/lib/eisd/acme");
	else if (xdg && *xdg == '/')
		snprintf(out, len, "%s/eisd/acme", xdg);
	else
		snprintf(out, len, "%s/.local/share/eisd/acme", home && *home ? home : ".");
}

struct acme_manager *acme_manager_new(const struct acme_settings *set,
				      const struct acme_hooks *hooks)
{
	struct acme_manager *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->set = *set;
	m->hooks = *hooks;
	for (int i = 0; i < set->ndomains; i++)
		m->names[i].domain = set->domains[i];
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	return m;
}

void acme_manager_free(struct acme_manager *m)
{
	if (!m)
		return;
	acme_manager_stop(m);
	if (m->abandoned)
		return;
	jws_key_free(m->account);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
}

static double jitter(void)
{
	unsigned r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned)time(NULL);
	return (double)(r % 10000) / 10000.0;
}

/* ---- challenge answers, through the hooks ---- */

static int publish(void *arg, enum acme_challenge_type type, const char *name, const char *token,
		   const char *key_auth)
{
	struct acme_manager *m = arg;
	char *cert = NULL, *key = NULL;
	int rc;

	if (type == ACME_HTTP_01)
		return acme_http01_publish(token, key_auth);
	if (acme_alpn_cert(name, key_auth, &cert, &key))
		return -1;
	rc = m->hooks.alpn_challenge(m->hooks.arg, name, cert, key);
	free(cert);
	free(key);
	return rc;
}

static void withdraw(void *arg, enum acme_challenge_type type, const char *name, const char *token)
{
	struct acme_manager *m = arg;

	if (type == ACME_HTTP_01)
		acme_http01_withdraw(token);
	else
		m->hooks.alpn_challenge(m->hooks.arg, name, NULL, NULL);
}

static void progress(void *arg, const char *name, const char *what)
{
	note("%s: %s", name, what);
}

/* ---- storage ---- */

/* The account key, made and stored on first use. */
static int load_account(struct acme_manager *m, bool *created, char *err, size_t errlen)
{
	size_t len;
	bool missing;
	char *pem = acme_store_read(m->set.storage, ACCOUNT_KEY, &len, &missing, err, errlen);

	*created = false;
	if (pem) {
		m->account = jws_key_from_pem(pem, len);
		free(pem);
		if (m->account)
			return 0;
		char aside[4300];
		acme_store_set_aside(m->set.storage, ACCOUNT_KEY, aside, sizeof(aside));
		note("%s/%s: not a P-256 private key; set aside as %s", m->set.storage, ACCOUNT_KEY,
		     aside);
	} else if (!missing) {
		return -1;
	}
	m->account = jws_key_generate();
	pem = m->account ? jws_key_to_pem(m->account) : NULL;
	if (!pem) {
		snprintf(err, errlen, "cannot make an account key");
		return -1;
	}
	int rc = acme_store_write(m->set.storage, ACCOUNT_KEY, pem, strlen(pem), 0600, err, errlen);
	free(pem);
	*created = true;
	return rc;
}

/* A key made for an account the CA never saw: forget it, so the next
 * start is a first use again (and asks for the terms once more). */
static void forget_account(struct acme_manager *m)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", m->set.storage, ACCOUNT_KEY);
	unlink(path);
}

static void schedule_renewal(struct acme_name *n)
{
	n->next = acme_renew_at(n->not_before, n->not_after);
	n->failures = 0;
}

static char *utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* Looks at what is stored for n before TLS loads it: a certificate that
 * does not parse, or a key that is not its key, is set aside (never
 * overwritten) and reported, so TLS starts without it and a new one is
 * ordered. A good pair leaves its validity in n. */
static void vet_stored(struct acme_manager *m, struct acme_name *n)
{
	char crt[300], key[300], e2[256], aside[4300];
	size_t clen = 0, klen = 0;
	bool cmiss, kmiss;
	char *chain, *pkey;
	time_t nb, na;

	acme_store_names(n->domain, crt, key, sizeof(crt));
	chain = acme_store_read(m->set.storage, crt, &clen, &cmiss, e2, sizeof(e2));
	pkey = acme_store_read(m->set.storage, key, &klen, &kmiss, e2, sizeof(e2));
	if (chain && acme_cert_validity(chain, clen, &nb, &na)) {
		acme_store_set_aside(m->set.storage, crt, aside, sizeof(aside));
		note("%s/%s: not a PEM certificate; set aside as %s", m->set.storage, crt, aside);
	} else if (chain && pkey && !acme_pair_matches(chain, clen, pkey, klen)) {
		acme_store_set_aside(m->set.storage, key, aside, sizeof(aside));
		note("%s/%s: not the key of %s; set aside as %s", m->set.storage, key, crt, aside);
	} else if (chain && !pkey && !kmiss) {
		note("%s", e2);
	} else if (chain && pkey && na > time(NULL)) {
		n->not_before = nb;
		n->not_after = na;
		schedule_renewal(n);
	}
	free(chain);
	if (pkey)
		explicit_bzero(pkey, klen);
	free(pkey);
}

int acme_manager_prepare(struct acme_manager *m, char *err, size_t errlen)
{
	if (acme_store_open(m->set.storage, err, errlen) ||
	    load_account(m, &m->account_created, err, errlen))
		return -1;
	for (int i = 0; i < m->set.ndomains; i++)
		vet_stored(m, &m->names[i]);
	return 0;
}

/* One issuance for n: order, store, install. */
static int obtain(struct acme_manager *m, struct acme_client *c, struct acme_name *n,
		  long deadline_s, struct acme_failure *fail, char *err, size_t errlen)
{
	const struct acme_responder rs = {
		.can_tls_alpn = m->set.tls_alpn01,
		.can_http = m->set.http01,
		.publish = publish,
		.withdraw = withdraw,
		.progress = progress,
		.arg = m,
	};
	const char *names[1] = { n->domain };
	char *chain = NULL, *key = NULL, crt[300], kname[300], when[64];
	time_t nb, na;
	int rc = -1;

	if (acme_client_order(c, names, 1, &rs, deadline_s, &chain, &key, fail, err, errlen))
		return -1;
	if (acme_cert_validity(chain, strlen(chain), &nb, &na)) {
		snprintf(err, errlen, "%s: the CA sent a chain that does not parse", n->domain);
		goto out;
	}
	acme_store_names(n->domain, crt, kname, sizeof(crt));
	/* The key first: a certificate on disk never lacks its key. */
	if (acme_store_write(m->set.storage, kname, key, strlen(key), 0600, err, errlen) ||
	    acme_store_write(m->set.storage, crt, chain, strlen(chain), 0644, err, errlen) ||
	    m->hooks.install(m->hooks.arg, n->domain, chain, key, err, errlen))
		goto out;
	n->not_before = nb;
	n->not_after = na;
	schedule_renewal(n);
	note("%s: certificate issued, valid until %s", n->domain, utc(na, when, sizeof(when)));
	rc = 0;
out:
	free(chain);
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	return rc;
}

static struct acme_client *connect_ca(struct acme_manager *m, bool first_use, char *err,
				      size_t errlen)
{
	char *terms = NULL;
	struct acme_client *c = acme_client_new(m->set.directory, m->set.ca_file, &terms, err, errlen);

	if (!c)
		return NULL;
	if (first_use && !m->set.agree_tos) {
		snprintf(err, errlen,
			 "the CA's terms of service (%s) must be agreed to first: add --acme-agree-tos",
			 terms ? terms : m->set.directory);
		free(terms);
		acme_client_free(c);
		return NULL;
	}
	free(terms);
	if (acme_client_account(c, m->account, m->set.email, m->set.agree_tos || !first_use, err,
				errlen)) {
		acme_client_free(c);
		return NULL;
	}
	return c;
}

int acme_manager_start(struct acme_manager *m, long deadline_s, char *err, size_t errlen)
{
	struct acme_client *c = NULL;
	struct acme_failure fail;
	bool need = false;
	char e2[512];

	for (int i = 0; i < m->set.ndomains; i++)
		need |= m->names[i].not_after == 0;
	if (!need)
		return 0; /* everything stored is good: no word to the CA */
	c = connect_ca(m, m->account_created, e2, sizeof(e2));
	if (!c) {
		if (m->account_created) /* the CA never saw it: still a first use */
			forget_account(m);
		snprintf(err, errlen, "%s", e2);
		return -1;
	}
	m->account_created = false;
	for (int i = 0; i < m->set.ndomains; i++) {
		struct acme_name *n = &m->names[i];
		if (n->not_after)
			continue;
		if (obtain(m, c, n, deadline_s, &fail, e2, sizeof(e2))) {
			snprintf(err, errlen, "%s: %s", n->domain, e2);
			acme_client_free(c);
			return -1;
		}
	}
	acme_client_free(c);
	return 0;
}

/* ---- the renewal thread ---- */

/* One pass over the names that are due. Returns when the next is due. */
static time_t renew_due(struct acme_manager *m)
{
	time_t now = time(NULL), next = now + DAY;
	struct acme_client *c = NULL;
	char err[512], when[64];

	for (int i = 0; i < m->set.ndomains; i++) {
		struct acme_name *n = &m->names[i];
		struct acme_failure fail = { .retry_after = -1 };

		if (n->next <= now) {
			err[0] = '\0';
			if (!c)
				c = connect_ca(m, false, err, sizeof(err));
			if (c && obtain(m, c, n, RENEW_DEADLINE_S, &fail, err, sizeof(err)) == 0) {
				note("%s: renewed", n->domain);
			} else {
				long wait = acme_backoff(++n->failures, fail.retry_after, jitter());
				n->next = time(NULL) + wait;
				note("%s: renewal failed (%s); next try in %ld s", n->domain, err, wait);
				if (!c) { /* the CA is unreachable: the others wait too */
					for (int j = i + 1; j < m->set.ndomains; j++)
						if (m->names[j].next <= now)
							m->names[j].next = n->next;
				}
			}
		}
		/* Not renewed and close to the end: say so once a day. */
		now = time(NULL);
		if (n->failures && n->not_after - now < 7 * DAY && now - n->warned >= DAY) {
			n->warned = now;
			note("warning: %s: the certificate could not be renewed and expires %s",
			     n->domain, utc(n->not_after, when, sizeof(when)));
		}
		if (n->next < next)
			next = n->next;
		if (n->failures && n->warned + DAY < next)
			next = n->warned + DAY;
	}
	acme_client_free(c);
	return next;
}

static void *run(void *arg)
{
	struct acme_manager *m = arg;

	pthread_mutex_lock(&m->lock);
	while (!m->stop) {
		pthread_mutex_unlock(&m->lock);
		time_t next = renew_due(m);
		pthread_mutex_lock(&m->lock);
		struct timespec ts = { .tv_sec = next };
		while (!m->stop && time(NULL) < next)
			if (pthread_cond_timedwait(&m->cond, &m->lock, &ts) == ETIMEDOUT)
				break;
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int acme_manager_run(struct acme_manager *m)
{
	sigset_t all, old;
	int rc;

	/* Signals are the main thread's: this thread must never take one. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&m->thread, NULL, run, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -1;
	m->running = true;
	return 0;
}

void acme_manager_stop(struct acme_manager *m)
{
	struct timespec ts;

	if (!m->running)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = true;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
	/* A renewal in flight may wait on the CA for minutes: shutdown does
	 * not wait for it (the process is about to exit; the thread keeps
	 * the manager, which is then never freed). */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	if (pthread_timedjoin_np(m->thread, NULL, &ts) != 0) {
		pthread_detach(m->thread);
		m->abandoned = true;
	}
	m->running = false;
}
