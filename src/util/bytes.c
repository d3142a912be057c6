/* The byte builder. See bytes.h. */
#include "util/bytes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

bool bytes_grow(struct bytes *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->cap - b->len >= more)
		return true;
	if (b->fixed || more > SIZE_MAX / 2 - b->len) {
		b->failed = true;
		return false;
	}
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < more)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

/* "00" to "99": two digits per division, half the divisions of one
 * digit at a time (a Content-Length is written on every response). */
static const char digit_pairs[200] =
	"00010203040506070809101112131415161718192021222324"
	"25262728293031323334353637383940414243444546474849"
	"50515253545556575859606162636465666768697071727374"
	"75767778798081828384858687888990919293949596979899";

/* How many decimal digits v has. */
static unsigned u64_len(uint64_t v)
{
	uint64_t limit = 10;
	unsigned n = 1;

	while (n < 20 && v >= limit) {
		n++;
		limit *= 10;
	}
	return n;
}

/* v's decimal digits, ending at end: returns where they start. */
static char *u64_digits(char *end, uint64_t v)
{
	while (v >= 100) {
		const char *d = digit_pairs + 2 * (v % 100);

		v /= 100;
		*--end = d[1];
		*--end = d[0];
	}
	if (v >= 10) {
		*--end = digit_pairs[2 * v + 1];
		*--end = digit_pairs[2 * v];
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

/* Written in place, no copy: the length is known before the digits. */
void bytes_u64_pad(struct bytes *b, uint64_t v, unsigned width)
{
	unsigned digits = u64_len(v), n = digits;
	char *p;

	if (width > n)
		n = width > 20 ? 20 : width;
	if (b->cap - b->len < n && !bytes_grow(b, n))
		return;
	p = b->p + b->len;
	memset(p, '0', n - digits);
	u64_digits(p + n, v);
	b->len += n;
}

void bytes_u64(struct bytes *b, uint64_t v)
{
	unsigned n = u64_len(v);

	if (b->cap - b->len < n && !bytes_grow(b, n))
		return;
	u64_digits(b->p + b->len + n, v);
	b->len += n;
}

char *bytes_u64_at(char *p, uint64_t v)
{
	unsigned n = u64_len(v);

	u64_digits(p + n, v);
	return p + n;
}

void bytes_printf(struct bytes *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		/* vsnprintf writes a NUL: ask for one more byte. */
		if (!bytes_grow(b, (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

char *bytes_steal(struct bytes *b, size_t *len)
{
	char *p;

	bytes_char(b, '\0');
	if (b->failed) {
		bytes_free(b);
		return NULL;
	}
	p = b->p;
	*len = b->len - 1;
	*b = (struct bytes){ .fixed = false };
	return p;
}

const char *bytes_cstr(struct bytes *b)
{
	if (!bytes_grow(b, 1))
		return NULL;
	b->p[b->len] = '\0';
	return b->p;
}

void bytes_free(struct bytes *b)
{
	if (!b->fixed) {
		free(b->p);
		*b = (struct bytes){ .fixed = false };
	} else {
		b->len = 0;
		b->failed = false;
	}
}
