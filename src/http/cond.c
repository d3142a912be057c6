/* Validators and conditional requests. See cond.h. */
#include "http/cond.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http/httpdate.h"
#include "util/chars.h"

size_t cond_etag_make(char out[COND_ETAG_MAX], const struct stat *st,
		      const char *suffix)
{
	uint64_t ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u +
		      (uint64_t)st->st_mtim.tv_nsec;
	int n;

	n = snprintf(out, COND_ETAG_MAX, "\"%llx-%llx-%llx%s%.4s\"",
		     (unsigned long long)st->st_ino, (unsigned long long)st->st_size,
		     (unsigned long long)ns, suffix ? "-" : "", suffix ? suffix : "");
	return n < 0 ? 0 : (size_t)n;
}

/* etagc = %x21 / %x23-7E / obs-text */
static bool is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

/* One entity-tag at s[*i]: sets *weak and the tag (quotes included).
 * false when malformed. */
static bool parse_etag(const char *s, size_t len, size_t *i, bool *weak,
		       const char **tag, size_t *tag_len)
{
	size_t j = *i;

	*weak = false;
	if (len - j >= 2 && s[j] == 'W' && s[j + 1] == '/') {
		*weak = true;
		j += 2;
	}
	if (j == len || s[j] != '"')
		return false;
	*tag = s + j;
	for (j++; j < len && s[j] != '"'; j++)
		if (!is_etagc((unsigned char)s[j]))
			return false;
	if (j == len)
		return false;
	j++;
	*tag_len = (size_t)(s + j - *tag);
	*i = j;
	return true;
}

bool cond_etag_match(const char *s, size_t len, const char *etag,
		     size_t etag_len, bool strong)
{
	bool matched = false;
	size_t i = 0;

	while (len > 0 && chars_is_ows(s[len - 1]))
		len--;
	while (i < len && chars_is_ows(s[i]))
		i++;
	if (len - i == 1 && s[i] == '*')
		return true;

	/* The whole list is checked, so a malformed one matches nothing
	 * whatever the position of the match. */
	for (;;) {
		const char *tag;
		size_t tag_len;
		bool weak;

		while (i < len && (chars_is_ows(s[i]) || s[i] == ','))
			i++;
		if (i == len)
			break;
		if (!parse_etag(s, len, &i, &weak, &tag, &tag_len))
			return false;
		while (i < len && chars_is_ows(s[i]))
			i++;
		if (i < len && s[i] != ',')
			return false;
		if (tag_len == etag_len && memcmp(tag, etag, etag_len) == 0 &&
		    !(strong && weak))
			matched = true;
	}
	return matched;
}

static bool parse_date(struct http_str h, time_t *t)
{
	return h.p != NULL && httpdate_parse(h.p, h.len, t);
}

enum cond_result cond_evaluate(const struct http_request *req,
			       const struct cond_validators *v)
{
	time_t t;

	if (req->if_match.p != NULL) {
		if (!cond_etag_match(req->if_match.p, req->if_match.len, v->etag,
				     v->etag_len, true))
			return COND_FAILED;
	} else if (parse_date(req->if_unmodified_since, &t)) {
		if (v->last_modified > t)
			return COND_FAILED;
	}

	if (req->if_none_match.p != NULL) {
		if (cond_etag_match(req->if_none_match.p, req->if_none_match.len,
				    v->etag, v->etag_len, false))
			return COND_NOT_MODIFIED;
	} else if (parse_date(req->if_modified_since, &t)) {
		if (v->last_modified <= t)
			return COND_NOT_MODIFIED;
	}
	return COND_PROCEED;
}

bool cond_if_range(const char *s, size_t len, const struct cond_validators *v)
{
	time_t t;

	if (len > 0 && (s[0] == '"' || s[0] == 'W'))
		return len == v->etag_len && memcmp(s, v->etag, len) == 0;
	if (!httpdate_parse(s, len, &t))
		return false;
	return v->last_modified_strong && t == v->last_modified;
}
