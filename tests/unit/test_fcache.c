/* Unit tests for src/files/fcache.c, on files in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files/fcache.h"
#include "files/mime.h"

struct fixture {
	char dir[64];
	int rootfd;
	struct mime_table *mime;
	struct fcache *fc;
};

static void put_file(struct fixture *f, const char *name, const char *data)
{
	int fd = openat(f->rootfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static int setup_n(void **state, unsigned max_entries)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/eisd-fcache-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->rootfd = open(f->dir, O_RDONLY | O_DIRECTORY);
	f->mime = mime_table_new();
	f->fc = fcache_new(f->rootfd, f->mime, max_entries);
	if (f->rootfd < 0 || !f->mime || !f->fc)
		return -1;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_n(state, FCACHE_MAX_ENTRIES);
}

static int setup_two(void **state)
{
	return setup_n(state, 2);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	fcache_free(f->fc);
	mime_table_free(f->mime);
	close(f->rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int truncate_at(struct fixture *f, const char *name)
{
	int fd = openat(f->rootfd, name, O_WRONLY | O_TRUNC);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* A time long after any file here was changed: content may be copied. */
static time_t later(void)
{
	return time(NULL) + 3600;
}

static void test_regular_file_entry(void **state)
{
	struct fixture *f = *state;
	struct fcache_entry *e;
	int status = 1;

	put_file(f, "a.html", "<p>hello</p>\n");
	e = fcache_get(f->fc, "a.html", later(), &status);
	assert_non_null(e);
	assert_int_equal(e->st.st_size, 13);
	assert_string_equal(e->type, "text/html; charset=utf-8");
	assert_non_null(e->data);
	assert_memory_equal(e->data, "<p>hello</p>\n", 13);
	/* A second look is the same entry, still fresh. */
	struct fcache_entry *e2 = fcache_get(f->fc, "a.html", later(), &status);
	assert_ptr_equal(e, e2);
	fcache_release(e);
	fcache_release(e2);
}

static void test_not_files(void **state)
{
	struct fixture *f = *state;
	int status = 1;

	assert_int_equal(mkdirat(f->rootfd, "sub", 0755), 0);
	assert_null(fcache_get(f->fc, "sub", later(), &status));
	assert_int_equal(status, 0); /* a directory */
	status = 1;
	assert_null(fcache_get(f->fc, "", later(), &status));
	assert_int_equal(status, 0); /* the root */
	assert_null(fcache_get(f->fc, "missing.txt", later(), &status));
	assert_int_equal(status, -404);
}

static void test_change_is_a_miss(void **state)
{
	struct fixture *f = *state;
	struct fcache_entry *e, *e2;
	int status;

	put_file(f, "b.txt", "one\n");
	e = fcache_get(f->fc, "b.txt", later(), &status);
	assert_non_null(e);
	put_file(f, "b.txt", "second\n");
	e2 = fcache_get(f->fc, "b.txt", later(), &status);
	assert_non_null(e2);
	assert_ptr_not_equal(e, e2);
	assert_int_equal(e2->st.st_size, 7);
	assert_memory_equal(e2->data, "second\n", 7);
	/* The old entry, still held, is intact until released. */
	assert_memory_equal(e->data, "one\n", 4);
	fcache_release(e);
	fcache_release(e2);

	assert_int_equal(unlinkat(f->rootfd, "b.txt", 0), 0);
	assert_null(fcache_get(f->fc, "b.txt", later(), &status));
	assert_int_equal(status, -404);
}

/* Hits served without a stat (watched, nothing changed this second) still
 * see every change: the change's event is read before the hit. */
