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

void bytes_u64_pad(struct bytes *b, uint64_t v, unsigned width)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (sizeof(tmp) - i < width && i > 0)
		tmp[--i] = '0';
	bytes_put(b, tmp + i, sizeof(tmp) - i);
}

void bytes_u64(struct bytes *b, uint64_t v)
{
	bytes_u64_pad(b, v, 1);
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
