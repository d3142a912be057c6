/* The option table: one row per option. The same rows drive the command
 * line, --help and the config file (`name = value`), so adding an option
 * is one row in options.c plus its field in struct config. */
#ifndef EISD_OPTIONS_H
#define EISD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "app/config.h"

enum opt_kind {
	OPT_FLAG,    /* no value: sets a bool field to true */
	OPT_UNFLAG,  /* no value: sets a bool field to false (--no-...) */
	OPT_INT,     /* decimal in [min, max] into an int field */
	OPT_LONG,    /* ... into a long field */
	OPT_SIZE,    /* ... into a size_t field */
	OPT_TEXT,    /* a copy of the value (config-owned) into a const char * */
	OPT_CHOICE,  /* one of choices[]: its index into an int-sized field */
	OPT_CUSTOM,  /* the row's own setter */
	OPT_ACTION,  /* --help, --version: the parser reports it, main acts */
};

enum {
	OPT_REPEAT = 1 << 0,   /* may be given more than once */
	OPT_CLI_ONLY = 1 << 1, /* not a config-file name */
	OPT_LIVE = 1 << 2,     /* a reload (SIGHUP) applies a new value */
	OPT_LOCAL = 1 << 3,    /* may be set per path, in a [location] section */
};

struct opt_row;

/* A row's own setter: checks value and stores it; on error words the
 * message into err and returns -1. */
typedef int (*opt_setter)(struct config *cfg, const struct opt_row *row,
			  const char *value, char *err, size_t errlen);

struct opt_row {
	const char *name;       /* long name, also the config-file name */
	char letter;            /* short option, or 0 */
	enum opt_kind kind;
	size_t field;           /* offsetof(struct config, ...) */
	long long min, max;     /* numbers: accepted range */
	const char *const *choices; /* OPT_CHOICE: NULL-terminated */
	unsigned flags;         /* OPT_REPEAT, OPT_CLI_ONLY, OPT_LIVE */
	const char *what;       /* "invalid WHAT 'value' (expected ...)" */
	const char *unit;       /* after the range in that message: " seconds" */
	bool (*check)(const char *value); /* OPT_TEXT: value acceptable? */
	const char *bad;        /* OPT_TEXT: message when check fails (%s: value) */
	opt_setter set;         /* OPT_CUSTOM */
	const char *arg;        /* the value's name in --help: "N", "SEC" */
	const char *help;       /* one line; "\n" starts a continuation line */
};

extern const struct opt_row opt_table[];
extern const size_t opt_count;

/* The row called name (len bytes): an exact match, else the only row
 * whose name starts with it (like getopt_long). NULL if none; *ambiguous
 * says whether several matched. */
const struct opt_row *opt_find(const char *name, size_t len, bool *ambiguous);
const struct opt_row *opt_by_letter(char letter);
const struct opt_row *opt_by_field(size_t field);

/* Checks value and stores it into cfg (value is copied, never kept);
 * records that the row was given from src. 0, or -1 with err worded. */
int opt_apply(struct config *cfg, const struct opt_row *row, const char *value,
	      enum config_source src, char *err, size_t errlen);

/* Whether the row was given (from any source / from the command line). */
bool opt_given(const struct config *cfg, const struct opt_row *row);
enum config_source opt_source(const struct config *cfg, const struct opt_row *row);

/* Copies s into the config's own storage; NULL when that is full. */
const char *config_keep(struct config *cfg, const char *s);

/* snprintf into err, for setters. */
void opt_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* For setters of repeatable options, which word their errors alike.
 * opt_full: whether a list already holds n == max entries (then err says
 * "too many --NAME options (at most MAX)"). opt_keep: config_keep, or
 * NULL with err "--NAME: too much option text". opt_append: both, then
 * the kept copy of s goes at list[(*n)++]; 0, or -1 with err. */
bool opt_full(const struct opt_row *row, int n, int max, char *err, size_t errlen);
const char *opt_keep(struct config *cfg, const struct opt_row *row, const char *s,
		     char *err, size_t errlen);
int opt_append(struct config *cfg, const struct opt_row *row, const char *s,
	       const char **list, int *n, int max, char *err, size_t errlen);

/* The option lines of --help, in table order. */
void opt_print_help(FILE *out);

#endif