static void test_watched_changes(void **state)
{
	struct fixture *f = *state;
	struct fcache_entry *e;
	time_t now = later();
	int status;

	assert_int_equal(mkdirat(f->rootfd, "d", 0755), 0);
	assert_int_equal(symlinkat("d", f->rootfd, "via"), 0);
	put_file(f, "d/w.txt", "first\n");
	for (int round = 0; round < 2; round++) {
		const char *name = round == 0 ? "d/w.txt" : "via/w.txt";
		char data[32];

		snprintf(data, sizeof(data), "round %d\n", round);
		put_file(f, "d/w.txt", data);
		/* Fill, check (and watch), then a hit on the fast path. */
		for (int i = 0; i < 3; i++) {
			e = fcache_get(f->fc, name, now, &status);
			assert_non_null(e);
			assert_memory_equal(e->data, data, strlen(data));
			fcache_release(e);
		}
		/* Same size, in place. */
		data[0] = 'R';
		put_file(f, "d/w.txt", data);
		e = fcache_get(f->fc, name, now, &status);
		assert_memory_equal(e->data, data, strlen(data));
		fcache_release(e);
		/* Replaced by rename. */
		put_file(f, "d/new.tmp", "renamed in\n");
		assert_int_equal(renameat(f->rootfd, "d/new.tmp", f->rootfd, "d/w.txt"), 0);
		e = fcache_get(f->fc, name, now, &status);
		assert_non_null(e);
		assert_memory_equal(e->data, "renamed in\n", 11);
		fcache_release(e);
		e = fcache_get(f->fc, name, now, &status);
		fcache_release(e);
		/* Its directory swapped for another. */
		assert_int_equal(renameat(f->rootfd, "d", f->rootfd, "d.old"), 0);
		assert_int_equal(mkdirat(f->rootfd, "d", 0755), 0);
		put_file(f, "d/w.txt", "other dir\n");
		e = fcache_get(f->fc, name, now, &status);
		assert_non_null(e);
		assert_memory_equal(e->data, "other dir\n", 10);
		fcache_release(e);
		/* Removed. */
		assert_int_equal(unlinkat(f->rootfd, "d/w.txt", 0), 0);
		assert_null(fcache_get(f->fc, name, now, &status));
		assert_int_equal(status, -404);
		char cmd[160];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s/d.old'", f->dir);
		assert_int_equal(system(cmd), 0);
	}
}

static void expect_data(struct fixture *f, const char *name, time_t now, const char *want)
{
	int status;
	struct fcache_entry *e = fcache_get(f->fc, name, now, &status);

	assert_non_null(e);
	assert_non_null(e->data);
	assert_memory_equal(e->data, want, strlen(want));
	fcache_release(e);
}

/* With fcache_drain_after, the change events are read once per read of
 * the worker's connections, not once per lookup: a change is seen by
 * the first lookup after the next read (the request that follows it came
 * in by one), and lookups within one read share one look at the queue. */
static void test_drain_once_per_read(void **state)
{
	struct fixture *f = *state;
	time_t now = later();
	uint64_t reads = 7;

	fcache_drain_after(f->fc, &reads);
	put_file(f, "r.txt", "one\n");
	for (int i = 0; i < 3; i++) /* fill, check (and watch), a hit */
		expect_data(f, "r.txt", now, "one\n");
	put_file(f, "r.txt", "two\n"); /* same size, in place */
	/* No read since the queue was read: no request can be owed it. */
	expect_data(f, "r.txt", now, "one\n");
	reads++;
	expect_data(f, "r.txt", now, "two\n");
	expect_data(f, "r.txt", now, "two\n");
	/* Back to reading the queue on every lookup. */
	fcache_drain_after(f->fc, NULL);
	put_file(f, "r.txt", "3rd\n");
	expect_data(f, "r.txt", now, "3rd\n");
}

/* The sidecar of name (looked up right after name itself, as a request
 * does), with its content checked; NULL expected when want is. */
static void expect_sidecar(struct fixture *f, const char *name, time_t now, const char *want)
{
	struct fcache_entry *e, *s;
	int status;

	e = fcache_get(f->fc, name, now, &status);
	assert_non_null(e);
	s = fcache_sidecar(f->fc, e, 0, ".gz", now);
	if (!want) {
		assert_null(s);
	} else {
		assert_non_null(s);
		assert_int_equal(s->st.st_size, (off_t)strlen(want));
		assert_non_null(s->data);
		assert_memory_equal(s->data, want, strlen(want));
		fcache_release(s);
	}
	fcache_release(e);
}

