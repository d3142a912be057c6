/* Unit tests for src/files/path.c: decoding and normalising tables, then
 * path_open and its fallback against a real directory tree. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "files/path.h"

/* ---- path_decode ---- */

struct decode_case {
	const char *in;
	size_t len;     /* 0: strlen(in) */
	long want;      /* decoded length or -400 */
	const char *out;
};

static const struct decode_case decode_cases[] = {
	{ "/", 0, 1, "/" },
	{ "/index.html", 0, 11, "/index.html" },
	{ "", 0, 0, "" },
	{ "/a%20b", 0, 4, "/a b" },
	{ "/%41%42%43", 0, 4, "/ABC" },
	{ "/%6a%6A", 0, 3, "/jj" },          /* hex in either case */
	{ "/%2e%2e/x", 0, 5, "/../x" },
	{ "/%2E%2E%2F", 0, 4, "/../" },
	{ "/%252e", 0, 4, "/%2e" },          /* decoded exactly once */
	{ "/a+b", 0, 4, "/a+b" },            /* '+' is not a space in paths */
	{ "/%ff%c3%a9", 0, 4, "/\xff\xc3\xa9" },
	{ "/%7e", 0, 2, "/~" },
	{ "/%", 0, -400, NULL },
	{ "/%4", 0, -400, NULL },
	{ "/%zz", 0, -400, NULL },
	{ "/%4g", 0, -400, NULL },
	{ "/%g4", 0, -400, NULL },
	{ "/%%41", 0, -400, NULL },
	{ "/%00", 0, -400, NULL },
	{ "/a%00.png", 0, -400, NULL },
	{ "/ab%2", 0, -400, NULL },
	{ "/ab%41", 3, 3, "/ab" },           /* only len bytes are read */
	{ "/ab%41", 4, -400, NULL },         /* escape cut short by len */
	{ "/ab%41", 5, -400, NULL },
};

static void test_decode_table(void **state)
{
	for (size_t i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]);
	     i++) {
		const struct decode_case *c = &decode_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		char out[64];
		long got = path_decode(c->in, len, out, sizeof(out));

		if (got != c->want)
			fail_msg("decode \"%s\": got %ld want %ld", c->in, got,
				 c->want);
		if (c->out)
			assert_string_equal(out, c->out);
	}
}

static void test_decode_embedded_nul(void **state)
{
	const char in[] = { '/', 'a', '\0', 'b' };
	char out[16];

	assert_int_equal(path_decode(in, sizeof(in), out, sizeof(out)), -400);
}

static void test_decode_too_long(void **state)
{
	char out[6];

	/* Five bytes plus the NUL fit exactly; six do not. */
	assert_int_equal(path_decode("/abcd", 5, out, sizeof(out)), 5);
	assert_string_equal(out, "/abcd");
	assert_int_equal(path_decode("/abcde", 6, out, sizeof(out)), -400);
	assert_int_equal(path_decode("/ab%41%42", 9, out, sizeof(out)), 5);
	assert_int_equal(path_decode("/ab%41%42%43", 12, out, sizeof(out)),
			 -400);
	assert_int_equal(path_decode("", 0, out, 0), -400);
}

/* ---- path_normalize ---- */

struct norm_case {
	const char *in;
	long want;        /* length, -400 or -404 */
	const char *out;  /* when want >= 0 */
	int trailing;     /* when want >= 0 */
};

