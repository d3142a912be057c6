/* Escaping text for the formats eisd writes: HTML, JSON, URL path
 * segments. Each appends to a byte builder (util/bytes.h). */
#ifndef EISD_ESCAPE_H
#define EISD_ESCAPE_H

#include <stddef.h>

#include "util/bytes.h"

/* HTML text and attribute values: & < > " ' become character references. */
void escape_html(struct bytes *b, const char *s, size_t n);

/* The inside of a JSON string (RFC 8259 §7; no quotes added): '"', '\\'
 * and control bytes escaped (\b \f \n \r \t by name, others as \u00XX). JSON
 * text must be Unicode and file names are bytes: a byte that is not part
 * of well-formed UTF-8 becomes \ufffd (U+FFFD). */
void escape_json(struct bytes *b, const char *s, size_t n);

/* A path segment for a relative link: everything but the unreserved
 * characters (RFC 3986 §2.3) is percent-encoded, so a name can be neither
 * markup, nor a scheme ("javascript:x"), nor a query or fragment. */
void escape_url_segment(struct bytes *b, const char *s, size_t n);

/* Length of the well-formed UTF-8 sequence at s[0..n) (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF), or 0. n > 0. */
size_t escape_utf8_len(const unsigned char *s, size_t n);

#endif
