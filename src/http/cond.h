/* Validators and conditional requests (RFC 9110 §8.8, §13). Pure: no I/O,
 * no allocation, no global state. */
#ifndef EISD_COND_H
#define EISD_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include "http/http_parse.h"

/* Longest ETag cond_etag_make writes, quotes and NUL included. */
#define COND_ETAG_MAX 64

/* What a representation is compared against. */
struct cond_validators {
	const char *etag;     /* strong entity-tag with its quotes */
	size_t etag_len;
	time_t last_modified; /* as sent in Last-Modified (whole seconds) */
	/* The Last-Modified date may serve as a strong validator (If-Range):
	 * the file was last changed at least a second before the response,
	 * so a second change within that same second cannot hide behind it
	 * (RFC 9110 §8.8.2.2). */
	bool last_modified_strong;
};

/* Writes the strong ETag of a file, "\"<ino>-<size>-<mtime ns>\"" in hex,
 * from its identity and version, never its content. suffix (NULL or up to
 * 4 bytes, e.g. "gz") is appended inside the quotes so the ETag of a
 * precompressed copy can never equal the original's. Returns the length
 * (without the NUL). */
size_t cond_etag_make(char out[COND_ETAG_MAX], const struct stat *st,
		      const char *suffix);

/* Whether the If-Match / If-None-Match field value s[0..len) matches etag:
 * "*" matches anything; otherwise a comma-separated list of entity-tags
 * ([W/]"opaque"). strong: strong comparison (If-Match: a weak tag never
 * matches); else weak comparison (If-None-Match: W/ is ignored). A
 * malformed list matches nothing. */
bool cond_etag_match(const char *s, size_t len, const char *etag,
		     size_t etag_len, bool strong);

enum cond_result {
	COND_PROCEED,       /* send the representation (or its ranges) */
	COND_NOT_MODIFIED,  /* 304 */
	COND_FAILED,        /* 412 Precondition Failed */
};

/* Evaluates the preconditions of a GET or HEAD in RFC 9110 §13.2.2 order:
 * If-Match (else If-Unmodified-Since) may fail with 412; then
 * If-None-Match (else If-Modified-Since) may answer 304. A date that does
 * not parse is ignored, as its header were absent. If-Range is separate:
 * cond_if_range. */
enum cond_result cond_evaluate(const struct http_request *req,
			       const struct cond_validators *v);

/* Whether If-Range value s[0..len) lets the Range apply (RFC 9110
 * §13.1.5): an entity-tag must equal ours by strong comparison; a date
 * must equal Last-Modified exactly, and only when that is strong. Anything
 * else, malformed values included, means "send the whole thing". */
bool cond_if_range(const char *s, size_t len, const struct cond_validators *v);

#endif
