/* Content negotiation on the Accept and Accept-Encoding lists (RFC 9110
 * §12.4.2, §12.5.1, §12.5.3). Pure: no I/O, no allocation. */
#ifndef EISD_NEGOTIATE_H
#define EISD_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>

/* The weight (0-1000, thousandths of q) the list s[0..len) gives the
 * element name, in lists like "a, b;q=0.5, c/d;x=y;q=0": names compared
 * case-insensitively, parameters other than q ignored, no q = 1000.
 * -1 when name is not listed. An element whose q is malformed ("q=2",
 * "q=0.1234", "q=x") counts as not listed. The first occurrence wins. */
int negotiate_q(const char *s, size_t len, const char *name);

enum negotiate_coding {
	NEGOTIATE_GZIP,
	NEGOTIATE_BR,
};

/* The precompressed codings the Accept-Encoding value s[0..len) accepts
 * (s == NULL: no header, none), most wanted first, into order[2]; returns
 * how many (0-2). A coding is acceptable when its weight is above 0;
 * "x-gzip" counts as "gzip"; "*" stands for any coding the list does not
 * name. The higher weight comes first, br on a tie. Identity is always
 * the fallback (never 406), even when "identity;q=0" says otherwise. */
unsigned negotiate_encodings(const char *s, size_t len,
			     enum negotiate_coding order[2]);

/* Whether a client sending Accept s[0..len) (s == NULL: no header) would
 * rather have application/json than text/html: JSON's weight is above 0
 * and above HTML's; a tie (as with a bare wildcard) goes to HTML. The
 * wildcards "application/" "*", "text/" "*" and the full one count when
 * the exact type is not listed. */
bool negotiate_prefers_json(const char *s, size_t len);

#endif
