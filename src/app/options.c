/* The machinery behind the option table: find a row, apply a value,
 * remember where it came from, print --help. The rows are in
 * option_table.c. */
#include "app/options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(enum protocol) == sizeof(int), "OPT_CHOICE stores an int");

const struct opt_row *opt_find(const char *name, size_t len, bool *ambiguous)
{
	const struct opt_row *found = NULL;
	int n = 0;

	*ambiguous = false;
	for (size_t i = 0; i < opt_count; i++) {
		const struct opt_row *r = &opt_table[i];

		if (strncmp(r->name, name, len) != 0)
			continue;
		if (r->name[len] == '\0')
			return r;
		found = r;
		n++;
	}
	if (n > 1) {
		*ambiguous = true;
		return NULL;
	}
	return found;
}

const struct opt_row *opt_by_letter(char letter)
{
	for (size_t i = 0; i < opt_count; i++)
		if (letter && opt_table[i].letter == letter)
			return &opt_table[i];
	return NULL;
}

const struct opt_row *opt_by_field(size_t field)
{
	for (size_t i = 0; i < opt_count; i++)
		if (opt_table[i].kind != OPT_ACTION && opt_table[i].field == field)
			return &opt_table[i];
	return NULL;
}

static size_t row_index(const struct opt_row *row)
{
	return (size_t)(row - opt_table);
}

bool opt_given(const struct config *cfg, const struct opt_row *row)
{
	return row && cfg->given[row_index(row)] != CONFIG_SRC_NONE;
}

enum config_source opt_source(const struct config *cfg, const struct opt_row *row)
{
	return row ? (enum config_source)cfg->given[row_index(row)] : CONFIG_SRC_NONE;
}

const char *config_keep(struct config *cfg, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (n > sizeof(cfg->text) - cfg->text_used)
		return NULL;
	p = cfg->text + cfg->text_used;
	memcpy(p, s, n);
	cfg->text_used += n;
	return p;
}

void opt_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

bool opt_full(const struct opt_row *row, int n, int max, char *err, size_t errlen)
{
	if (n < max)
		return false;
	opt_err(err, errlen, "too many --%s options (at most %d)", row->name, max);
	return true;
}

const char *opt_keep(struct config *cfg, const struct opt_row *row, const char *s,
		     char *err, size_t errlen)
{
	const char *copy = config_keep(cfg, s);

	if (!copy)
		opt_err(err, errlen, "--%s: too much option text", row->name);
	return copy;
}

int opt_append(struct config *cfg, const struct opt_row *row, const char *s,
	       const char **list, int *n, int max, char *err, size_t errlen)
{
	const char *copy;

	if (opt_full(row, *n, max, err, errlen) || !(copy = opt_keep(cfg, row, s, err, errlen)))
		return -1;
	list[(*n)++] = copy;
	return 0;
}

/* Whole-string unsigned decimal within [min, max]. */
static int parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "invalid port 'x' (expected 0-65535)" or, for choices, "(expected a, b or c)". */
static void word_invalid(const struct opt_row *row, const char *value, char *err, size_t errlen)
{
	char expect[256];
	size_t used = 0;

	if (row->kind == OPT_CHOICE) {
		for (int i = 0; row->choices[i]; i++) {
			const char *sep = i == 0 ? "" : row->choices[i + 1] ? ", " : " or ";
			int n = snprintf(expect + used, sizeof(expect) - used, "%s%s", sep, row->choices[i]);
			if (n < 0 || (size_t)n >= sizeof(expect) - used)
				break;
			used += (size_t)n;
		}
	} else {
		snprintf(expect, sizeof(expect), "%lld-%lld%s", row->min, row->max,
			 row->unit ? row->unit : "");
	}
	opt_err(err, errlen, "invalid %s '%s' (expected %s)", row->what, value, expect);
}

int opt_apply(struct config *cfg, const struct opt_row *row, const char *value,
	      enum config_source src, char *err, size_t errlen)
{
	char *field = (char *)cfg + row->field;
	long long v = 0;
	const char *copy;

	switch (row->kind) {
	case OPT_FLAG:
	case OPT_UNFLAG:
		*(bool *)field = row->kind == OPT_FLAG;
		break;
	case OPT_INT:
	case OPT_LONG:
	case OPT_SIZE:
		if (parse_num(value, row->min, row->max, &v)) {
			word_invalid(row, value, err, errlen);
			return -1;
		}
		if (row->kind == OPT_INT)
			*(int *)field = (int)v;
		else if (row->kind == OPT_LONG)
			*(long *)field = (long)v;
		else
			*(size_t *)field = (size_t)v;
		break;
	case OPT_CHOICE:
		for (v = 0; row->choices[v] && strcmp(row->choices[v], value) != 0; v++)
			;
		if (!row->choices[v]) {
			word_invalid(row, value, err, errlen);
			return -1;
		}
		*(int *)field = (int)v;
		break;
	case OPT_TEXT:
		if (row->check && !row->check(value)) {
			/* The row's own wording; its only conversion is the value. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			opt_err(err, errlen, row->bad, value);
#pragma GCC diagnostic pop
			return -1;
		}
		copy = config_keep(cfg, value);
		if (!copy) {
			opt_err(err, errlen, "too much option text (at most %zu bytes in all)",
				sizeof(cfg->text));
			return -1;
		}
		*(const char **)field = copy;
		break;
	case OPT_CUSTOM:
		if (row->set(cfg, row, value, err, errlen))
			return -1;
		break;
	case OPT_ACTION:
		break;
	}
	cfg->given[row_index(row)] = (unsigned char)src;
	return 0;
}

/* The layout of the help text: the description starts in this column;
 * a longer option part puts it on the next line. */
#define HELP_COLUMN 28

void opt_print_help(FILE *out)
{
	for (size_t i = 0; i < opt_count; i++) {
		const struct opt_row *r = &opt_table[i];
		char left[96];
		int n;

		if (r->letter)
			n = snprintf(left, sizeof(left), "  -%c, --%s%s%s", r->letter, r->name,
				     r->arg ? " " : "", r->arg ? r->arg : "");
		else
			n = snprintf(left, sizeof(left), "      --%s%s%s", r->name,
				     r->arg ? " " : "", r->arg ? r->arg : "");
		if (n > HELP_COLUMN)
			fprintf(out, "%s\n%*s%s\n", left, HELP_COLUMN, "", r->help);
		else
			fprintf(out, "%-*s %s\n", HELP_COLUMN - 1, left, r->help);
	}
}