static void test_sidecars(void **state)
{
	struct fixture *f = *state;
	struct fcache_entry *e;
	time_t now = later();
	int status;

	assert_int_equal(mkdirat(f->rootfd, "d", 0755), 0);
	assert_int_equal(mkdirat(f->rootfd, "elsewhere", 0755), 0);
	assert_int_equal(symlinkat("d", f->rootfd, "via"), 0);
	put_file(f, "d/s.css", "p { }\n");
	for (int round = 0; round < 2; round++) {
		const char *name = round == 0 ? "d/s.css" : "via/s.css";

		/* Fill, then check (and watch). */
		for (int i = 0; i < 2; i++) {
			e = fcache_get(f->fc, name, now, &status);
			fcache_release(e);
		}
		/* A missing copy is remembered (trusted only when watched). */
		expect_sidecar(f, name, now, NULL);
		e = fcache_get(f->fc, name, now, &status);
		assert_true(e->side[0].absent);
		fcache_release(e);
		expect_sidecar(f, name, now, NULL);
		/* It appears, changes in place, goes, comes back by rename. */
		put_file(f, "d/s.css.gz", "gz one\n");
		expect_sidecar(f, name, now, "gz one\n");
		expect_sidecar(f, name, now, "gz one\n");
		put_file(f, "d/s.css.gz", "gz two\n");
		expect_sidecar(f, name, now, "gz two\n");
		assert_int_equal(unlinkat(f->rootfd, "d/s.css.gz", 0), 0);
		expect_sidecar(f, name, now, NULL);
		expect_sidecar(f, name, now, NULL);
		put_file(f, "d/new.tmp", "gz three\n");
		assert_int_equal(renameat(f->rootfd, "d/new.tmp", f->rootfd, "d/s.css.gz"), 0);
		expect_sidecar(f, name, now, "gz three\n");
		/* A symlink whose target is in a directory nobody watches: the
		 * name exists, so "missing" is not remembered, and the target
		 * appearing there is seen. */
		assert_int_equal(unlinkat(f->rootfd, "d/s.css.gz", 0), 0);
		assert_int_equal(symlinkat("../elsewhere/t.gz", f->rootfd, "d/s.css.gz"), 0);
		expect_sidecar(f, name, now, NULL);
		expect_sidecar(f, name, now, NULL);
		e = fcache_get(f->fc, name, now, &status);
		assert_false(e->side[0].absent);
		fcache_release(e);
		put_file(f, "elsewhere/t.gz", "via link\n");
		expect_sidecar(f, name, now, "via link\n");
		assert_int_equal(unlinkat(f->rootfd, "d/s.css.gz", 0), 0);
		assert_int_equal(unlinkat(f->rootfd, "elsewhere/t.gz", 0), 0);
		expect_sidecar(f, name, now, NULL);
	}
}

/* Removed and changed files are let go by the sweep, whether their entry
 * was watched yet or not; unchanged ones stay. */
