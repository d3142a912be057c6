/* See acme_client.h. */
#include "acme/acme_client.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acme/acme_http.h"
#include "acme/csr.h"
#include "acme/jws.h"

#define ACME_NONCE_RETRIES 20 /* a CA refusing half its nonces still gets through */
#define ACME_POLL_MAX_S 5     /* longest wait between two polls */

struct acme_client {
	struct acme_http *http;
	char *new_nonce, *new_account, *new_order;
	char *nonce;           /* the freshest Replay-Nonce */
	struct jws_key *key;   /* the account key (not owned) */
	char *kid;             /* the account URL */
	char *thumbprint;
	struct acme_failure last;
};

static char *dup_member(json_t *obj, const char *name)
{
	const char *s = json_string_value(json_object_get(obj, name));
	return s ? strdup(s) : NULL;
}

/* The problem document of a failed response as "type: detail". */
static void problem(const struct acme_http_resp *r, const char *what, char *err, size_t errlen,
		    struct acme_failure *fail)
{
	json_t *doc = json_loads(r->body, 0, NULL);
	const char *type = json_string_value(json_object_get(doc, "type"));
	const char *detail = json_string_value(json_object_get(doc, "detail"));

	if (fail) {
		fail->retry_after = r->retry_after;
		fail->rate_limited = type && strcmp(type, "urn:ietf:params:acme:error:rateLimited") == 0;
	}
	if (type)
		snprintf(err, errlen, "%s: %s: %s", what, type, detail ? detail : "(no detail)");
	else
		snprintf(err, errlen, "%s: HTTP %ld", what, r->status);
	json_decref(doc);
}

static bool is_bad_nonce(const struct acme_http_resp *r)
{
	json_t *doc;
	const char *type;
	bool bad;

	if (r->status != 400)
		return false;
	doc = json_loads(r->body, 0, NULL);
	type = json_string_value(json_object_get(doc, "type"));
	bad = type && strcmp(type, "urn:ietf:params:acme:error:badNonce") == 0;
	json_decref(doc);
	return bad;
}

static void take_nonce(struct acme_client *c, struct acme_http_resp *r)
{
	if (r->nonce) {
		free(c->nonce);
		c->nonce = r->nonce;
		r->nonce = NULL;
	}
}

static int fetch_nonce(struct acme_client *c, char *err, size_t errlen)
{
	struct acme_http_resp r;

	if (acme_http_do(c->http, "HEAD", c->new_nonce, NULL, &r, err, errlen))
		return -1;
	take_nonce(c, &r);
	acme_http_resp_free(&r);
	if (!c->nonce) {
		snprintf(err, errlen, "%s: no Replay-Nonce", c->new_nonce);
		return -1;
	}
	return 0;
}

/* A signed POST (payload NULL: POST-as-GET). Each nonce is used once; a
 * badNonce answer carries a fresh one, and the request is signed again
 * with it (RFC 8555 §6.5). r is the final response, whatever its status. */
static int post(struct acme_client *c, const char *url, const char *payload, bool use_kid,
		struct acme_http_resp *r, char *err, size_t errlen)
{
	for (int attempt = 0; attempt <= ACME_NONCE_RETRIES; attempt++) {
		char *jws, *nonce;

		if (!c->nonce && fetch_nonce(c, err, errlen))
			return -1;
		nonce = c->nonce;
		c->nonce = NULL;
		jws = jws_sign(c->key, use_kid ? c->kid : NULL, nonce, url, payload);
		free(nonce);
		if (!jws) {
			snprintf(err, errlen, "cannot sign the request (out of memory?)");
			return -1;
		}
		int rc = acme_http_do(c->http, "POST", url, jws, r, err, errlen);
		free(jws);
		if (rc)
			return -1;
		take_nonce(c, r);
		if (!is_bad_nonce(r))
			return 0;
		acme_http_resp_free(r);
	}
	snprintf(err, errlen, "%s: badNonce %d times in a row", url, ACME_NONCE_RETRIES + 1);
	return -1;
}

