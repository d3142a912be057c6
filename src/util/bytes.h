/* A byte builder: appends with plain copies (printf was most of the
 * user-space cost of a small response), into a caller's fixed buffer or a
 * growing heap one (a zeroed struct bytes is an empty heap builder).
 * Whatever does not fit (fixed) or cannot be allocated (heap) sets
 * failed, which stays set: callers check once at the end. */
#ifndef EISD_BYTES_H
#define EISD_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bytes {
	char *p;
	size_t len, cap;
	bool fixed;  /* p is the caller's (bytes_init_fixed); else malloc'd, grows */
	bool failed; /* sticky */
};

/* Into buf[0..cap): nothing is ever allocated. */
static inline void bytes_init_fixed(struct bytes *b, char *buf, size_t cap)
{
	*b = (struct bytes){ .p = buf, .cap = cap, .fixed = true };
}

/* On the heap, growing as needed; empty until the first append. */
static inline void bytes_init_heap(struct bytes *b)
{
	*b = (struct bytes){ .fixed = false };
}

/* Room for more bytes: true, or false with failed set. */
bool bytes_grow(struct bytes *b, size_t more);

static inline void bytes_put(struct bytes *b, const void *s, size_t n)
{
	if (b->cap - b->len < n && !bytes_grow(b, n))
		return;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void bytes_char(struct bytes *b, char c)
{
	bytes_put(b, &c, 1);
}

static inline void bytes_str(struct bytes *b, const char *s)
{
	bytes_put(b, s, strlen(s));
}

/* A string literal: its length is known at compile time. */
#define BYTES_LIT(b, lit) bytes_put((b), (lit), sizeof(lit) - 1)

/* v in decimal. */
void bytes_u64(struct bytes *b, uint64_t v);
/* v in decimal at p, outside any builder, for a writer that made room
 * (20 bytes) already: returns the end. */
char *bytes_u64_at(char *p, uint64_t v);
/* v in decimal, at least width digits (zero-padded). */
void bytes_u64_pad(struct bytes *b, uint64_t v, unsigned width);
void bytes_printf(struct bytes *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The text so far, NUL-terminated (the NUL is not counted in len), or
 * NULL when building failed. */
const char *bytes_cstr(struct bytes *b);
/* A heap builder's buffer for the caller to free (NUL-terminated, *len
 * without the NUL), or NULL when building failed (then freed). */
char *bytes_steal(struct bytes *b, size_t *len);
/* Frees a heap builder's buffer. */
void bytes_free(struct bytes *b);

#endif
