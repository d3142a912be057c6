/* The character class table. See chars.h. */
#include "util/chars.h"

const unsigned char chars_class[256] = {
	['!'] = CHARS_TCHAR | CHARS_VCHAR,
	['"'] = CHARS_VCHAR,
	['#' ... '\''] = CHARS_TCHAR | CHARS_VCHAR,
	['(' ... ')'] = CHARS_VCHAR,
	['*' ... '+'] = CHARS_TCHAR | CHARS_VCHAR,
	[','] = CHARS_VCHAR,
	['-' ... '.'] = CHARS_TCHAR | CHARS_VCHAR | CHARS_UNRESERVED,
	['/'] = CHARS_VCHAR,
	['0' ... '9'] = CHARS_DIGIT | CHARS_HEX | CHARS_TCHAR | CHARS_VCHAR | CHARS_UNRESERVED,
	[':' ... '@'] = CHARS_VCHAR,
	['A' ... 'F'] = CHARS_ALPHA | CHARS_HEX | CHARS_TCHAR | CHARS_VCHAR | CHARS_UNRESERVED,
	['G' ... 'Z'] = CHARS_ALPHA | CHARS_TCHAR | CHARS_VCHAR | CHARS_UNRESERVED,
	['[' ... ']'] = CHARS_VCHAR,
	['^'] = CHARS_TCHAR | CHARS_VCHAR,
	['_'] = CHARS_TCHAR | CHARS_VCHAR | CHARS_UNRESERVED,
	['`'] = CHARS_TCHAR | CHARS_VCHAR,
	['a' ... 'f'] = CHARS_ALPHA | CHARS_HEX | CHARS_TCHAR | CHARS_VCHAR | CHARS_UNRESERVED,
	['g' ... 'z'] = CHARS_ALPHA | CHARS_TCHAR | CHARS_VCHAR | CHARS_UNRESERVED,
	['{'] = CHARS_VCHAR,
	['|'] = CHARS_TCHAR | CHARS_VCHAR,
	['}'] = CHARS_VCHAR,
	['~'] = CHARS_TCHAR | CHARS_VCHAR | CHARS_UNRESERVED,
};

const char chars_hex_lower[17] = "0123456789abcdef";
const char chars_hex_upper[17] = "0123456789ABCDEF";
