/* Content negotiation. See negotiate.h. */
#include "http/negotiate.h"
#include "util/chars.h"

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), RFC 9110
 * §12.4.2. Returns thousandths, or -1 when malformed. */
static int parse_qvalue(const char *s, size_t len)
{
	int v, scale = 100;
	size_t i;

	if (len == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	v = (s[0] - '0') * 1000;
	if (len == 1)
		return v;
	if (s[1] != '.' || len > 5)
		return -1;
	for (i = 2; i < len; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v += (s[i] - '0') * scale;
	}
	return v > 1000 ? -1 : v;
}

/* The weight of one element's parameters p[0..len) (after the value):
 * 1000 without q, -1 when malformed. */
static int element_q(const char *p, size_t len)
{
	int q = 1000;
	size_t i = 0;

	while (i < len) {
		size_t name, name_len, val, val_len;

		while (i < len && chars_is_ows(p[i]))
			i++;
		if (i == len)
			break;
		if (p[i] != ';')
			return -1;
		i++;
		while (i < len && chars_is_ows(p[i]))
			i++;
		name = i;
		while (i < len && p[i] != '=' && p[i] != ';' && !chars_is_ows(p[i]))
			i++;
		name_len = i - name;
		if (i == len || p[i] != '=')
			continue; /* a bare parameter: not ours to judge */
		i++;
		val = i;
		if (i < len && p[i] == '"') { /* quoted-string: skip it */
			for (i++; i < len && p[i] != '"'; i++)
				if (p[i] == '\\' && i + 1 < len)
					i++;
			if (i == len)
				return -1;
			i++;
		} else {
			while (i < len && p[i] != ';' && !chars_is_ows(p[i]))
				i++;
		}
		val_len = i - val;
		if (name_len == 1 && chars_lower(p[name]) == 'q') {
			q = parse_qvalue(p + val, val_len);
			if (q < 0)
				return -1;
		}
	}
	return q;
}

int negotiate_q(const char *s, size_t len, const char *name)
{
	size_t i = 0;

	if (s == NULL)
		return -1;
	while (i < len) {
		size_t start, end, vend;
		bool quoted = false;

		while (i < len && (chars_is_ows(s[i]) || s[i] == ','))
			i++;
		if (i == len)
			break;
		start = i;
		/* The element ends at a ',' outside a quoted-string. */
		for (end = i; end < len; end++) {
			if (s[end] == '"')
				quoted = !quoted;
			else if (s[end] == '\\' && quoted && end + 1 < len)
				end++;
			else if (s[end] == ',' && !quoted)
				break;
		}
		for (vend = start; vend < end && s[vend] != ';' && !chars_is_ows(s[vend]); vend++)
			;
		if (chars_eq_nocase_str(s + start, vend - start, name)) {
			int q = element_q(s + vend, end - vend);
			if (q >= 0)
				return q;
		}
		i = end;
	}
	return -1;
}

unsigned negotiate_encodings(const char *s, size_t len,
			     enum negotiate_coding order[2])
{
	int star, br, gz;
	unsigned n = 0;

	if (s == NULL)
		return 0;
	star = negotiate_q(s, len, "*");
	br = negotiate_q(s, len, "br");
	gz = negotiate_q(s, len, "gzip");
	if (gz < 0)
		gz = negotiate_q(s, len, "x-gzip");
	if (br < 0)
		br = star;
	if (gz < 0)
		gz = star;
	if (br > 0 && br >= gz) {
		order[n++] = NEGOTIATE_BR;
		if (gz > 0)
			order[n++] = NEGOTIATE_GZIP;
	} else if (gz > 0) {
		order[n++] = NEGOTIATE_GZIP;
		if (br > 0)
			order[n++] = NEGOTIATE_BR;
	}
	return n;
}

/* The weight of a media type in Accept s: the exact type, else the
 * type's wildcard (type_wild), else the full wildcard. */
static int media_q(const char *s, size_t len, const char *exact,
		   const char *type_wild)
{
	int q = negotiate_q(s, len, exact);

	if (q < 0)
		q = negotiate_q(s, len, type_wild);
	if (q < 0)
		q = negotiate_q(s, len, "*/*");
	return q;
}

bool negotiate_prefers_json(const char *s, size_t len)
{
	int json, html;

	if (s == NULL)
		return false;
	json = media_q(s, len, "application/json", "application/*");
	html = media_q(s, len, "text/html", "text/*");
	return json > 0 && json > html;
}
