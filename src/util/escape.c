/* The escapers. See escape.h. */
#include "util/escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util/chars.h"

/* The bytes each format escapes by name, and what they become. */
static const char *const html_named[256] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
};
static const char *const json_named[256] = {
	['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\r'] = "\\r",
	['\t'] = "\\t", ['\b'] = "\\b", ['\f'] = "\\f",
};

/* prefix, then c as two digits of hex (upper or lower case), in one put
 * so that a full builder never keeps half an escape. */
static void put_hex(struct bytes *b, const char *prefix, const char *hex, unsigned char c)
{
	char esc[8];
	size_t n = strlen(prefix);

	memcpy(esc, prefix, n);
	esc[n] = hex[c >> 4];
	esc[n + 1] = hex[c & 15];
	bytes_put(b, esc, n + 2);
}

void escape_html(struct bytes *b, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *esc = html_named[(unsigned char)s[i]];

		if (!esc)
			continue;
		bytes_put(b, s + start, i - start);
		bytes_put(b, esc, strlen(esc));
		start = i + 1;
	}
	bytes_put(b, s + start, n - start);
}

void escape_url_segment(struct bytes *b, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (chars_is_unreserved(c))
			continue;
		bytes_put(b, s + start, i - start);
		put_hex(b, "%", chars_hex_upper, c);
		start = i + 1;
	}
	bytes_put(b, s + start, n - start);
}

size_t escape_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void escape_json(struct bytes *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = 0, i = 0;

	while (i < n) {
		unsigned char c = u[i];
		size_t k = c >= 0x20 && c < 0x80 ? 1 : escape_utf8_len(u + i, n - i);
		const char *named = json_named[c];

		if (k > 1 || (k == 1 && c >= 0x20 && !named)) {
			i += k;
			continue;
		}
		bytes_put(b, s + start, i - start);
		if (k == 0)
			BYTES_LIT(b, "\\ufffd");
		else if (named)
			bytes_put(b, named, 2);
		else
			put_hex(b, "\\u00", chars_hex_lower, c);
		i++;
		start = i;
	}
	bytes_put(b, s + start, n - start);
}
