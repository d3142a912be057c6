/* libFuzzer target: the Range header parser (src/http/range.h), with the
 * representation length derived from the input.
 *
 * Aborts when a promise of range.h breaks:
 *  - RANGE_OK: 1..RANGE_MAX ranges, each first <= last < length, sorted,
 *    neither overlapping nor adjacent (so no byte is sent twice and the
 *    total never exceeds the file: a Range header cannot amplify work);
 *  - out is left alone unless RANGE_OK;
 *  - a zero length is always RANGE_IGNORE;
 *  - whether a header is ignored does not depend on the length (> 0): it
 *    is a matter of syntax and of the count of range-specs;
 *  - satisfiability only grows with the length: RANGE_OK for one length
 *    stays RANGE_OK for a larger one, RANGE_UNSATISFIABLE for one length
 *    stays so for a smaller one;
 *  - the same input gives the same answer.
 * The value is parsed from an exactly-sized heap copy with no NUL after
 * it, so reading past len is an ASan report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/range.h"

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3u;
	}
	return h;
}

static void check_set(const struct range_set *set, uint64_t length)
{
	uint64_t total = 0;

	CHECK(set->count >= 1 && set->count <= RANGE_MAX);
	for (unsigned i = 0; i < set->count; i++) {
		const struct range *r = &set->r[i];

		CHECK(r->first <= r->last && r->last < length);
		if (i > 0)
			CHECK(set->r[i - 1].last + 1 < r->first);
		total += r->last - r->first + 1; /* disjoint: cannot wrap */
		CHECK(total <= length);
	}
}

static enum range_result parse(const char *s, size_t len, uint64_t length,
			       struct range_set *out)
{
	struct range_set before;
	enum range_result r;

	/* A pattern that a careless write would disturb. */
	memset(out, 0xa5, sizeof(*out));
	memcpy(&before, out, sizeof(before));
	r = range_parse(s, len, length, out);
	CHECK(r == RANGE_IGNORE || r == RANGE_OK || r == RANGE_UNSATISFIABLE);
	if (r == RANGE_OK)
		check_set(out, length);
	else
		CHECK(memcmp(&before, out, sizeof(before)) == 0);
	if (length == 0)
		CHECK(r == RANGE_IGNORE);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t lengths[] = {
		0, 1, 2, 3, 10, 100, 1000, 4096, 1u << 20, (uint64_t)1 << 32,
		(uint64_t)1 << 63, UINT64_MAX - 1, UINT64_MAX,
	};
	const size_t nlen = sizeof(lengths) / sizeof(lengths[0]);
	uint64_t h = hash_bytes(data, size);
	uint64_t len1, len2, small, large;
	struct range_set a, b;
	enum range_result r1, r2, ra;
	char *s;

	s = malloc(size ? size : 1);
	CHECK(s != NULL);
	memcpy(s, data, size);

	len1 = (h & 1) ? lengths[(h >> 1) % nlen] : (h >> 8) % 5000;
	len2 = (h & 2) ? lengths[(h >> 16) % nlen] : (h >> 32) % 70000;
	r1 = parse(s, size, len1, &a);
	r2 = parse(s, size, len2, &b);

	ra = parse(s, size, len1, &b);
	CHECK(ra == r1);
	if (r1 == RANGE_OK) {
		/* Entries past count are unspecified; compare the used ones. */
		CHECK(a.count == b.count);
		CHECK(memcmp(a.r, b.r, a.count * sizeof(a.r[0])) == 0);
	}

	if (len1 > 0 && len2 > 0) {
		CHECK((r1 == RANGE_IGNORE) == (r2 == RANGE_IGNORE));
		small = len1 < len2 ? len1 : len2;
		large = len1 < len2 ? len2 : len1;
		r1 = parse(s, size, small, &a);
		r2 = parse(s, size, large, &b);
		if (r1 == RANGE_OK)
			CHECK(r2 == RANGE_OK);
		if (r2 == RANGE_UNSATISFIABLE)
			CHECK(r1 == RANGE_UNSATISFIABLE);
	}
	free(s);
	return 0;
}
