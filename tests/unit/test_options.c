/* Unit tests for src/app/options.c and option_table.c: the command-line
 * grammar (long, short, clusters, prefixes, "--"), the wording of errors,
 * the table's own consistency and --help. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "app/options.h"

static enum config_result parse_v(struct config *cfg, char *err, size_t errlen, char **args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "eisd";
	while (*args && argc < 31)
		argv[argc++] = *args++;
	argv[argc] = NULL;
	config_defaults(cfg);
	err[0] = '\0';
	return config_parse(cfg, argc, argv, err, errlen);
}

#define PARSE(cfg, err, ...) parse_v(cfg, err, sizeof(err), (char *[]){ __VA_ARGS__, NULL })

static void test_flag_with_value_names_the_flag(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&cfg, err, "--listing=yes"), CONFIG_USAGE);
	assert_string_equal(err, "option '--listing' takes no value (got '--listing=yes')");
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "--quiet="), CONFIG_USAGE);
	assert_string_equal(err, "option '--quiet' takes no value (got '--quiet=')");
	config_free(&cfg);
}

static void test_long_forms(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&cfg, err, "--port=81", "--threads", "3", "--list"), CONFIG_OK);
	assert_int_equal(cfg.port, 81);
	assert_int_equal(cfg.threads, 3);
	assert_true(cfg.listing);
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "--s", "1"), CONFIG_USAGE);
	assert_string_equal(err, "ambiguous option '--s' (see --help)");
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "--bogus=1"), CONFIG_USAGE);
	assert_string_equal(err, "unknown option '--bogus=1' (see --help)");
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "--port"), CONFIG_USAGE);
	assert_string_equal(err, "option '--port' needs a value");
	/* A value may start with '-': the option takes the next word. */
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "--port", "-1"), CONFIG_USAGE);
	assert_string_equal(err, "invalid port '-1' (expected 0-65535)");
	config_free(&cfg);
}

static void test_short_forms(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&cfg, err, "-qt3", "-p", "90", "-b::1"), CONFIG_OK);
	assert_true(cfg.quiet);
	assert_int_equal(cfg.threads, 3);
	assert_int_equal(cfg.port, 90);
	assert_string_equal(cfg.bind, "::1");
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "-qZ"), CONFIG_USAGE);
	assert_string_equal(err, "unknown option '-Z' (see --help)");
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "-qp"), CONFIG_USAGE);
	assert_string_equal(err, "option '-p' needs a value");
	config_free(&cfg);
}

static void test_root_and_double_dash(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&cfg, err, "--quiet", "site", "-p", "0"), CONFIG_OK);
	assert_string_equal(cfg.root, "site");
	assert_int_equal(cfg.port, 0);
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "--", "--weird"), CONFIG_OK);
	assert_string_equal(cfg.root, "--weird");
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "-", "b"), CONFIG_USAGE);
	assert_string_equal(err, "unexpected argument 'b' (one ROOT only)");
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "-r", "a", "b"), CONFIG_USAGE);
	assert_string_equal(err, "unexpected argument 'b' (one ROOT only)");
	config_free(&cfg);
}

static void test_choices_and_text_checks(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&cfg, err, "--protocol", "gopher"), CONFIG_USAGE);
	assert_string_equal(err, "invalid protocol 'gopher' (expected http, echo or file)");
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "--protocol", "file"), CONFIG_OK);
	assert_int_equal(cfg.protocol, PROTOCOL_FILE);
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "--status", "x"), CONFIG_USAGE);
	assert_string_equal(err, "invalid --status path 'x' (expected an absolute path like /_status)");
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "--index", ".hidden"), CONFIG_USAGE);
	assert_true(strstr(err, "invalid --index '.hidden'") != NULL);
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(PARSE(&cfg, err, "--cache-max-age", "1.5"), CONFIG_USAGE);
	assert_string_equal(err, "invalid --cache-max-age '1.5' (expected 0-2147483647 seconds)");
	config_free(&cfg);
}

