/* Unit tests for src/files/mime.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files/mime.h"

#define OCTET "application/octet-stream"

static int table_setup(void **state)
{
	*state = mime_table_new();
	return *state == NULL ? -1 : 0;
}

static int table_teardown(void **state)
{
	mime_table_free(*state);
	return 0;
}

static const char *type_of(const struct mime_table *t, const char *name)
{
	return mime_type_for(t, name, strlen(name));
}

struct lookup_case {
	const char *name;
	const char *type;
};

static const struct lookup_case builtin_cases[] = {
	{ "index.html", "text/html; charset=utf-8" },
	{ "a.htm", "text/html; charset=utf-8" },
	{ "style.css", "text/css; charset=utf-8" },
	{ "app.js", "text/javascript; charset=utf-8" },
	{ "mod.mjs", "text/javascript; charset=utf-8" },
	{ "data.json", "application/json" },
	{ "readme.txt", "text/plain; charset=utf-8" },
	{ "feed.xml", "application/xml" },
	{ "logo.svg", "image/svg+xml" },
	{ "a.png", "image/png" },
	{ "a.jpg", "image/jpeg" },
	{ "a.jpeg", "image/jpeg" },
	{ "a.gif", "image/gif" },
	{ "a.webp", "image/webp" },
	{ "a.avif", "image/avif" },
	{ "favicon.ico", "image/vnd.microsoft.icon" },
	{ "a.bmp", "image/bmp" },
	{ "a.wasm", "application/wasm" },
	{ "a.pdf", "application/pdf" },
	{ "a.woff", "font/woff" },
	{ "a.woff2", "font/woff2" },
	{ "a.ttf", "font/ttf" },
	{ "a.otf", "font/otf" },
	{ "a.eot", "application/vnd.ms-fontobject" },
	{ "a.mp4", "video/mp4" },
	{ "a.webm", "video/webm" },
	{ "a.ogg", "audio/ogg" },
	{ "a.ogv", "video/ogg" },
	{ "a.oga", "audio/ogg" },
	{ "a.mp3", "audio/mpeg" },
	{ "a.wav", "audio/wav" },
	{ "a.flac", "audio/flac" },
	{ "a.m4a", "audio/mp4" },
	{ "a.aac", "audio/aac" },
	{ "a.mov", "video/quicktime" },
	{ "a.zip", "application/zip" },
	{ "a.gz", "application/gzip" },
	{ "a.tgz", "application/gzip" },
	{ "a.tar", "application/x-tar" },
	{ "a.bz2", "application/x-bzip2" },
	{ "a.xz", "application/x-xz" },
	{ "a.7z", "application/x-7z-compressed" },
	{ "a.br", "application/x-brotli" },
	{ "a.csv", "text/csv; charset=utf-8" },
	{ "a.md", "text/markdown; charset=utf-8" },
	{ "a.map", "application/json" },
	{ "site.webmanifest", "application/manifest+json" },
	{ "a.atom", "application/atom+xml" },
	{ "a.rss", "application/rss+xml" },
	{ "a.yaml", "application/yaml" },
	{ "a.yml", "application/yaml" },
	{ "a.toml", "application/toml" },
	{ "a.ics", "text/calendar; charset=utf-8" },
	{ "a.jsonld", "application/ld+json" },
	{ "a.epub", "application/epub+zip" },
	{ "a.apk", "application/vnd.android.package-archive" },
};

static void test_builtins(void **state)
{
	const struct mime_table *t = *state;

	for (size_t i = 0; i < sizeof(builtin_cases) / sizeof(builtin_cases[0]);
	     i++) {
		const char *got = type_of(t, builtin_cases[i].name);

		if (strcmp(got, builtin_cases[i].type) != 0)
			fail_msg("%s: got \"%s\" want \"%s\"",
				 builtin_cases[i].name, got,
				 builtin_cases[i].type);
	}
}

static const struct lookup_case name_cases[] = {
	{ "FILE.PNG", "image/png" },
	{ "Index.HtMl", "text/html; charset=utf-8" },
	{ "a.JS", "text/javascript; charset=utf-8" },
	{ "archive.tar.gz", "application/gzip" },
	{ "a.b.c.json", "application/json" },
	{ "dir/sub/page.html", "text/html; charset=utf-8" },
	{ "dir.png/file", OCTET },          /* the dot is in a directory */
	{ "dir.d/readme", OCTET },
	{ "/abs/x.css", "text/css; charset=utf-8" },
	{ "", OCTET },
	{ "Makefile", OCTET },
	{ "noext.", OCTET },               /* empty extension */
	{ ".", OCTET },
	{ "..", OCTET },
	{ ".bashrc", OCTET },               /* dotfiles have no extension */
	{ ".png", OCTET },
	{ "..png", OCTET },
	{ "dir/.png", OCTET },
	{ ".config.json", "application/json" }, /* a dotfile with one */
	{ "a.unknownext", OCTET },
	{ "a.exe", OCTET },
	{ "a.htmlx", OCTET },
	{ "a.htm l", OCTET },
	{ "a.thisextensioniswaytoolongtobeanythingreal", OCTET },
	{ "dir/", OCTET },
};

