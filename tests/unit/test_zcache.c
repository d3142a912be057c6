/* Unit tests for src/files/zcache.c and the codecs (src/util/codec*.c),
 * on files in a temporary directory: a miss queues and returns nothing,
 * the result decodes to the file, identity changes miss, LRU over the
 * bound, held entries outlive eviction, files that do not shrink are
 * remembered. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <brotli/decode.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "files/zcache.h"
#include "util/codec.h"

#define TEXT_LEN 20000

struct fixture {
	char dir[64];
	char text[TEXT_LEN];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/eisd-zcache-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	for (size_t i = 0; i < TEXT_LEN; i++)
		f->text[i] = "line of a compressible file, some 0123456789\n"[(i * 7 + i / 61) % 46];
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Writes name with n bytes of data; returns it opened, with its stat. */
static int put(struct fixture *f, const char *name, const void *data, size_t n, struct stat *st)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fstat(fd, st), 0);
	return fd;
}

/* Looks up, and after a miss waits for the helper and looks up again. */
static struct zcache_entry *get_ready(struct zcache *zc, const struct stat *st,
				      enum codec_kind k, int fd)
{
	struct zcache_entry *e = zcache_get(zc, st, k, fd);

	if (e)
		return e;
	zcache_drain(zc);
	return zcache_get(zc, st, k, fd);
}

static void assert_decodes(enum codec_kind k, const struct zcache_entry *e, const char *want,
			   size_t n)
{
	char *out = malloc(n + 16);
	size_t got = n + 16;

	switch (k) {
	case CODEC_ZSTD:
		got = ZSTD_decompress(out, n + 16, e->data, e->len);
		assert_false(ZSTD_isError(got));
		break;
	case CODEC_BR:
		assert_int_equal(BrotliDecoderDecompress(e->len, (const uint8_t *)e->data, &got,
							 (uint8_t *)out),
				 BROTLI_DECODER_RESULT_SUCCESS);
		break;
	case CODEC_GZIP: {
		z_stream z;

		memset(&z, 0, sizeof(z));
		assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
		z.next_in = (Bytef *)e->data;
		z.avail_in = (uInt)e->len;
		z.next_out = (Bytef *)out;
		z.avail_out = (uInt)(n + 16);
		assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
		got = z.total_out;
		inflateEnd(&z);
		break;
	}
	case CODEC_COUNT:
	default:
		fail();
	}
	assert_int_equal(got, n);
	assert_memory_equal(out, want, n);
	free(out);
}

static void test_miss_then_hit_each_codec(void **state)
{
	struct fixture *f = *state;
	struct zcache *zc = zcache_new(ZCACHE_MEM_DEFAULT);
	struct stat st;
	int fd = put(f, "a.txt", f->text, TEXT_LEN, &st);
	struct zcache_stats s;

	for (int k = 0; k < CODEC_COUNT; k++) {
		struct zcache_entry *e = zcache_get(zc, &st, (enum codec_kind)k, fd);

		assert_null(e); /* queued: the caller serves the file meanwhile */
		zcache_drain(zc);
		e = zcache_get(zc, &st, (enum codec_kind)k, fd);
		assert_non_null(e);
		assert_true(e->len < TEXT_LEN / 4);
		assert_decodes((enum codec_kind)k, e, f->text, TEXT_LEN);
		zcache_release(e);
	}
	zcache_get_stats(zc, &s);
	assert_int_equal(s.entries, 3);
	assert_int_equal(s.compressed, 3);
	/* Once per coding: hits compress nothing more. */
	for (int i = 0; i < 10; i++)
		zcache_release(zcache_get(zc, &st, CODEC_BR, fd));
	zcache_drain(zc);
	zcache_get_stats(zc, &s);
	assert_int_equal(s.compressed, 3);
	close(fd);
	zcache_free(zc);
}