/* A signed POST whose answer must be a JSON object with a 2xx status. */
static json_t *post_json(struct acme_client *c, const char *url, const char *payload,
			 const char *what, char **location, char *err, size_t errlen)
{
	struct acme_http_resp r;
	json_t *doc;

	if (post(c, url, payload, true, &r, err, errlen))
		return NULL;
	if (r.status / 100 != 2) {
		problem(&r, what, err, errlen, &c->last);
		acme_http_resp_free(&r);
		return NULL;
	}
	doc = json_loads(r.body, 0, NULL);
	if (!json_is_object(doc)) {
		snprintf(err, errlen, "%s: the server's answer is not a JSON object", what);
		json_decref(doc);
		doc = NULL;
	} else if (location) {
		*location = r.location;
		r.location = NULL;
	}
	acme_http_resp_free(&r);
	return doc;
}

struct acme_client *acme_client_new(const char *directory_url, const char *ca_file, char **terms,
				    char *err, size_t errlen)
{
	struct acme_client *c = calloc(1, sizeof(*c));
	struct acme_http_resp r = { 0 };
	json_t *dir = NULL;

	if (terms)
		*terms = NULL;
	if (!c || !(c->http = acme_http_new(ca_file))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->last.retry_after = -1;
	if (acme_http_do(c->http, "GET", directory_url, NULL, &r, err, errlen))
		goto fail;
	if (r.status != 200) {
		problem(&r, "directory", err, errlen, &c->last);
		goto fail;
	}
	dir = json_loads(r.body, 0, NULL);
	c->new_nonce = dup_member(dir, "newNonce");
	c->new_account = dup_member(dir, "newAccount");
	c->new_order = dup_member(dir, "newOrder");
	if (!c->new_nonce || !c->new_account || !c->new_order) {
		snprintf(err, errlen, "%s: not an ACME directory", directory_url);
		goto fail;
	}
	if (terms)
		*terms = dup_member(json_object_get(dir, "meta"), "termsOfService");
	json_decref(dir);
	acme_http_resp_free(&r);
	return c;
fail:
	json_decref(dir);
	acme_http_resp_free(&r);
	acme_client_free(c);
	return NULL;
}

void acme_client_free(struct acme_client *c)
{
	if (!c)
		return;
	acme_http_free(c->http);
	free(c->new_nonce);
	free(c->new_account);
	free(c->new_order);
	free(c->nonce);
	free(c->kid);
	free(c->thumbprint);
	free(c);
}

int acme_client_account(struct acme_client *c, struct jws_key *key, const char *email,
			bool agree_tos, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:b}", "termsOfServiceAgreed", agree_tos);
	struct acme_http_resp r;
	char *payload;
	int rc = -1;

	c->key = key;
	free(c->thumbprint);
	c->thumbprint = jws_thumbprint(key);
	if (email && *email) {
		char *mailto;
		if (asprintf(&mailto, "mailto:%s", email) < 0)
			mailto = NULL;
		json_object_set_new(req, "contact", json_pack("[s]", mailto ? mailto : ""));
		free(mailto);
	}
	payload = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!payload || !c->thumbprint) {
		free(payload);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* newAccount is signed with the jwk: there is no kid yet (§7.3).
	 * For a key already registered the server answers 200 with the same
	 * Location, so this also finds an existing account. */
	if (post(c, c->new_account, payload, false, &r, err, errlen) == 0) {
		if (r.status / 100 != 2)
			problem(&r, "account", err, errlen, &c->last);
		else if (!r.location)
			snprintf(err, errlen, "account: no Location in the answer");
		else {
			free(c->kid);
			c->kid = r.location;
			r.location = NULL;
			rc = 0;
		}
		acme_http_resp_free(&r);
	}
	free(payload);
	return rc;
}

static void wait_s(long s)
{
	struct timespec ts = { .tv_sec = s < 1 ? 1 : (s > ACME_POLL_MAX_S ? ACME_POLL_MAX_S : s) };
	nanosleep(&ts, NULL);
}

static const char *status_of(json_t *obj)
{
	const char *s = json_string_value(json_object_get(obj, "status"));
	return s ? s : "";
}

/* The challenge of the kind we can answer, preferring TLS-ALPN-01 (no
 * second port needed). */
static json_t *pick_challenge(json_t *authz, const struct acme_responder *rs,
			      enum acme_challenge_type *type)
{
	json_t *list = json_object_get(authz, "challenges"), *ch, *http = NULL;
	size_t i;