static void test_names(void **state)
{
	const struct mime_table *t = *state;

	for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]);
	     i++) {
		const char *got = type_of(t, name_cases[i].name);

		if (strcmp(got, name_cases[i].type) != 0)
			fail_msg("\"%s\": got \"%s\" want \"%s\"",
				 name_cases[i].name, got, name_cases[i].type);
	}
}

/* Only name[0..len) counts: the name need not be NUL-terminated. */
static void test_len_bounds(void **state)
{
	const struct mime_table *t = *state;
	const char *name = "a.png.html";

	assert_string_equal(mime_type_for(t, name, 5), "image/png");
	assert_string_equal(mime_type_for(t, name, 4), OCTET); /* "a.pn" */
	assert_string_equal(mime_type_for(t, name, 0), OCTET);
	assert_string_equal(mime_type_for(NULL, "a.png", 5), OCTET);
}

static void test_set(void **state)
{
	struct mime_table *t = *state;

	/* Override a built-in, add a new one, case-insensitively. */
	assert_int_equal(mime_table_set(t, "html", "application/xhtml+xml"), 0);
	assert_string_equal(type_of(t, "a.HTML"), "application/xhtml+xml");
	assert_int_equal(mime_table_set(t, "FOO", "application/x-foo"), 0);
	assert_string_equal(type_of(t, "x.foo"), "application/x-foo");
	assert_string_equal(type_of(t, "x.Foo"), "application/x-foo");
	assert_int_equal(mime_table_set(t, "foo", "application/x-foo2"), 0);
	assert_string_equal(type_of(t, "x.FOO"), "application/x-foo2");

	/* The charset rule. */
	assert_int_equal(mime_table_set(t, "log", "text/plain"), 0);
	assert_string_equal(type_of(t, "a.log"), "text/plain; charset=utf-8");
	assert_int_equal(mime_table_set(t, "lat", "text/plain; charset=latin1"),
			 0);
	assert_string_equal(type_of(t, "a.lat"), "text/plain; charset=latin1");
	assert_int_equal(mime_table_set(t, "ojs", "application/javascript"), 0);
	assert_string_equal(type_of(t, "a.ojs"),
			    "application/javascript; charset=utf-8");
	assert_int_equal(mime_table_set(t, "geo", "application/geo+json"), 0);
	assert_string_equal(type_of(t, "a.geo"), "application/geo+json");
	assert_int_equal(mime_table_set(t, "q", "text/x-q;format=\"a b\\\"\""),
			 0);
	assert_string_equal(type_of(t, "a.q"), "text/x-q;format=\"a b\\\"\"");
}

