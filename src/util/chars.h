/* Character classes of RFC 9110 / RFC 5234, ASCII only and locale-free
 * (the <ctype.h> functions depend on the locale and take int). One table,
 * so every parser agrees on what a token or a hex digit is. */
#ifndef EISD_CHARS_H
#define EISD_CHARS_H

#include <stdbool.h>
#include <stddef.h>

enum {
	CHARS_DIGIT = 1 << 0, /* 0-9 */
	CHARS_ALPHA = 1 << 1, /* A-Z a-z */
	CHARS_HEX = 1 << 2,   /* 0-9 A-F a-f */
	CHARS_TCHAR = 1 << 3, /* token character, RFC 9110 §5.6.2 */
	CHARS_VCHAR = 1 << 4, /* visible, 0x21-0x7e */
	CHARS_UNRESERVED = 1 << 5, /* RFC 3986 §2.3: ALPHA DIGIT - . _ ~ */
};

extern const unsigned char chars_class[256];
/* Hex digits by value, for writing: "0123456789abcdef" and upper case. */
extern const char chars_hex_lower[17];
extern const char chars_hex_upper[17];

static inline bool chars_is(unsigned char c, unsigned cls)
{
	return (chars_class[c] & cls) != 0;
}

static inline bool chars_is_digit(unsigned char c) { return chars_is(c, CHARS_DIGIT); }
static inline bool chars_is_alpha(unsigned char c) { return chars_is(c, CHARS_ALPHA); }
static inline bool chars_is_hex(unsigned char c) { return chars_is(c, CHARS_HEX); }
static inline bool chars_is_tchar(unsigned char c) { return chars_is(c, CHARS_TCHAR); }
static inline bool chars_is_vchar(unsigned char c) { return chars_is(c, CHARS_VCHAR); }
static inline bool chars_is_unreserved(unsigned char c) { return chars_is(c, CHARS_UNRESERVED); }

/* OWS, RFC 9110 §5.6.3: SP or HTAB. */
static inline bool chars_is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* C's isspace in the C locale: SP HT LF VT FF CR. */
static inline bool chars_is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static inline unsigned char chars_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* 0-15, or -1 when c is not a hex digit. */
static inline int chars_hex_value(unsigned char c)
{
	if (chars_is_digit(c))
		return c - '0';
	c = chars_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Case-insensitive (ASCII) equality of a[0..alen) and b[0..blen). */
static inline bool chars_eq_nocase(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (chars_lower((unsigned char)a[i]) != chars_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* The same against a NUL-terminated b. */
static inline bool chars_eq_nocase_str(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen && b[i]; i++)
		if (chars_lower((unsigned char)a[i]) != chars_lower((unsigned char)b[i]))
			return false;
	return i == alen && b[i] == '\0';
}

#endif
