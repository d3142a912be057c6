/* HTTP dates (RFC 9110 §5.6.7). See httpdate.h.
 *
 * Own name tables rather than strftime/strptime: those follow the locale,
 * and HTTP dates are always English. */
#include "http/httpdate.h"

#include <stdint.h>
#include <string.h>

static const char wday_short[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char *const wday_long[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday",
	"Thursday", "Friday", "Saturday",
};
static const char month_short[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* The instants that still have a four-digit year: 0000-01-01T00:00:00Z and
 * 9999-12-31T23:59:59Z. */
#define HTTPDATE_MIN (-62167219200LL)
#define HTTPDATE_MAX 253402300799LL

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

void httpdate_format(time_t t, char out[HTTPDATE_LEN + 1])
{
	struct tm tm;
	char *p = out;
	int year;

	/* The format has room for four year digits; clamp rather than write
	 * a malformed date for a corrupt mtime. */
	if ((long long)t < HTTPDATE_MIN)
		t = (time_t)HTTPDATE_MIN;
	else if ((long long)t > HTTPDATE_MAX)
		t = (time_t)HTTPDATE_MAX;
	if (gmtime_r(&t, &tm) == NULL) { /* only with a 32-bit time_t */
		memcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT", HTTPDATE_LEN + 1);
		return;
	}
	year = tm.tm_year + 1900;

	memcpy(p, wday_short[tm.tm_wday], 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	p = put2(p, tm.tm_mday);
	*p++ = ' ';
	memcpy(p, month_short[tm.tm_mon], 3);
	p += 3;
	*p++ = ' ';
	p = put2(p, year / 100);
	p = put2(p, year % 100);
	*p++ = ' ';
	p = put2(p, tm.tm_hour);
	*p++ = ':';
	p = put2(p, tm.tm_min);
	*p++ = ':';
	p = put2(p, tm.tm_sec);
	memcpy(p, " GMT", 5);
}

/* A cursor over s[0..len); every read checks len, since the input comes
 * straight from a header value and is not NUL-terminated. */
struct cur {
	const char *s;
	size_t len;
	size_t i;
};

static bool lit(struct cur *c, const char *want)
{
	size_t n = strlen(want);

	if (c->len - c->i < n || memcmp(c->s + c->i, want, n) != 0)
		return false;
	c->i += n;
	return true;
}

/* Exactly n digits. */
static bool digits(struct cur *c, size_t n, int *out)
{
	int v = 0;

	if (c->len - c->i < n)
		return false;
	for (size_t k = 0; k < n; k++) {
		char ch = c->s[c->i + k];

		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + (ch - '0');
	}
	c->i += n;
	*out = v;
	return true;
}

/* Day and month names are case-sensitive (RFC 9110 §5.6.7 writes them
 * as %s"..."). */
static bool month_name(struct cur *c, int *mon)
{
	for (int m = 0; m < 12; m++) {
		if (lit(c, month_short[m])) {
			*mon = m + 1;
			return true;
		}
	}
	return false;
}

static bool wday_short_name(struct cur *c)
{
	for (int d = 0; d < 7; d++)
		if (lit(c, wday_short[d]))
			return true;
	return false;
}

static bool wday_long_name(struct cur *c)
{
	for (int d = 0; d < 7; d++)
		if (lit(c, wday_long[d]))
			return true;
	return false;
}

/* "HH:MM:SS"; a second of 60 is a leap second. */
static bool time_of_day(struct cur *c, int *h, int *m, int *s)
{
	return digits(c, 2, h) && lit(c, ":") && digits(c, 2, m) &&
	       lit(c, ":") && digits(c, 2, s) && *h < 24 && *m < 60 &&
	       *s <= 60;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_date(int y, int m, int d)
{
	static const unsigned char mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	int max = mdays[m - 1] + (m == 2 && is_leap(y));

	return d >= 1 && d <= max;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
 * Counts in 400-year eras (146097 days each) from a year that starts in
 * March, so the leap day falls at the end of the counted year. */
static long long days_from_civil(int y, int m, int d)
{
	long long yy = y - (m <= 2);
	long long era = (yy >= 0 ? yy : yy - 399) / 400;
	long long yoe = yy - era * 400;                      /* 0..399 */
	long long mp = m > 2 ? m - 3 : m + 9;                /* Mar = 0 */
	long long doy = (153 * mp + 2) / 5 + d - 1;          /* 0..365 */
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468; /* 719468: 0000-03-01 to 1970 */
}

static bool make_time(int y, int mon, int d, int h, int mi, int s,
		      time_t *out)
{
	long long v;

	if (!valid_date(y, mon, d))
		return false;
	v = days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
	if ((long long)(time_t)v != v) /* a 32-bit time_t */
		return false;
	*out = (time_t)v;
	return true;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
static bool parse_imf(struct cur *c, time_t *out)
{
	int d, mon, y, h, mi, s;

	return wday_short_name(c) && lit(c, ", ") && digits(c, 2, &d) &&
	       lit(c, " ") && month_name(c, &mon) && lit(c, " ") &&
	       digits(c, 4, &y) && lit(c, " ") && time_of_day(c, &h, &mi, &s) &&
	       lit(c, " GMT") && c->i == c->len &&
	       make_time(y, mon, d, h, mi, s, out);
}

/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". RFC 9110 asks that a year
 * which looks more than 50 years ahead be read as the past; a fixed
 * pivot does that until 2019+50 and needs no clock: 70-99 are 19xx,
 * 00-69 are 20xx. */
static bool parse_rfc850(struct cur *c, time_t *out)
{
	int d, mon, y, h, mi, s;

	if (!(wday_long_name(c) && lit(c, ", ") && digits(c, 2, &d) &&
	      lit(c, "-") && month_name(c, &mon) && lit(c, "-") &&
	      digits(c, 2, &y) && lit(c, " ") && time_of_day(c, &h, &mi, &s) &&
	      lit(c, " GMT") && c->i == c->len))
		return false;
	y += y >= 70 ? 1900 : 2000;
	return make_time(y, mon, d, h, mi, s, out);
}

/* asctime: "Sun Nov  6 08:49:37 1994"; the day is " 6" or "06"/"16". */
static bool parse_asctime(struct cur *c, time_t *out)
{
	int d, mon, y, h, mi, s;

	if (!(wday_short_name(c) && lit(c, " ") && month_name(c, &mon) &&
	      lit(c, " ")))
		return false;
	if (!(lit(c, " ") ? digits(c, 1, &d) : digits(c, 2, &d)))
		return false;
	return lit(c, " ") && time_of_day(c, &h, &mi, &s) && lit(c, " ") &&
	       digits(c, 4, &y) && c->i == c->len &&
	       make_time(y, mon, d, h, mi, s, out);
}

bool httpdate_parse(const char *s, size_t len, time_t *out)
{
	struct cur c = { s, len, 0 };

	/* The fourth byte tells the forms apart: "Sun," (IMF-fixdate),
	 * "Sun " (asctime) or a letter of a long day name (RFC 850). */
	if (len < 4)
		return false;
	if (s[3] == ',')
		return parse_imf(&c, out);
	if (s[3] == ' ')
		return parse_asctime(&c, out);
	return parse_rfc850(&c, out);
}
