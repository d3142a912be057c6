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
			     struct negotiate_choice out[NEGOTIATE_CODINGS])
{
	static const char *const names[NEGOTIATE_CODINGS] = {
		[NEGOTIATE_ZSTD] = "zstd", [NEGOTIATE_BR] = "br", [NEGOTIATE_GZIP] = "gzip",
	};
	int star, identity, q[NEGOTIATE_CODINGS];
	unsigned n = 0;

	if (s == NULL)
		return 0;
	star = negotiate_q(s, len, "*");
	identity = negotiate_q(s, len, "identity");
	for (int k = 0; k < NEGOTIATE_CODINGS; k++) {
		q[k] = negotiate_q(s, len, names[k]);
		if (q[k] < 0 && k == NEGOTIATE_GZIP)
			q[k] = negotiate_q(s, len, "x-gzip");
		if (q[k] < 0)
			q[k] = star;
		if (q[k] > 0 && q[k] >= identity)
			out[n++] = (struct negotiate_choice){ (enum negotiate_coding)k, q[k] };
	}
	/* Stable insertion sort by weight: ties keep enum order. */
	for (unsigned i = 1; i < n; i++) {
		struct negotiate_choice c = out[i];
		unsigned j = i;

		for (; j > 0 && out[j - 1].q < c.q; j--)
			out[j] = out[j - 1];
		out[j] = c;
	}
	return n;
}

bool negotiate_identity_ok(const char *s, size_t len)
{
	int identity;

	if (s == NULL)
		return true;
	identity = negotiate_q(s, len, "identity");
	if (identity < 0)
		identity = negotiate_q(s, len, "*");
	return identity != 0;
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