/* The config keeps copies: what argv points at may change afterwards. */
static void test_config_owns_its_strings(void **state)
{
	char root[] = "site", user[] = "nobody", mime[] = "md=text/markdown", log[] = "a.log";
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(&cfg, err, root, "--user", user, "--mime-type", mime,
			       "--access-log", log), CONFIG_OK);
	memset(root, 'x', 4);
	memset(user, 'x', 6);
	memset(mime, 'x', 5);
	memset(log, 'x', 5);
	assert_string_equal(cfg.root, "site");
	assert_string_equal(cfg.user, "nobody");
	assert_string_equal(cfg.mime_types[0], "md=text/markdown");
	assert_string_equal(cfg.access_log, "a.log");
	assert_true(cfg.root < cfg.text + sizeof(cfg.text) && cfg.root >= cfg.text);
	config_free(&cfg);
}

/* The setters of repeatable options word a full list and full text alike
 * (opt_full, opt_keep, opt_append), naming the row's option. */
static void test_list_setters_word_their_bounds(void **state)
{
	const struct opt_row *row = opt_by_field(offsetof(struct config, cors));
	const char *list[2];
	struct config cfg;
	char err[256], *argv[20];
	int n = 0;

	(void)state;
	assert_non_null(row);
	config_defaults(&cfg);
	assert_int_equal(opt_append(&cfg, row, "a", list, &n, 2, err, sizeof(err)), 0);
	assert_int_equal(opt_append(&cfg, row, "b", list, &n, 2, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0], "a");
	assert_string_equal(list[1], "b");
	assert_true(list[1] >= cfg.text && list[1] < cfg.text + sizeof(cfg.text));
	assert_int_equal(opt_append(&cfg, row, "c", list, &n, 2, err, sizeof(err)), -1);
	assert_string_equal(err, "too many --cors options (at most 2)");
	assert_int_equal(n, 2);
	assert_false(opt_full(row, 1, 2, err, sizeof(err)));

	n = 0;
	cfg.text_used = sizeof(cfg.text) - 1; /* room for "" only */
	assert_int_equal(opt_append(&cfg, row, "x", list, &n, 2, err, sizeof(err)), -1);
	assert_string_equal(err, "--cors: too much option text");
	assert_int_equal(n, 0);
	assert_null(opt_keep(&cfg, row, "x", err, sizeof(err)));
	assert_non_null(opt_keep(&cfg, row, "", err, sizeof(err)));
	config_free(&cfg);

	/* Through the parser: one more --cors than the list holds. */
	argv[0] = "eisd";
	for (int i = 1; i <= CONFIG_MAX_CORS + 1; i++)
		argv[i] = "--cors=*";
	argv[CONFIG_MAX_CORS + 2] = NULL;
	config_defaults(&cfg);
	assert_int_equal(config_parse(&cfg, CONFIG_MAX_CORS + 2, argv, err, sizeof(err)),
			 CONFIG_USAGE);
	assert_string_equal(err, "too many --cors options (at most 16)");
	config_free(&cfg);
}

/* Names and letters are unique, every row has help, and --help lists
 * every option. */
static void test_table_is_consistent_and_in_help(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	opt_print_help(f);
	fclose(f);
	for (size_t i = 0; i < opt_count; i++) {
		char want[64];

		assert_non_null(opt_table[i].help);
		snprintf(want, sizeof(want), "--%s", opt_table[i].name);
		if (!strstr(buf, want))
			fail_msg("--help lacks %s", want);
		for (size_t j = i + 1; j < opt_count; j++) {
			assert_string_not_equal(opt_table[i].name, opt_table[j].name);
			if (opt_table[i].letter)
				assert_int_not_equal(opt_table[i].letter, opt_table[j].letter);
		}
	}
	/* Descriptions start in one column. */
	assert_non_null(strstr(buf, "\n  -t, --threads N           worker threads"));
	assert_non_null(strstr(buf, "\n      --keepalive-timeout SEC\n                            idle"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flag_with_value_names_the_flag),
		cmocka_unit_test(test_long_forms),
		cmocka_unit_test(test_short_forms),
		cmocka_unit_test(test_root_and_double_dash),
		cmocka_unit_test(test_choices_and_text_checks),
		cmocka_unit_test(test_config_owns_its_strings),
		cmocka_unit_test(test_list_setters_word_their_bounds),
		cmocka_unit_test(test_table_is_consistent_and_in_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