static void test_set_invalid(void **state)
{
	struct mime_table *t = *state;
	static const char *const bad_types[] = {
		"", "text", "text/", "/html", "text/html/x", "text /html",
		"text/ html", "text/html ", "text/html;", "text/html; charset",
		"text/html; charset=", "text/html; =utf-8",
		"text/html; charset=\"utf-8", "text/html\r\nX-Evil: 1",
		"text/html\n", "te\"xt/html", "text/h(tml)",
		"text/html; charset=utf 8",
	};
	static const char *const bad_exts[] = {
		"", ".png", "p.ng", "a/b", "a b", "a\tb", "a\n",
		"abcdefghijklmnopqrstuvwxyz0123456", /* 33 bytes */
	};

	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++)
		if (mime_table_set(t, "bad", bad_types[i]) != -1)
			fail_msg("accepted type \"%s\"", bad_types[i]);
	assert_string_equal(type_of(t, "x.bad"), OCTET);
	for (size_t i = 0; i < sizeof(bad_exts) / sizeof(bad_exts[0]); i++)
		if (mime_table_set(t, bad_exts[i], "text/plain") != -1)
			fail_msg("accepted extension \"%s\"", bad_exts[i]);
	/* A rejected override leaves the old entry alone. */
	assert_int_equal(mime_table_set(t, "png", "image/"), -1);
	assert_string_equal(type_of(t, "a.png"), "image/png");
	/* 32 bytes is still fine. */
	assert_int_equal(mime_table_set(t, "abcdefghijklmnopqrstuvwxyz012345",
					"application/x-long"), 0);
	assert_string_equal(type_of(t, "f.abcdefghijklmnopqrstuvwxyz012345"),
			    "application/x-long");
}

/* Many additions force the table to grow; everything must survive. */
static void test_grow(void **state)
{
	struct mime_table *t = *state;
	char ext[16], type[32], name[32];

	for (int i = 0; i < 2000; i++) {
		snprintf(ext, sizeof(ext), "e%d", i);
		snprintf(type, sizeof(type), "application/x-%d", i);
		assert_int_equal(mime_table_set(t, ext, type), 0);
	}
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "f.E%d", i);
		snprintf(type, sizeof(type), "application/x-%d", i);
		assert_string_equal(type_of(t, name), type);
	}
	assert_string_equal(type_of(t, "a.html"), "text/html; charset=utf-8");
}

static void write_file(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/eisd-mime-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (long)strlen(text));
	close(fd);
}

static const char mime_types_text[] =
	"###########\n"
	"# A comment line: text/x-comment cmt\n"
	"\n"
	"   \t  \n"
	"application/x-only-type\n"
	"text/html\t\t\t\thtml htm shtml\n"          /* built-in kept */
	"application/javascript\t\tjs\n"               /* built-in kept */
	"image/x-fancy  fancy FNCY\n"
	"text/x-readme  readme  # trailing comment x-notext\n"
	"text/plain\ttext conf log\r\n"
	"application/x-first    dup\n"
	"application/x-second   dup\n"                  /* first wins */
	"text/x-sarif  sarif.json sarif\n"              /* dotted ext skipped */
	"bad type       badtype\n"
	"not-a-type     nat\n"
	"application/x-set   setme\n"
	"application/x-last  last";                     /* no final newline */