static const struct norm_case norm_cases[] = {
	{ "/", 0, "", 1 },
	{ "//", 0, "", 1 },
	{ "/./", 0, "", 1 },
	{ "/.", 0, "", 0 },
	{ "/index.html", 10, "index.html", 0 },
	{ "/a/b/c", 5, "a/b/c", 0 },
	{ "/a/b/", 3, "a/b", 1 },
	{ "/a//b", 3, "a/b", 0 },
	{ "///a///b///", 3, "a/b", 1 },
	{ "/a/./b", 3, "a/b", 0 },
	{ "/a/b/./", 3, "a/b", 1 },
	{ "/a/../b", 1, "b", 0 },
	{ "/a/b/../../c", 1, "c", 0 },
	{ "/a/b/..", 1, "a", 0 },
	{ "/a/b/../", 1, "a", 1 },
	{ "/a/..", 0, "", 0 },
	{ "/a//b/./c/../d", 5, "a/b/d", 0 },
	{ "/long-name/../x", 1, "x", 0 },
	{ "/a..b.txt", 8, "a..b.txt", 0 },
	{ "/...x", -404, NULL, 0 },          /* starts with '.' */
	{ "/x...", 4, "x...", 0 },
	{ "/dir/file.tar.gz", 15, "dir/file.tar.gz", 0 },
	/* Backslash is a plain byte: one segment, never a separator. */
	{ "/x\\..\\..\\y", 9, "x\\..\\..\\y", 0 },
	{ "/..\\..\\x", -404, NULL, 0 },  /* a dotfile named "..\..\x" */
	{ "/a\\b", 3, "a\\b", 0 },
	{ "/..", -400, NULL, 0 },
	{ "/../", -400, NULL, 0 },
	{ "/../x", -400, NULL, 0 },
	{ "/a/../../x", -400, NULL, 0 },
	{ "/a/./../..", -400, NULL, 0 },
	{ "//..//x", -400, NULL, 0 },
	{ "", -400, NULL, 0 },
	{ "a/b", -400, NULL, 0 },
	{ "x", -400, NULL, 0 },
	{ "/.hidden", -404, NULL, 0 },
	{ "/dir/.git/config", -404, NULL, 0 },
	{ "/.git/", -404, NULL, 0 },
	{ "/a/.env", -404, NULL, 0 },
	{ "/...", -404, NULL, 0 },
	{ "/.well-known/x", -404, NULL, 0 },
	{ "/a/.git/../b", -404, NULL, 0 },  /* not dodged by a later ".." */
};

static void test_normalize_table(void **state)
{
	for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]);
	     i++) {
		const struct norm_case *c = &norm_cases[i];
		char buf[64];
		int trailing = -1;
		long got;

		snprintf(buf, sizeof(buf), "%s", c->in);
		got = path_normalize(buf, &trailing);
		if (got != c->want)
			fail_msg("normalize \"%s\": got %ld want %ld", c->in,
				 got, c->want);
		if (c->want < 0)
			continue;
		if (strcmp(buf, c->out) != 0)
			fail_msg("normalize \"%s\": got \"%s\" want \"%s\"",
				 c->in, buf, c->out);
		assert_int_equal((long)strlen(buf), got);
		if (trailing != c->trailing)
			fail_msg("normalize \"%s\": trailing %d want %d", c->in,
				 trailing, c->trailing);
	}
}

/* The two steps together, as the server runs them. */
static long decode_normalize(const char *raw, char *buf, size_t bufsz)
{
	int trailing;
	long n = path_decode(raw, strlen(raw), buf, bufsz);

	return n < 0 ? n : path_normalize(buf, &trailing);
}

