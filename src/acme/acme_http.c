/* See acme_http.h. */
#include "acme/acme_http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACME_HTTP_MAX_BODY (1u << 20)
#define ACME_HTTP_TIMEOUT_S 30L

struct acme_http {
	CURL *curl;
	char *ca_file;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct acme_http *acme_http_new(const char *ca_file)
{
	struct acme_http *h = calloc(1, sizeof(*h));

	pthread_once(&curl_once, curl_init_once);
	if (!h)
		return NULL;
	h->curl = curl_easy_init();
	h->ca_file = ca_file ? strdup(ca_file) : NULL;
	if (!h->curl || (ca_file && !h->ca_file)) {
		acme_http_free(h);
		return NULL;
	}
	return h;
}

void acme_http_free(struct acme_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->ca_file);
	free(h);
}

void acme_http_resp_free(struct acme_http_resp *r)
{
	free(r->body);
	free(r->nonce);
	free(r->location);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct acme_http_resp *r = arg;
	size_t len = size * n;
	char *nb;

	if (r->len + len > ACME_HTTP_MAX_BODY)
		return 0; /* libcurl fails the transfer */
	nb = realloc(r->body, r->len + len + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->len, p, len);
	r->body = nb;
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/* The value of "Name: value\r\n" when the line is that header. */
static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *v, *end = line + len;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	v = line + n + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return strndup(v, (size_t)(end - v));
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct acme_http_resp *r = arg;
	size_t len = size * n;
	char *v;

	/* A new response (after a redirect or 100) starts a new header set. */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		free(r->nonce);
		free(r->location);
		free(r->content_type);
		r->nonce = r->location = r->content_type = NULL;
		r->retry_after = -1;
	} else if ((v = header_value(p, len, "Replay-Nonce"))) {
		free(r->nonce);
		r->nonce = v;
	} else if ((v = header_value(p, len, "Location"))) {
		free(r->location);
		r->location = v;
	} else if ((v = header_value(p, len, "Content-Type"))) {
		free(r->content_type);
		r->content_type = v;
	} else if ((v = header_value(p, len, "Retry-After"))) {
		/* Seconds; an HTTP-date is treated as "a while". */
		char *end;
		long s = strtol(v, &end, 10);
		r->retry_after = (end != v && *end == '\0' && s >= 0) ? s : 60;
		free(v);
	}
	return len;
}

int acme_http_do(struct acme_http *h, const char *method, const char *url, const char *body,
		 struct acme_http_resp *r, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *c = h->curl;

	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, ACME_HTTP_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "eisd/" EISD_VERSION " (ACME)");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (h->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "POST") == 0) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/jose+json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	}
	rc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", url, cerr[0] ? cerr : curl_easy_strerror(rc));
		acme_http_resp_free(r);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (!r->body) {
		r->body = strdup("");
		if (!r->body) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}
