/* Unit tests for src/app/config_file.c: the grammar of the config file,
 * its errors (FILE:LINE), the command line winning, [location] sections
 * and the per-path lookup (config_settings_for). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "app/config_file.h"

static struct config *cfg_new(void)
{
	struct config *cfg = malloc(sizeof(*cfg));

	assert_non_null(cfg);
	config_defaults(cfg);
	return cfg;
}

static void cfg_done(struct config *cfg)
{
	config_free(cfg);
	free(cfg);
}

/* Parses text as "t.conf" on a fresh config; resolves the locations. */
static enum config_result load(struct config *cfg, const char *text, char *err, size_t errlen)
{
	enum config_result r;

	err[0] = '\0';
	r = config_file_parse(cfg, "t.conf", text, strlen(text), err, errlen);
	if (r == CONFIG_OK && config_resolve_locations(cfg, err, errlen))
		r = CONFIG_ERROR;
	return r;
}

static void test_values_comments_quotes(void **state)
{
	struct config *cfg = cfg_new();
	char err[512];

	(void)state;
	assert_int_equal(load(cfg,
		"# a comment\n"
		"\n"
		"  port = 81   # trailing comment\n"
		"threads=3\n"
		"root = \"/srv/my site\"\n"
		"index = 'home page.html'\n"
		"header = \"X-A: say \\\"hi\\\" # not a comment\"\n"
		"header = X-B: b#c\n"
		"listing\n"
		"no-precompressed = yes\r\n"
		"status = /_status\n", err, sizeof(err)), CONFIG_OK);
	assert_int_equal(cfg->port, 81);
	assert_int_equal(cfg->threads, 3);
	assert_string_equal(cfg->root, "/srv/my site");
	assert_string_equal(cfg->index, "home page.html");
	assert_string_equal(cfg->extra_headers, "X-A: say \"hi\" # not a comment\r\nX-B: b#c\r\n");
	assert_true(cfg->listing);
	assert_false(cfg->precompressed);
	assert_string_equal(cfg->status_path, "/_status");
	cfg_done(cfg);
}

static void test_flag_values(void **state)
{
	struct config *cfg = cfg_new();
	char err[512];

	(void)state;
	assert_int_equal(load(cfg, "listing = off\nquiet = TRUE\nno-precompressed = no\n", err, sizeof(err)),
			 CONFIG_OK);
	assert_false(cfg->listing);
	assert_true(cfg->quiet);
	assert_true(cfg->precompressed);
	cfg_done(cfg);
}

struct bad {
	const char *text;
	const char *err;
};

static const struct bad bads[] = {
	{ "port = 70000\n", "t.conf:1: invalid port '70000' (expected 0-65535)" },
	{ "\n\nbogus = 1\n", "t.conf:3: unknown setting 'bogus' (the names are those of the long options, see --help)" },
	{ "list = yes\n", "t.conf:1: unknown setting 'list' (the names are those of the long options, see --help)" },
	{ "port\n", "t.conf:1: 'port' needs a value (port = ...)" },
	{ "port 80\n", "t.conf:1: expected '=' after 'port'" },
	{ "listing = maybe\n", "t.conf:1: invalid value 'maybe' for 'listing' (expected yes or no)" },
	{ "port = 1\nport = 2\n", "t.conf:2: 'port' given twice (first on line 1)" },
	{ "help = yes\n", "t.conf:1: 'help' is for the command line only" },
	{ "config = other.conf\n", "t.conf:1: 'config' is for the command line only" },
	{ "root = \"open\n", "t.conf:1: unterminated quoted value" },
	{ "root = \"a\" b\n", "t.conf:1: text after the closing quote" },
	{ "root = \"a\\n\"\n", "t.conf:1: unknown escape in a \"quoted\" value (only \\\" and \\\\)" },
	{ "header = X: a\nheader = Content-Length: 5\n",
	  "t.conf:2: --header 'Content-Length' is not allowed: eisd sets that header itself" },
	{ "[server]\n", "t.conf:1: unknown section '[server]' (expected [location PREFIX])" },
	{ "[location /a/\n", "t.conf:1: a section line is [location PREFIX]" },
	{ "[location a/]\n", "t.conf:1: invalid location prefix 'a/' (expected a path like /assets/: "
			    "starting with '/', no '.', '..' or empty segment)" },
	{ "[location /a/../b]\n", "t.conf:1: invalid location prefix '/a/../b' (expected a path like /assets/: "
				 "starting with '/', no '.', '..' or empty segment)" },
	{ "[location //a]\n", "t.conf:1: invalid location prefix '//a' (expected a path like /assets/: "
			     "starting with '/', no '.', '..' or empty segment)" },
	{ "[location /a/]\n[location /a/]\n", "t.conf:2: [location /a/] given twice" },
	{ "[location /a/]\nport = 1\n",
	  "t.conf:2: 'port' cannot be set per path (in [location /a/]); put it before the first section" },
	{ "[location /a/]\nlisting\nlisting = no\n", "t.conf:3: 'listing' given twice (first on line 2)" },
	{ "x\0y = 1\n", "t.conf:1: NUL byte in the file" },
};

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct config *cfg = cfg_new();
		char err[512];
		size_t len = strlen(bads[i].text);
		enum config_result r;

		if (strcmp(bads[i].text, "x") == 0)
			len = 9; /* the NUL case: "x\0y = 1\n" */
		err[0] = '\0';
		r = config_file_parse(cfg, "t.conf", bads[i].text, len, err, sizeof(err));
		if (r != CONFIG_USAGE || strcmp(err, bads[i].err) != 0)
			fail_msg("case %zu: result %d, message '%s', expected '%s'", i, r, err, bads[i].err);
		cfg_done(cfg);
	}
}