	json_array_foreach(list, i, ch) {
		const char *t = json_string_value(json_object_get(ch, "type"));
		if (!t)
			continue;
		if (rs->can_tls_alpn && strcmp(t, "tls-alpn-01") == 0) {
			*type = ACME_TLS_ALPN_01;
			return ch;
		}
		if (rs->can_http && strcmp(t, "http-01") == 0)
			http = ch;
	}
	*type = ACME_HTTP_01;
	return http;
}

/* Error of a failed challenge, from the challenge object (§7.1.5). */
static void challenge_error(json_t *authz, const char *name, char *err, size_t errlen)
{
	json_t *list = json_object_get(authz, "challenges"), *ch;
	size_t i;

	json_array_foreach(list, i, ch) {
		json_t *e = json_object_get(ch, "error");
		if (e) {
			const char *type = json_string_value(json_object_get(e, "type"));
			const char *detail = json_string_value(json_object_get(e, "detail"));
			snprintf(err, errlen, "challenge %s failed: %s: %s",
				 json_string_value(json_object_get(ch, "type")) ?: "?",
				 type ? type : "?", detail ? detail : "(no detail)");
			return;
		}
	}
	snprintf(err, errlen, "authorization for %s is %s", name, status_of(authz));
}

static void say(const struct acme_responder *rs, const char *name, const char *what)
{
	if (rs->progress)
		rs->progress(rs->arg, name, what);
}

