/* Unit tests for src/app/reload.c: which settings a reload may change;
 * the others are named and kept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "app/reload.h"

static struct config *parsed(char **args)
{
	struct config *cfg = malloc(sizeof(*cfg));
	char *argv[32], err[256];
	int argc = 0;

	assert_non_null(cfg);
	argv[argc++] = "eisd";
	while (*args)
		argv[argc++] = *args++;
	argv[argc] = NULL;
	config_defaults(cfg);
	if (config_parse(cfg, argc, argv, err, sizeof(err)) != CONFIG_OK)
		fail_msg("%s", err);
	return cfg;
}

static void done(struct config *cfg)
{
	config_free(cfg);
	free(cfg);
}

static void test_restart_only_named_and_kept(void **state)
{
	struct config *a = parsed((char *[]){ "--port", "1", "--header", "X: a", "-r", "/srv/a",
					      "--cache-max-age", "5", NULL });
	struct config *b = parsed((char *[]){ "--port", "2", "--header", "X: b", "-r", "/srv/b",
					      "--threads", "7", "--cache-max-age", "9",
					      "--protocol", "file", NULL });
	char names[256];

	(void)state;
	assert_int_equal(reload_keep_restart_only(a, b, names, sizeof(names)), 4);
	assert_string_equal(names, "--port, --root, --threads, --protocol");
	assert_int_equal(b->port, 1);
	assert_string_equal(b->root, "/srv/a");
	assert_int_equal(b->threads, a->threads);
	assert_int_equal(b->protocol, PROTOCOL_HTTP);
	/* Live ones keep the new value. */
	assert_string_equal(b->extra_headers, "X: b\r\n");
	assert_int_equal(b->cache_max_age, 9);
	done(a);
	done(b);
}

static void test_log_kind_needs_restart_name_does_not(void **state)
{
	struct config *a = parsed((char *[]){ "--access-log", "/var/log/a.log", NULL });
	struct config *b = parsed((char *[]){ "--access-log", "/var/log/b.log", NULL });
	struct config *c = parsed((char *[]){ "--quiet", NULL });
	char names[256];

	(void)state;
	assert_int_equal(reload_keep_restart_only(a, b, names, sizeof(names)), 0);
	assert_string_equal(b->access_log, "/var/log/b.log");
	assert_int_equal(reload_keep_restart_only(a, c, names, sizeof(names)), 2);
	assert_string_equal(names, "--quiet, --access-log");
	assert_false(c->quiet);
	assert_string_equal(c->access_log, "/var/log/a.log");
	done(a);
	done(b);
	done(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_only_named_and_kept),
		cmocka_unit_test(test_log_kind_needs_restart_name_does_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