static void test_sweep(void **state)
{
	struct fixture *f = *state;
	struct fcache_entry *e;
	time_t now = later();
	int status, fd_gone, fd_cut, fd_kept, fd_held;

	put_file(f, "gone.txt", "gone\n");
	put_file(f, "cut.txt", "will be cut\n");
	put_file(f, "kept.txt", "kept\n");
	put_file(f, "held.txt", "held\n");
	/* gone: watched (two looks); cut, kept: one look, not watched yet. */
	for (int i = 0; i < 2; i++) {
		e = fcache_get(f->fc, "gone.txt", now, &status);
		fd_gone = e->fd;
		fcache_release(e);
	}
	e = fcache_get(f->fc, "cut.txt", now, &status);
	fd_cut = e->fd;
	fcache_release(e);
	e = fcache_get(f->fc, "kept.txt", now, &status);
	fd_kept = e->fd;
	fcache_release(e);
	struct fcache_entry *held = fcache_get(f->fc, "held.txt", now, &status);
	fd_held = held->fd;

	assert_int_equal(unlinkat(f->rootfd, "gone.txt", 0), 0);
	assert_int_equal(truncate_at(f, "cut.txt"), 0);
	assert_int_equal(unlinkat(f->rootfd, "held.txt", 0), 0);
	fcache_sweep(f->fc);
	assert_int_equal(fcntl(fd_gone, F_GETFD), -1);
	assert_int_equal(fcntl(fd_cut, F_GETFD), -1);
	assert_true(fcntl(fd_kept, F_GETFD) >= 0);
	/* In use: out of the cache, closed when let go. */
	assert_true(fcntl(fd_held, F_GETFD) >= 0);
	assert_false(held->cached);
	fcache_release(held);
	assert_int_equal(fcntl(fd_held, F_GETFD), -1);
	e = fcache_get(f->fc, "kept.txt", now, &status);
	assert_int_equal(e->fd, fd_kept);
	fcache_release(e);
}

static void test_fresh_files_stay_on_disk(void **state)
{
	struct fixture *f = *state;
	struct fcache_entry *e;
	int status;

	put_file(f, "c.txt", "just written\n");
	/* Its ctime is now: a copy could miss a second change within the
	 * same clock tick, so the content is served from the descriptor. */
	e = fcache_get(f->fc, "c.txt", time(NULL), &status);
	assert_non_null(e);
	assert_null(e->data);
	assert_true(e->fd >= 0);
	fcache_release(e);
	/* Settled: the same entry gets its copy. */
	e = fcache_get(f->fc, "c.txt", later(), &status);
	assert_non_null(e->data);
	assert_memory_equal(e->data, "just written\n", 13);
	fcache_release(e);
}

static void test_large_files_stay_on_disk(void **state)
{
	struct fixture *f = *state;
	struct fcache_entry *e;
	char *big = malloc(FCACHE_MEM_FILE_MAX + 2);
	int status;

	assert_non_null(big);
	memset(big, 'x', FCACHE_MEM_FILE_MAX + 1);
	big[FCACHE_MEM_FILE_MAX + 1] = 0;
	put_file(f, "big.bin", big);
	free(big);
	e = fcache_get(f->fc, "big.bin", later(), &status);
	assert_non_null(e);
	assert_null(e->data);
	assert_int_equal(e->st.st_size, FCACHE_MEM_FILE_MAX + 1);
	fcache_release(e);
}

static void test_bounded_lru(void **state)
{
	struct fixture *f = *state;
	struct fcache_entry *a, *b, *c, *a2, *held;
	int status;

	put_file(f, "a", "A");
	put_file(f, "b", "B");
	put_file(f, "c", "C");
	a = fcache_get(f->fc, "a", later(), &status);
	b = fcache_get(f->fc, "b", later(), &status);
	fcache_release(b);
	held = a;
	/* Touching "a" makes "b" the least recently used. */
	a2 = fcache_get(f->fc, "a", later(), &status);
	assert_ptr_equal(a2, a);
	fcache_release(a2);
	c = fcache_get(f->fc, "c", later(), &status); /* evicts "b" */
	assert_non_null(c);
	fcache_release(c);
	b = fcache_get(f->fc, "b", later(), &status); /* reopened; evicts "a" */
	assert_non_null(b);
	assert_memory_equal(b->data, "B", 1);
	fcache_release(b);
	/* "a" was evicted while held: still whole until released. */
	assert_memory_equal(held->data, "A", 1);
	a2 = fcache_get(f->fc, "a", later(), &status);
	assert_ptr_not_equal(a2, held);
	fcache_release(held);
	fcache_release(a2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular_file_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_is_a_miss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watched_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain_once_per_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sidecars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fresh_files_stay_on_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_large_files_stay_on_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_lru, setup_two, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
