/* Unit tests for src/files/lcache.c: an entry is kept while its directory
 * is unchanged, replaced after any change in it (also one that leaves the
 * directory's mtime alone), bounded in count, and alive while a user
 * still holds it. */
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
#include <time.h>
#include <unistd.h>

#include "files/lcache.h"

static int frees;

static void list_free(void *p)
{
	free(p);
	frees++;
}

struct tdir {
	char path[64];
	int fd;
	struct stat st;
};

static void tdir_open(struct tdir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/eisd-lcache-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(d->fd >= 0);
	assert_int_equal(fstat(d->fd, &d->st), 0);
}

static void tdir_restat(struct tdir *d)
{
	assert_int_equal(fstat(d->fd, &d->st), 0);
}

static void tdir_close(struct tdir *d)
{
	char cmd[96];

	close(d->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->path);
	assert_int_equal(system(cmd), 0);
}

/* Looks up and, when the entry is new, fills it with a list. */
static struct lcache_entry *get(struct lcache *lc, struct tdir *d, const char *rel, bool *fresh)
{
	struct lcache_entry *e = lcache_lookup(lc, d->fd, &d->st, rel, time(NULL));

	assert_non_null(e);
	*fresh = e->list == NULL;
	if (*fresh) {
		e->list = malloc(16);
		e->list_free = list_free;
		lcache_filled(e, 16);
	}
	return e;
}

static void test_kept_until_a_change(void **state)
{
	struct lcache *lc = lcache_new();
	struct tdir d;
	struct lcache_entry *e, *e2;
	char file[96];
	bool fresh;
	int fd;

	tdir_open(&d);
	e = get(lc, &d, "x", &fresh);
	assert_true(fresh);
	lcache_release(e);
	e2 = get(lc, &d, "x", &fresh);
	assert_false(fresh);
	assert_ptr_equal(e, e2);
	lcache_release(e2);

	/* A new file: a new entry. */
	snprintf(file, sizeof(file), "%s/f", d.path);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	tdir_restat(&d);
	e = get(lc, &d, "x", &fresh);
	assert_true(fresh);
	lcache_release(e);

	/* Written in place, with the directory's stat given unchanged: the
	 * watch alone tells. */
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	e = get(lc, &d, "x", &fresh);
	assert_true(fresh);
	lcache_release(e);
	e = get(lc, &d, "x", &fresh);
	assert_false(fresh);
	lcache_release(e);

	/* The same directory by another path is another entry. */
	e = get(lc, &d, "y", &fresh);
	assert_true(fresh);
	lcache_release(e);
	e = get(lc, &d, "x", &fresh);
	assert_false(fresh);
	lcache_release(e);

	lcache_free(lc);
	tdir_close(&d);
}

static void test_bounded_and_held_entries_live_on(void **state)
{
	struct lcache *lc = lcache_new();
	struct lcache_entry *held;
	struct tdir d;
	char rel[16];
	bool fresh;

	tdir_open(&d);
	frees = 0;
	held = get(lc, &d, "held", &fresh);
	for (int i = 0; i < LCACHE_MAX_ENTRIES + 8; i++) {
		snprintf(rel, sizeof(rel), "r%d", i);
		lcache_release(get(lc, &d, rel, &fresh));
	}
	/* The oldest went, the held one included, which lives on. */
	assert_int_equal(frees, 8);
	assert_non_null(held->list);
	lcache_release(held);
	assert_int_equal(frees, 9);
	lcache_release(get(lc, &d, "held", &fresh));
	assert_true(fresh);

	/* A dropped entry (its directory could not be read) is not kept. */
	held = get(lc, &d, "gone", &fresh);
	lcache_drop(held);
	lcache_release(held);
	lcache_release(get(lc, &d, "gone", &fresh));
	assert_true(fresh);

	/* Not asked for in LCACHE_IDLE_SEC: let go at the sweep. */
	frees = 0;
	lcache_sweep(lc, time(NULL) + LCACHE_IDLE_SEC);
	assert_int_equal(frees, LCACHE_MAX_ENTRIES);
	lcache_free(lc);
	tdir_close(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_until_a_change),
		cmocka_unit_test(test_bounded_and_held_entries_live_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