static int authorize(struct acme_client *c, const char *url, const struct acme_responder *rs,
		     time_t deadline, char *err, size_t errlen)
{
	json_t *authz = post_json(c, url, NULL, "authorization", NULL, err, errlen), *ch;
	enum acme_challenge_type type;
	const char *name, *token, *ch_url;
	char *key_auth = NULL;
	int rc = -1;
	bool published = false;

	if (!authz)
		return -1;
	name = json_string_value(json_object_get(json_object_get(authz, "identifier"), "value"));
	if (!name)
		name = "?";
	if (strcmp(status_of(authz), "valid") == 0) {
		json_decref(authz);
		return 0; /* reused: nothing to prove */
	}
	ch = pick_challenge(authz, rs, &type);
	token = json_string_value(json_object_get(ch, "token"));
	ch_url = json_string_value(json_object_get(ch, "url"));
	if (!ch || !token || !ch_url) {
		snprintf(err, errlen, "no challenge eisd can answer for %s (%s)", name,
			 rs->can_http ? "tls-alpn-01, http-01" : "tls-alpn-01; http-01 needs --redirect-http");
		goto out;
	}
	/* A token is base64url by §8.1: anything else could not be a file
	 * name or a key authorization, and is refused. */
	for (const char *p = token; *p; p++)
		if (!(*p == '-' || *p == '_' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
			snprintf(err, errlen, "the challenge token for %s is not base64url", name);
			goto out;
		}
	if (asprintf(&key_auth, "%s.%s", token, c->thumbprint) < 0) {
		key_auth = NULL;
		goto out;
	}
	char *name_copy = strdup(name), *token_copy = strdup(token), *url_copy = strdup(ch_url);
	json_decref(authz);
	authz = NULL;
	if (!name_copy || !token_copy || !url_copy ||
	    rs->publish(rs->arg, type, name_copy, token_copy, key_auth)) {
		snprintf(err, errlen, "cannot publish the challenge answer");
		free(name_copy);
		free(token_copy);
		free(url_copy);
		goto out;
	}
	published = true;
	json_t *resp = post_json(c, url_copy, "{}", "challenge", NULL, err, errlen);
	json_decref(resp);
	if (resp) {
		for (;;) {
			authz = post_json(c, url, NULL, "authorization", NULL, err, errlen);
			if (!authz)
				break;
			const char *st = status_of(authz);
			if (strcmp(st, "valid") == 0) {
				say(rs, name_copy, type == ACME_TLS_ALPN_01 ? "challenge tls-alpn-01 validated"
									    : "challenge http-01 validated");
				rc = 0;
				break;
			}
			if (strcmp(st, "pending") != 0 && strcmp(st, "processing") != 0) {
				challenge_error(authz, name_copy, err, errlen);
				break;
			}
			json_decref(authz);
			authz = NULL;
			if (time(NULL) >= deadline) {
				snprintf(err, errlen, "the challenge was not validated in time");
				break;
			}
			wait_s(1);
		}
	}
	rs->withdraw(rs->arg, type, name_copy, token_copy);
	published = false;
	free(name_copy);
	free(token_copy);
	free(url_copy);
out:
	(void)published;
	free(key_auth);
	json_decref(authz);
	return rc;
}

/* Polls the order until it leaves "processing" (or pending/ready for
 * callers that wait for those). */
static json_t *poll_order(struct acme_client *c, const char *url, const char *until,
			  time_t deadline, char *err, size_t errlen)
{
	for (;;) {
		json_t *order = post_json(c, url, NULL, "order", NULL, err, errlen);
		if (!order)
			return NULL;
		const char *st = status_of(order);
		if (strcmp(st, until) == 0)
			return order;
		if (strcmp(st, "invalid") == 0) {
			json_t *e = json_object_get(order, "error");
			snprintf(err, errlen, "order invalid: %s: %s",
				 json_string_value(json_object_get(e, "type")) ?: "?",
				 json_string_value(json_object_get(e, "detail")) ?: "(no detail)");
			json_decref(order);
			return NULL;
		}
		json_decref(order);
		if (time(NULL) >= deadline) {
			snprintf(err, errlen, "order: not %s in time (still %s)", until, st);
			return NULL;
		}
		wait_s(1);
	}
}

int acme_client_order(struct acme_client *c, const char *const *names, size_t n,
		      const struct acme_responder *rs, long deadline_s, char **chain_pem,
		      char **key_pem, struct acme_failure *fail, char *err, size_t errlen)
{
	time_t deadline = time(NULL) + deadline_s;
	json_t *ids = json_array(), *order = NULL, *req;
	char *payload = NULL, *order_url = NULL, *csr = NULL, *cert_key = NULL;
	struct acme_http_resp r = { 0 };
	int rc = -1;
	size_t i;
	json_t *a;

	*chain_pem = *key_pem = NULL;
	err[0] = '\0';
	c->last.retry_after = -1;
	c->last.rate_limited = false;
	for (i = 0; i < n; i++)
		json_array_append_new(ids, json_pack("{s:s,s:s}", "type", "dns", "value", names[i]));
	req = json_pack("{s:o}", "identifiers", ids);
	payload = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!payload)
		goto out;
	order = post_json(c, c->new_order, payload, "new order", &order_url, err, errlen);
	if (!order)
		goto out;
	if (!order_url) {
		snprintf(err, errlen, "new order: no Location in the answer");
		goto out;
	}
	say(rs, names[0], "order placed");
	json_array_foreach(json_object_get(order, "authorizations"), i, a) {
		const char *url = json_string_value(a);
		if (!url || authorize(c, url, rs, deadline, err, errlen))
			goto out;
	}
	json_decref(order);
	order = poll_order(c, order_url, "ready", deadline, err, errlen);
	if (!order)
		goto out;
	const char *finalize = json_string_value(json_object_get(order, "finalize"));
	csr = acme_csr_new(names, n, &cert_key);
	if (!finalize || !csr) {
		snprintf(err, errlen, "%s", finalize ? "cannot make the CSR" : "order: no finalize URL");
		goto out;
	}
	free(payload);
	req = json_pack("{s:s}", "csr", csr);
	payload = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	json_t *fin = post_json(c, finalize, payload, "finalize", NULL, err, errlen);
	if (!fin)
		goto out;
	json_decref(fin);
	json_decref(order);
	order = poll_order(c, order_url, "valid", deadline, err, errlen);
	if (!order)
		goto out;
	const char *cert_url = json_string_value(json_object_get(order, "certificate"));
	if (!cert_url) {
		snprintf(err, errlen, "order: valid but no certificate URL");
		goto out;
	}
	if (post(c, cert_url, NULL, true, &r, err, errlen))
		goto out;
	if (r.status != 200 || strstr(r.body, "-----BEGIN CERTIFICATE-----") == NULL) {
		problem(&r, "certificate download", err, errlen, &c->last);
		goto out;
	}
	*chain_pem = r.body;
	r.body = NULL;
	*key_pem = cert_key;
	cert_key = NULL;
	rc = 0;
out:
	if (rc && !err[0])
		snprintf(err, errlen, "out of memory");
	if (fail)
		*fail = c->last;
	acme_http_resp_free(&r);
	json_decref(order);
	free(payload);
	free(order_url);
	free(csr);
	free(cert_key);
	return rc;
}