static void test_decode_then_normalize(void **state)
{
	char buf[64];

	assert_int_equal(decode_normalize("/%2e%2e/etc/passwd", buf,
					  sizeof(buf)), -400);
	assert_int_equal(decode_normalize("/a/%2E%2E/%2e%2e/x", buf,
					  sizeof(buf)), -400);
	assert_int_equal(decode_normalize("/%2e%2e%2fetc", buf, sizeof(buf)),
			 -400);
	assert_int_equal(decode_normalize("/%2egit/config", buf, sizeof(buf)),
			 -404);
	assert_int_equal(decode_normalize("/a/%2e/b", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "a/b");
	/* Double-encoded dots stay a literal "%2e%2e" file name. */
	assert_int_equal(decode_normalize("/%252e%252e/x", buf, sizeof(buf)),
			 8);
	assert_string_equal(buf, "%2e%2e/x");
}

/* ---- path_open / path_open_fallback ---- */

struct tree {
	char top[PATH_MAX];   /* the temp dir; root/ and outside bits in it */
	char root[PATH_MAX];
	int rootfd;
	int have_device;
};

static void make_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void at(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	assert_true(n > 0 && n < PATH_MAX);
}

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char p[PATH_MAX], target[PATH_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	assert_non_null(t);
	snprintf(t->top, sizeof(t->top), "/tmp/eisd-path-XXXXXX");
	assert_non_null(mkdtemp(t->top));
	at(t->root, t->top, "root");
	assert_int_equal(mkdir(t->root, 0755), 0);

	/* Inside the root. */
	at(p, t->root, "file.txt");
	make_file(p, "hello\n");
	at(p, t->root, "sub");
	assert_int_equal(mkdir(p, 0755), 0);
	at(p, t->root, "sub/inner.txt");
	make_file(p, "inner\n");
	at(p, t->root, "link_ok");
	assert_int_equal(symlink("file.txt", p), 0);
	at(p, t->root, "sub/link_up_in");
	assert_int_equal(symlink("../file.txt", p), 0);
	at(p, t->root, "link_dir_ok");
	assert_int_equal(symlink("sub", p), 0);
	at(p, t->root, "link_passwd");
	assert_int_equal(symlink("/etc/passwd", p), 0);
	at(p, t->root, "link_out");
	assert_int_equal(symlink("../outside.txt", p), 0);
	at(p, t->root, "link_outdir");
	assert_int_equal(symlink("../outdir", p), 0);
	at(p, t->root, "link_abs_in");
	at(target, t->root, "file.txt");
	assert_int_equal(symlink(target, p), 0);
	at(p, t->root, "link_back_in");
	assert_int_equal(symlink("../root/file.txt", p), 0);
	at(p, t->root, "loop");
	assert_int_equal(symlink("loop", p), 0);
	at(p, t->root, "fifo");
	assert_int_equal(mkfifo(p, 0644), 0);

	at(p, t->root, "sock");
	assert_true(strlen(p) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p) + 1);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s); /* the socket file stays behind */

	/* Needs CAP_MKNOD, which a container may not grant. */
	at(p, t->root, "null");
	t->have_device = mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0;

	/* Outside the root. */
	at(p, t->top, "outside.txt");
	make_file(p, "secret\n");
	at(p, t->top, "outdir");
	assert_int_equal(mkdir(p, 0755), 0);
	at(p, t->top, "outdir/secret.txt");
	make_file(p, "secret\n");

	t->rootfd = open(t->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t->rootfd >= 0);
	*state = t;
	return 0;
}

static int remove_entry(const char *p, const struct stat *st, int flag,
			struct FTW *ftw)
{
	return remove(p);
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;

