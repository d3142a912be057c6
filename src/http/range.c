/* The Range request header. See range.h. */
#include "http/range.h"

#include <stdbool.h>

#include "util/chars.h"

/* 1*DIGIT at s[*i], saturating at UINT64_MAX. false when there is no
 * digit. */
static bool parse_uint(const char *s, size_t len, size_t *i, uint64_t *out)
{
	uint64_t v = 0;
	size_t start = *i;

	for (; *i < len && chars_is_digit(s[*i]); (*i)++) {
		uint64_t d = (uint64_t)(s[*i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			v = UINT64_MAX;
		else
			v = v * 10 + d;
	}
	*out = v;
	return *i > start;
}

static bool unit_is_bytes(const char *s, size_t len)
{
	return len >= 6 && chars_eq_nocase(s, 6, "bytes=", 6);
}

/* Insertion sort: at most RANGE_MAX elements. */
static void sort_ranges(struct range *r, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		struct range k = r[i];
		unsigned j = i;

		while (j > 0 && r[j - 1].first > k.first) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = k;
	}
}

/* Merges overlapping and adjacent ranges of a sorted list in place. */
static unsigned coalesce(struct range *r, unsigned n)
{
	unsigned w = 0;

	for (unsigned i = 0; i < n; i++) {
		/* r[w].last < length <= UINT64_MAX, so +1 cannot wrap. */
		if (w > 0 && r[i].first <= r[w - 1].last + 1) {
			if (r[i].last > r[w - 1].last)
				r[w - 1].last = r[i].last;
			continue;
		}
		r[w++] = r[i];
	}
	return w;
}

enum range_result range_parse(const char *s, size_t len, uint64_t length,
			      struct range_set *out)
{
	struct range_set set;
	unsigned specs = 0;
	size_t i;

	if (!unit_is_bytes(s, len))
		return RANGE_IGNORE;
	i = sizeof("bytes=") - 1;
	set.count = 0;

	for (;;) {
		uint64_t a, b;
		bool has_a, has_b;

		while (i < len && (chars_is_ows(s[i]) || s[i] == ','))
			i++;
		if (i == len)
			break;

		has_a = parse_uint(s, len, &i, &a);
		if (i == len || s[i] != '-')
			return RANGE_IGNORE;
		i++;
		has_b = parse_uint(s, len, &i, &b);
		if (!has_a && !has_b)
			return RANGE_IGNORE;
		if (has_a && has_b && b < a)
			return RANGE_IGNORE;
		/* The element must end here: OWS, then ',' or the end. */
		while (i < len && chars_is_ows(s[i]))
			i++;
		if (i < len && s[i] != ',')
			return RANGE_IGNORE;

		if (++specs > RANGE_MAX)
			return RANGE_IGNORE;
		if (length == 0)
			continue;
		if (!has_a) { /* suffix: the last b bytes */
			if (b == 0)
				continue;
			a = b >= length ? 0 : length - b;
			b = length - 1;
		} else {
			if (a >= length)
				continue;
			if (!has_b || b >= length)
				b = length - 1;
		}
		set.r[set.count].first = a;
		set.r[set.count].last = b;
		set.count++;
	}
	if (specs == 0 || length == 0)
		return RANGE_IGNORE;
	if (set.count == 0)
		return RANGE_UNSATISFIABLE;
	sort_ranges(set.r, set.count);
	set.count = coalesce(set.r, set.count);
	*out = set;
	return RANGE_OK;
}
