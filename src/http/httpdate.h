/* HTTP dates (RFC 9110 §5.6.7). Pure functions. */
#ifndef EISD_HTTPDATE_H
#define EISD_HTTPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define HTTPDATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* Writes the IMF-fixdate for t (always GMT) plus a NUL into out[30].
 * Times outside years 0000-9999 are clamped to the nearest end. */
void httpdate_format(time_t t, char out[HTTPDATE_LEN + 1]);

/* Parses IMF-fixdate, and the obsolete RFC 850 and asctime forms that
 * recipients must accept. Reads s[0..len) only (no NUL needed). Strict:
 * exact layout, case-sensitive names, no surrounding whitespace, real
 * calendar dates (leap years; second 60 allowed). The day name must be
 * a valid one but is not checked against the date. RFC 850 two-digit
 * years: 70-99 are 19xx, 00-69 are 20xx. Returns false, leaving *out
 * untouched, when s is not a valid date. */
bool httpdate_parse(const char *s, size_t len, time_t *out);

#endif
