/* The Range request header (RFC 9110 §14.1.2, §14.2). Pure: bytes in,
 * byte ranges out. No I/O, no allocation, no global state, reads only
 * s[0..len) (no NUL needed), so it can be fuzzed directly. */
#ifndef EISD_RANGE_H
#define EISD_RANGE_H

#include <stddef.h>
#include <stdint.h>

/* More range-specs than this in one header and the header is ignored (the
 * full body is sent): a client asking for hundreds of pieces of one file
 * is either broken or trying to make us do work (CVE-2011-3192, Apache's
 * "Range: bytes=0-,5-0,5-1,..."). */
#define RANGE_MAX 16

struct range {
	uint64_t first; /* first byte offset */
	uint64_t last;  /* last byte offset, inclusive; first <= last < length */
};

struct range_set {
	unsigned count;               /* 1..RANGE_MAX when RANGE_OK */
	struct range r[RANGE_MAX];    /* ascending, non-overlapping, non-adjacent */
};

enum range_result {
	RANGE_IGNORE,        /* not a valid bytes range, or too many: send 200 */
	RANGE_OK,            /* out holds the satisfiable ranges: send 206 */
	RANGE_UNSATISFIABLE, /* valid, but no range is satisfiable: send 416 */
};

/* Parses the Range field value s[0..len) for a representation of length
 * bytes.
 *
 *   "bytes=a-b"  bytes a..b (b past the end is clamped to length-1)
 *   "bytes=a-"   from a to the end
 *   "bytes=-n"   the last n bytes (all of them when n >= length)
 *
 * The unit is matched case-insensitively. Optional whitespace (SP, HTAB)
 * is allowed around each list element, and empty elements (",,") are
 * skipped (RFC 9110 §5.6.1). Anything else, including b < a, a sign, or
 * no range at all, makes the whole header invalid: RANGE_IGNORE.
 * Numbers too large for 64 bits saturate (a huge first-pos is simply
 * unsatisfiable; a huge last-pos or suffix-length means "to the end").
 *
 * Satisfiable ranges are sorted and overlapping or adjacent ones are
 * merged, so the bytes to send never exceed length and each byte is sent
 * at most once. An int-range is satisfiable when a < length; a suffix
 * range when n > 0. A zero-length representation has no ranges worth
 * sending: RANGE_IGNORE (the empty 200 says it all, as nginx does).
 * More than RANGE_MAX range-specs (satisfiable or not): RANGE_IGNORE.
 * out is written only when RANGE_OK is returned. */
enum range_result range_parse(const char *s, size_t len, uint64_t length,
			      struct range_set *out);

#endif