static void test_identity_change_misses(void **state)
{
	struct fixture *f = *state;
	struct zcache *zc = zcache_new(ZCACHE_MEM_DEFAULT);
	struct stat st, st2;
	int fd = put(f, "a.txt", f->text, TEXT_LEN, &st);
	struct zcache_entry *e = get_ready(zc, &st, CODEC_GZIP, fd);

	assert_non_null(e);
	zcache_release(e);
	/* Same inode, new content and a later mtime: a different key, and
	 * its result is of the new content. */
	memset(f->text, 'x', 100);
	close(fd);
	fd = put(f, "a.txt", f->text, TEXT_LEN, &st2);
	{
		struct timespec ts[2] = { st.st_atim, st.st_mtim };

		ts[1].tv_sec += 1;
		assert_int_equal(futimens(fd, ts), 0);
	}
	assert_int_equal(fstat(fd, &st2), 0);
	assert_int_equal(st2.st_ino, st.st_ino);
	assert_null(zcache_get(zc, &st2, CODEC_GZIP, fd));
	e = get_ready(zc, &st2, CODEC_GZIP, fd);
	assert_non_null(e);
	assert_decodes(CODEC_GZIP, e, f->text, TEXT_LEN);
	zcache_release(e);
	/* A stat that no longer matches the file (it changed after the stat
	 * was taken): the helper sees it and keeps nothing. */
	st2.st_size -= 1;
	assert_null(get_ready(zc, &st2, CODEC_ZSTD, fd));
	close(fd);
	zcache_free(zc);
}

static void test_lru_over_the_bound(void **state)
{
	struct fixture *f = *state;
	struct stat st[3];
	int fd[3];
	struct zcache_entry *e;
	struct zcache_stats s;
	size_t one;
	struct zcache *probe = zcache_new(ZCACHE_MEM_DEFAULT), *zc;

	fd[0] = put(f, "a.txt", f->text, TEXT_LEN, &st[0]);
	fd[1] = put(f, "b.txt", f->text, TEXT_LEN, &st[1]);
	fd[2] = put(f, "c.txt", f->text, TEXT_LEN, &st[2]);
	e = get_ready(probe, &st[0], CODEC_GZIP, fd[0]);
	assert_non_null(e);
	zcache_release(e);
	zcache_get_stats(probe, &s);
	one = s.bytes;
	zcache_free(probe);

	/* Room for two results. */
	zc = zcache_new(2 * one + one / 2);
	zcache_release(get_ready(zc, &st[0], CODEC_GZIP, fd[0]));
	zcache_release(get_ready(zc, &st[1], CODEC_GZIP, fd[1]));
	/* b is held across the eviction below (stays readable); a is used
	 * after it, so b is the least recently used. */
	e = zcache_get(zc, &st[1], CODEC_GZIP, fd[1]);
	assert_non_null(e);
	zcache_release(zcache_get(zc, &st[0], CODEC_GZIP, fd[0]));
	zcache_release(get_ready(zc, &st[2], CODEC_GZIP, fd[2]));
	zcache_get_stats(zc, &s);
	assert_int_equal(s.evicted, 1);
	assert_true(s.bytes <= 2 * one + one / 2);
	assert_decodes(CODEC_GZIP, e, f->text, TEXT_LEN);
	zcache_release(e);
	/* b went, a and c stayed. */
	e = zcache_get(zc, &st[0], CODEC_GZIP, fd[0]);
	assert_non_null(e);
	zcache_release(e);
	e = zcache_get(zc, &st[2], CODEC_GZIP, fd[2]);
	assert_non_null(e);
	zcache_release(e);
	assert_null(zcache_get(zc, &st[1], CODEC_GZIP, fd[1]));
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	zcache_free(zc);
}

static void test_incompressible_is_remembered(void **state)
{
	struct fixture *f = *state;
	struct zcache *zc = zcache_new(ZCACHE_MEM_DEFAULT);
	char *noise = malloc(TEXT_LEN);
	uint64_t x = 88172645463325252u;
	struct zcache_stats s;
	struct stat st;
	int fd;

	for (size_t i = 0; i < TEXT_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		noise[i] = (char)x;
	}
	fd = put(f, "noise.bin", noise, TEXT_LEN, &st);
	assert_null(get_ready(zc, &st, CODEC_ZSTD, fd));
	for (int i = 0; i < 5; i++)
		assert_null(zcache_get(zc, &st, CODEC_ZSTD, fd));
	zcache_drain(zc);
	zcache_get_stats(zc, &s);
	assert_int_equal(s.compressed, 1); /* tried once */
	assert_int_equal(s.entries, 1);
	close(fd);
	free(noise);
	zcache_free(zc);
}

static void test_free_with_work_queued(void **state)
{
	struct fixture *f = *state;
	struct zcache *zc = zcache_new(ZCACHE_MEM_DEFAULT);
	struct stat st;
	int fd = put(f, "a.txt", f->text, TEXT_LEN, &st);

	for (int k = 0; k < CODEC_COUNT; k++)
		assert_null(zcache_get(zc, &st, (enum codec_kind)k, fd));
	close(fd); /* the cache read from its own duplicates */
	zcache_free(zc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_miss_then_hit_each_codec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_change_misses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lru_over_the_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incompressible_is_remembered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_work_queued, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
