/* The escapers. See escape.h. */
#include "util/escape.h"

#include <stdbool.h>
#include <stdint.h>

#include "util/chars.h"

void escape_html(struct bytes *b, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *esc;
		size_t elen;

		switch (s[i]) {
		case '&': esc = "&amp;", elen = 5; break;
		case '<': esc = "&lt;", elen = 4; break;
		case '>': esc = "&gt;", elen = 4; break;
		case '"': esc = "&quot;", elen = 6; break;
		case '\'': esc = "&#39;", elen = 5; break;
		default: continue;
		}
		bytes_put(b, s + start, i - start);
		bytes_put(b, esc, elen);
		start = i + 1;
	}
	bytes_put(b, s + start, n - start);
}

void escape_url_segment(struct bytes *b, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if (chars_is_unreserved(c))
			continue;
		bytes_put(b, s + start, i - start);
		esc[0] = '%';
		esc[1] = chars_hex_upper[c >> 4];
		esc[2] = chars_hex_upper[c & 15];
		bytes_put(b, esc, 3);
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
		char esc[6];

		if (k > 1 || (k == 1 && c >= 0x20 && c != '"' && c != '\\')) {
			i += k;
			continue;
		}
		bytes_put(b, s + start, i - start);
		if (k == 0)
			BYTES_LIT(b, "\\ufffd");
		else if (c == '"')
			BYTES_LIT(b, "\\\"");
		else if (c == '\\')
			BYTES_LIT(b, "\\\\");
		else if (c == '\n')
			BYTES_LIT(b, "\\n");
		else if (c == '\r')
			BYTES_LIT(b, "\\r");
		else if (c == '\t')
			BYTES_LIT(b, "\\t");
		else if (c == '\b')
			BYTES_LIT(b, "\\b");
		else if (c == '\f')
			BYTES_LIT(b, "\\f");
		else {
			esc[0] = '\\', esc[1] = 'u', esc[2] = '0', esc[3] = '0';
			esc[4] = chars_hex_lower[c >> 4];
			esc[5] = chars_hex_lower[c & 15];
			bytes_put(b, esc, 6);
		}
		i++;
		start = i;
	}
	bytes_put(b, s + start, n - start);
}