/* The command line wins; a repeatable option given there replaces the
 * file's lines. */
static void test_command_line_wins(void **state)
{
	struct config *cfg = cfg_new();
	char err[512];
	char *argv[] = { "eisd", "--port", "9", "--header", "X-Cli: 1", "--config", "unused", NULL };

	(void)state;
	/* What config_parse does, with the file's text given here. */
	cfg->config_file = NULL;
	assert_int_equal(config_parse(cfg, 5, argv, err, sizeof(err)), CONFIG_OK);
	assert_int_equal(load(cfg, "port = 1\nthreads = 2\nheader = X-File: 1\nheader = X-File2: 2\n",
			      err, sizeof(err)), CONFIG_OK);
	assert_int_equal(cfg->port, 9);
	assert_int_equal(cfg->threads, 2);
	assert_string_equal(cfg->extra_headers, "X-Cli: 1\r\n");
	/* Overridden, but still checked: a bad file is a bad file. */
	assert_int_equal(load(cfg, "port = 70000\n", err, sizeof(err)), CONFIG_USAGE);
	assert_string_equal(err, "t.conf:1: invalid port '70000' (expected 0-65535)");
	cfg_done(cfg);
}

static void test_missing_file_is_runtime_error(void **state)
{
	struct config *cfg = cfg_new();
	char err[512];

	(void)state;
	assert_int_equal(config_file_load(cfg, "/nonexistent/eisd.conf", err, sizeof(err)), CONFIG_ERROR);
	assert_string_equal(err, "cannot read config file '/nonexistent/eisd.conf': No such file or directory");
	cfg_done(cfg);
}

static const struct path_settings *at(const struct config *cfg, const char *rel, bool trailing)
{
	return config_settings_for(cfg, rel, strlen(rel), trailing);
}

static void test_locations_longest_prefix_whole_segments(void **state)
{
	struct config *cfg = cfg_new();
	char err[512];

	(void)state;
	assert_int_equal(load(cfg,
		"cache-max-age = 60\n"
		"header = X-Site: s\n"
		"header = X-Frame-Options: DENY\n"
		"[location /assets/]\n"
		"cache-max-age = 31536000\n"
		"[location /assets/raw]\n"
		"no-precompressed\n"
		"listing\n"
		"header = X-Frame-Options: SAMEORIGIN\n"
		"[location /index.html]\n"
		"header = \"Cache-Control: no-cache\"\n"
		"[location /docs]\n"
		"index = README.html\n", err, sizeof(err)), CONFIG_OK);
	/* Site. */
	assert_ptr_equal(at(cfg, "", true), &cfg->site);
	assert_int_equal(at(cfg, "a.txt", false)->cache_max_age, 60);
	assert_ptr_equal(at(cfg, "assets", false), &cfg->site);    /* "/assets" is not under "/assets/" */
	assert_ptr_equal(at(cfg, "assetsx/a", false), &cfg->site);
	assert_ptr_equal(at(cfg, "docsx", false), &cfg->site);     /* whole segments */
	assert_ptr_equal(at(cfg, "index.htmlx", false), &cfg->site);
	/* /assets/ */
	assert_int_equal(at(cfg, "assets", true)->cache_max_age, 31536000);
	assert_int_equal(at(cfg, "assets/app.js", false)->cache_max_age, 31536000);
	assert_true(at(cfg, "assets/app.js", false)->precompressed);
	assert_string_equal(at(cfg, "assets/app.js", false)->extra_headers,
			    "X-Site: s\r\nX-Frame-Options: DENY\r\n");
	/* /assets/raw: longest wins, inherits the site (not /assets/). */
	assert_false(at(cfg, "assets/raw/x.bin", false)->precompressed);
	assert_true(at(cfg, "assets/raw", true)->listing);
	assert_true(at(cfg, "assets/raw", false)->listing);
	assert_int_equal(at(cfg, "assets/raw/x", false)->cache_max_age, 60);
	assert_string_equal(at(cfg, "assets/raw/x", false)->extra_headers,
			    "X-Site: s\r\nX-Frame-Options: SAMEORIGIN\r\n");
	assert_ptr_equal(at(cfg, "assets/rawer", false), at(cfg, "assets/x", false));
	/* /index.html: its own Cache-Control replaces max-age. */
	assert_true(at(cfg, "index.html", false)->header_cache_control);
	assert_false(at(cfg, "a.txt", false)->header_cache_control);
	/* /docs covers /docs and below. */
	assert_string_equal(at(cfg, "docs", true)->index, "README.html");
	assert_string_equal(at(cfg, "docs/a/b", true)->index, "README.html");
	assert_string_equal(at(cfg, "a", true)->index, "index.html");
	cfg_done(cfg);
}

static void test_location_root_covers_everything(void **state)
{
	struct config *cfg = cfg_new();
	char err[512];

	(void)state;
	assert_int_equal(load(cfg, "[location /]\nlisting = yes\n", err, sizeof(err)), CONFIG_OK);
	assert_true(at(cfg, "", true)->listing);
	assert_true(at(cfg, "a/b", true)->listing);
	assert_false(cfg->site.listing);
	cfg_done(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_comments_quotes),
		cmocka_unit_test(test_flag_values),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_command_line_wins),
		cmocka_unit_test(test_missing_file_is_runtime_error),
		cmocka_unit_test(test_locations_longest_prefix_whole_segments),
		cmocka_unit_test(test_location_root_covers_everything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
