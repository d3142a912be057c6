/* Unit tests for src/app/config.c: the deadlines, limits and privilege flags. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "app/config.h"

/* Parses a NULL-terminated list of arguments after "eisd". */
static enum config_result parse(struct config *cfg, char *err, size_t errlen, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	char *a;

	argv[argc++] = "eisd";
	va_start(ap, errlen);
	while ((a = va_arg(ap, char *)) != NULL && argc < 31)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	config_defaults(cfg);
	err[0] = '\0';
	return config_parse(cfg, argc, argv, err, errlen);
}

static void test_defaults(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), NULL), CONFIG_OK);
	assert_int_equal(cfg.header_timeout, 10);
	assert_int_equal(cfg.keepalive_timeout, 15);
	assert_int_equal(cfg.send_timeout, 30);
	assert_int_equal(cfg.shutdown_grace, 5);
	assert_int_equal(cfg.max_connections, 0);
	assert_null(cfg.user);
	assert_false(cfg.chroot);
	config_free(&cfg);
}

static void test_each_timeout(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "--header-timeout", "3", "--keepalive-timeout", "4",
			       "--send-timeout", "5", NULL), CONFIG_OK);
	assert_int_equal(cfg.header_timeout, 3);
	assert_int_equal(cfg.keepalive_timeout, 4);
	assert_int_equal(cfg.send_timeout, 5);
	config_free(&cfg);
}

static void test_timeout_sets_all_three(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "--timeout", "7", NULL), CONFIG_OK);
	assert_int_equal(cfg.header_timeout, 7);
	assert_int_equal(cfg.keepalive_timeout, 7);
	assert_int_equal(cfg.send_timeout, 7);
	config_free(&cfg);
}

/* A specific timeout wins over --timeout, before or after it. */
static void test_specific_timeout_wins_in_any_order(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "--send-timeout", "60", "--timeout", "2", NULL),
			 CONFIG_OK);
	assert_int_equal(cfg.header_timeout, 2);
	assert_int_equal(cfg.keepalive_timeout, 2);
	assert_int_equal(cfg.send_timeout, 60);
	config_free(&cfg); /* what the parse before allocated */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--timeout", "2", "--header-timeout", "9", NULL),
			 CONFIG_OK);
	assert_int_equal(cfg.header_timeout, 9);
	assert_int_equal(cfg.keepalive_timeout, 2);
	assert_int_equal(cfg.send_timeout, 2);
	config_free(&cfg);
}

static void test_limits_and_user(void **state)
{
	struct config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "--max-connections", "123", "--shutdown-grace", "0",
			       "--user", "nobody", "--chroot", NULL), CONFIG_OK);
	assert_int_equal(cfg.max_connections, 123);
	assert_int_equal(cfg.shutdown_grace, 0);
	assert_string_equal(cfg.user, "nobody");
	assert_true(cfg.chroot);
	config_free(&cfg);
}

struct bad_case {
	const char *flag;
	const char *value; /* NULL: flag alone */
	const char *expect; /* in the message */
};

static const struct bad_case bad_cases[] = {
	{ "--header-timeout", "0", "--header-timeout '0'" },
	{ "--header-timeout", "86401", "--header-timeout '86401'" },
	{ "--keepalive-timeout", "x", "--keepalive-timeout 'x'" },
	{ "--send-timeout", "-1", "--send-timeout '-1'" },
	{ "--send-timeout", "", "--send-timeout ''" },
	{ "--timeout", "0", "timeout '0'" },
	{ "--shutdown-grace", "3601", "--shutdown-grace '3601'" },
	{ "--shutdown-grace", "1s", "--shutdown-grace '1s'" },
	{ "--max-connections", "0", "--max-connections '0'" },
	{ "--max-connections", "10000001", "--max-connections '10000001'" },
	{ "--user", "", "--user" },
	{ "--chroot", NULL, "--chroot needs --user" },
};

static void test_bad_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		struct config cfg;
		char err[256];
		enum config_result r;

		if (b->value)
			r = parse(&cfg, err, sizeof(err), b->flag, b->value, NULL);
		else
			r = parse(&cfg, err, sizeof(err), b->flag, NULL);
		if (r != CONFIG_USAGE || !strstr(err, b->expect))
			fail_msg("%s %s: result %d, message '%s'", b->flag, b->value ? b->value : "", r, err);
		config_free(&cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_each_timeout),
		cmocka_unit_test(test_timeout_sets_all_three),
		cmocka_unit_test(test_specific_timeout_wins_in_any_order),
		cmocka_unit_test(test_limits_and_user),
		cmocka_unit_test(test_bad_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