	close(t->rootfd);
	/* Depth first and without following links: they point outside. */
	if (nftw(t->top, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "could not remove %s\n", t->top);
	free(t);
	return 0;
}

typedef int (*open_fn)(int rootfd, const char *rel, struct stat *st);

/* Opens rel and checks the result: want >= 0 means "expect an fd whose
 * contents start with text (or a directory when text is NULL)". */
static void expect_open(open_fn fn, const char *fname, int rootfd,
			const char *rel, int want, const char *text)
{
	struct stat st;
	int fd = fn(rootfd, rel, &st);

	if (want < 0) {
		if (fd != want)
			fail_msg("%s(\"%s\"): got %d want %d", fname, rel, fd,
				 want);
		return;
	}
	if (fd < 0)
		fail_msg("%s(\"%s\"): got %d want an fd", fname, rel, fd);
	if (text == NULL) {
		assert_true(S_ISDIR(st.st_mode));
	} else {
		char buf[64] = { 0 };

		assert_true(S_ISREG(st.st_mode));
		assert_true(read(fd, buf, sizeof(buf) - 1) >= 0);
		assert_string_equal(buf, text);
	}
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

#define OK_FILE(text) 0, text
#define OK_DIR 0, NULL

/* What both implementations must agree on. */
static void common_cases(open_fn fn, const char *name, int rootfd)
{
	char longname[400];

	expect_open(fn, name, rootfd, "file.txt", OK_FILE("hello\n"));
	expect_open(fn, name, rootfd, "sub/inner.txt", OK_FILE("inner\n"));
	expect_open(fn, name, rootfd, "", OK_DIR);
	expect_open(fn, name, rootfd, "sub", OK_DIR);
	expect_open(fn, name, rootfd, "link_ok", OK_FILE("hello\n"));
	expect_open(fn, name, rootfd, "sub/link_up_in", OK_FILE("hello\n"));
	expect_open(fn, name, rootfd, "link_dir_ok/inner.txt",
		    OK_FILE("inner\n"));
	expect_open(fn, name, rootfd, "link_dir_ok", OK_DIR);

	expect_open(fn, name, rootfd, "missing", -404, NULL);
	expect_open(fn, name, rootfd, "sub/missing", -404, NULL);
	expect_open(fn, name, rootfd, "nodir/x", -404, NULL);
	expect_open(fn, name, rootfd, "file.txt/x", -404, NULL); /* ENOTDIR */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	expect_open(fn, name, rootfd, longname, -404, NULL); /* ENAMETOOLONG */

	expect_open(fn, name, rootfd, "link_passwd", -403, NULL);
	expect_open(fn, name, rootfd, "link_out", -403, NULL);
	expect_open(fn, name, rootfd, "link_outdir", -403, NULL);
	expect_open(fn, name, rootfd, "link_outdir/secret.txt", -403, NULL);
	expect_open(fn, name, rootfd, "../outside.txt", -403, NULL);
	expect_open(fn, name, rootfd, "sub/../../outside.txt", -403, NULL);
	expect_open(fn, name, rootfd, "/etc/passwd", -403, NULL);
	expect_open(fn, name, rootfd, "loop", -403, NULL);
	/* Must come back at once: a FIFO opened without O_NONBLOCK would
	 * wait here for a writer that never comes. */
	expect_open(fn, name, rootfd, "fifo", -403, NULL);
	expect_open(fn, name, rootfd, "sock", -403, NULL);
}

static void test_open(void **state)
{
	struct tree *t = *state;

	common_cases(path_open, "path_open", t->rootfd);
	/* RESOLVE_BENEATH refuses every absolute symlink and any ".." that
	 * leaves the root, even when the walk would come back in. */
	expect_open(path_open, "path_open", t->rootfd, "link_abs_in", -403,
		    NULL);
	expect_open(path_open, "path_open", t->rootfd, "link_back_in", -403,
		    NULL);
	expect_open(path_open, "path_open", t->rootfd, "/proc/self/root/etc",
		    -403, NULL);
}

static void test_open_fallback(void **state)
{
	struct tree *t = *state;

	common_cases(path_open_fallback, "path_open_fallback", t->rootfd);
	/* The fallback only sees where the walk ended, which is inside. */
	expect_open(path_open_fallback, "path_open_fallback", t->rootfd,
		    "link_abs_in", OK_FILE("hello\n"));
	expect_open(path_open_fallback, "path_open_fallback", t->rootfd,
		    "link_back_in", OK_FILE("hello\n"));
}

static void test_open_device(void **state)
{
	struct tree *t = *state;
	struct stat st;

	/* mknod needs root (make test runs as root); no skip: a test that
	 * cannot run fails. */
	if (!t->have_device)
		fail_msg("cannot create a device node in the test tree (mknod needs root)");
	assert_int_equal(path_open(t->rootfd, "null", &st), -403);
	assert_int_equal(path_open_fallback(t->rootfd, "null", &st), -403);
}

/* A root that is a prefix of a sibling's name must not admit the sibling
 * ("/tmp/x/root" vs "/tmp/x/root2"). */
static void test_fallback_prefix_sibling(void **state)
{
	struct tree *t = *state;
	char p[PATH_MAX];
	struct stat st;

	at(p, t->top, "root2");
	assert_int_equal(mkdir(p, 0755), 0);
	at(p, t->top, "root2/x.txt");
	make_file(p, "sibling\n");
	at(p, t->root, "link_sibling");
	assert_int_equal(symlink("../root2/x.txt", p), 0);

	assert_int_equal(path_open_fallback(t->rootfd, "link_sibling", &st),
			 -403);
	assert_int_equal(path_open(t->rootfd, "link_sibling", &st), -403);
}

static void test_fallback_root_is_slash(void **state)
{
	int rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	int fd;

	assert_true(rootfd >= 0);
	fd = path_open_fallback(rootfd, "etc", &st);
	assert_true(fd >= 0);
	assert_true(S_ISDIR(st.st_mode));
	close(fd);
	close(rootfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_decode_embedded_nul),
		cmocka_unit_test(test_decode_too_long),
		cmocka_unit_test(test_normalize_table),
		cmocka_unit_test(test_decode_then_normalize),
		cmocka_unit_test_setup_teardown(test_open, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_open_fallback, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_open_device, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_fallback_prefix_sibling,
						tree_setup, tree_teardown),
		cmocka_unit_test(test_fallback_root_is_slash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