static void test_load(void **state)
{
	struct mime_table *t = *state;
	char path[64];

	/* Set before load: the user still wins. */
	assert_int_equal(mime_table_set(t, "setme", "application/x-user"), 0);
	write_file(path, mime_types_text);
	assert_int_equal(mime_table_load(t, path), 0);
	unlink(path);

	assert_string_equal(type_of(t, "a.html"), "text/html; charset=utf-8");
	assert_string_equal(type_of(t, "a.js"),
			    "text/javascript; charset=utf-8");
	assert_string_equal(type_of(t, "a.shtml"), "text/html; charset=utf-8");
	assert_string_equal(type_of(t, "a.fancy"), "image/x-fancy");
	assert_string_equal(type_of(t, "a.fncy"), "image/x-fancy");
	assert_string_equal(type_of(t, "README.readme"),
			    "text/x-readme; charset=utf-8");
	assert_string_equal(type_of(t, "a.x-notext"), OCTET);
	assert_string_equal(type_of(t, "a.cmt"), OCTET);
	assert_string_equal(type_of(t, "a.conf"), "text/plain; charset=utf-8");
	assert_string_equal(type_of(t, "a.log"), "text/plain; charset=utf-8");
	assert_string_equal(type_of(t, "a.dup"), "application/x-first");
	assert_string_equal(type_of(t, "a.sarif"),
			    "text/x-sarif; charset=utf-8");
	assert_string_equal(type_of(t, "a.badtype"), OCTET);
	assert_string_equal(type_of(t, "a.nat"), OCTET);
	assert_string_equal(type_of(t, "a.setme"), "application/x-user");
	assert_string_equal(type_of(t, "a.last"), "application/x-last");

	/* Set after load overrides the file and the built-ins alike. */
	assert_int_equal(mime_table_set(t, "fancy", "image/x-plain"), 0);
	assert_string_equal(type_of(t, "a.fancy"), "image/x-plain");
	assert_int_equal(mime_table_set(t, "htm", "text/x-old"), 0);
	assert_string_equal(type_of(t, "a.htm"), "text/x-old; charset=utf-8");

	/* A second file only fills what is still missing. */
	write_file(path, "image/x-other fancy dup newer\n");
	assert_int_equal(mime_table_load(t, path), 0);
	unlink(path);
	assert_string_equal(type_of(t, "a.fancy"), "image/x-plain");
	assert_string_equal(type_of(t, "a.dup"), "application/x-first");
	assert_string_equal(type_of(t, "a.newer"), "image/x-other");
}

static void test_load_missing(void **state)
{
	struct mime_table *t = *state;

	assert_int_equal(mime_table_load(t, "/nonexistent/mime.types"), -1);
	assert_int_equal(mime_table_load(t, "/"), -1); /* a directory */
	assert_string_equal(type_of(t, "a.png"), "image/png");
}

/* The real Debian file loads, and the built-ins still win over it. */
static void test_load_system(void **state)
{
	struct mime_table *t = *state;

	/* Debian's media-types (tests/deps.sh installs it); no skip: a test
	 * that cannot run fails. */
	if (access("/etc/mime.types", R_OK) != 0)
		fail_msg("/etc/mime.types missing: install media-types");
	assert_int_equal(mime_table_load(t, "/etc/mime.types"), 0);
	assert_string_equal(type_of(t, "a.html"), "text/html; charset=utf-8");
	assert_string_equal(type_of(t, "a.js"),
			    "text/javascript; charset=utf-8");
	assert_string_equal(type_of(t, "a.png"), "image/png");
	assert_string_not_equal(type_of(t, "a.odg"), OCTET);
}

static void test_compressible(void **state)
{
	static const char *const yes[] = {
		"text/html; charset=utf-8", "text/css", "TEXT/Plain", "text/javascript; charset=utf-8",
		"application/javascript", "application/json", "application/ld+json",
		"application/manifest+json", "application/xml", "application/atom+xml",
		"image/svg+xml", "application/wasm", "font/ttf", "font/otf",
		"application/vnd.ms-fontobject", "application/json ; x=y",
	};
	static const char *const no[] = {
		"font/woff", "font/woff2", "image/png", "image/jpeg", "video/mp4", "audio/ogg",
		"application/octet-stream", "application/gzip", "application/zip", "application/pdf",
		"text/", "application/jsonx", "xml", "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(mime_compressible(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (mime_compressible(no[i]))
			fail_msg("%s counted as compressible", no[i]);
}

#define T(f) cmocka_unit_test_setup_teardown(f, table_setup, table_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_builtins),   T(test_names),       T(test_len_bounds),
		T(test_set),        T(test_set_invalid), T(test_grow),
		T(test_load),       T(test_load_missing), T(test_load_system),
		cmocka_unit_test(test_compressible),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
