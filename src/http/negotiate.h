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

/* The content codings eisd sends (the values of util/codec.h's enum
 * codec_kind), in the order a tie is broken: zstd, then br, then gzip. */
enum negotiate_coding {
	NEGOTIATE_ZSTD,
	NEGOTIATE_BR,
	NEGOTIATE_GZIP,
	NEGOTIATE_CODINGS,
};

struct negotiate_choice {
	enum negotiate_coding coding;
	int q; /* its weight, 1-1000 */
};

/* The codings the Accept-Encoding value s[0..len) accepts (s == NULL: no
 * header, none), most wanted first, into out[]; returns how many (0-3).
 * RFC 9110 §12.5.3: a coding is acceptable when its weight is above 0;
 * "x-gzip" counts as "gzip"; "*" stands for any coding the list does not
 * name. The higher weight comes first, ties in enum order. A coding the
 * client values below an explicit "identity;q=..." is left out (the
 * client would rather have the file as it is). Identity is always the
 * fallback (never 406): with "identity;q=0" or "*;q=0" the RFC lets a
 * server send it when it has nothing acceptable, and eisd does. */
unsigned negotiate_encodings(const char *s, size_t len,
			     struct negotiate_choice out[NEGOTIATE_CODINGS]);

/* Whether the Accept-Encoding value s[0..len) (NULL: no header) lets the
 * file go out as it is: not when it says "identity;q=0", or "*;q=0"
 * without naming identity (RFC 9110 §12.5.3). */
bool negotiate_identity_ok(const char *s, size_t len);

/* Whether a client sending Accept s[0..len) (s == NULL: no header) would
 * rather have application/json than text/html: JSON's weight is above 0
 * and above HTML's; a tie (as with a bare wildcard) goes to HTML. The
 * wildcards "application/" "*", "text/" "*" and the full one count when
 * the exact type is not listed. */
bool negotiate_prefers_json(const char *s, size_t len);

#endif
