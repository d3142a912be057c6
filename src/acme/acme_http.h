/* HTTPS to the ACME server, through libcurl (the only file that includes
 * it). Blocking: it runs on the ACME thread, never on a worker. */
#ifndef EISD_ACME_HTTP_H
#define EISD_ACME_HTTP_H

#include <stddef.h>

struct acme_http;

struct acme_http_resp {
	long status;        /* HTTP status */
	char *body;         /* NUL-terminated; malloc'd */
	size_t len;
	char *nonce;        /* Replay-Nonce, or NULL */
	char *location;     /* Location, or NULL */
	char *content_type; /* Content-Type, or NULL */
	long retry_after;   /* Retry-After in seconds; -1 when absent */
};

/* ca_file: trust for the ACME server (NULL: the system's). */
struct acme_http *acme_http_new(const char *ca_file);
void acme_http_free(struct acme_http *h);

/* method "GET", "HEAD" or "POST" (body with Content-Type
 * application/jose+json). Responses are bounded (a directory or a
 * certificate chain is a few KiB; anything past 1 MiB is refused). Returns
 * 0 when an HTTP response arrived (any status), -1 with err set when not. */
int acme_http_do(struct acme_http *h, const char *method, const char *url, const char *body,
		 struct acme_http_resp *r, char *err, size_t errlen);
void acme_http_resp_free(struct acme_http_resp *r);

#endif
