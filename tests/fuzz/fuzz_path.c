/* libFuzzer target: percent-decoding and path normalisation, the two steps
 * between a request target and a file name under the root.
 *
 * Aborts when a safety invariant breaks:
 *  - path_decode: -400 or a length that fits outsz, NUL-terminated, with
 *    no NUL inside (a NUL would cut the name short in the kernel), one
 *    byte per "%XX" (decoded once, never twice);
 *  - path_normalize: -400, -404 or a relative path that never starts with
 *    '/', never contains a ".." segment, no segment starts with '.' (no
 *    dotfiles), no empty segment, and that is exactly what a simple
 *    segment-stack model computes (same answer, same error);
 *  - normalising the result again (with a '/' in front) changes nothing.
 * outsz is derived from the input so the "does not fit" edge is explored.
 * Every call sees an exactly-sized heap copy, so an over-read is an ASan
 * report. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "files/path.h"

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

/* The reference: split on '/', skip "" and ".", ".." pops (error when
 * nothing is left to pop), a segment starting with '.' is -404; the first
 * error from the left wins. Writes the joined segments into out. */
static long model_normalize(const char *path, char *out, size_t outsz)
{
	size_t starts[PATH_MAX], depth = 0, w = 0, r = 1;

	if (path[0] != '/')
		return -400;
	while (path[r] != '\0') {
		size_t start = r, len;

		while (path[r] != '\0' && path[r] != '/')
			r++;
		len = r - start;
		if (path[r] == '/')
			r++;
		if (len == 0 || (len == 1 && path[start] == '.'))
			continue;
		if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
			if (depth == 0)
				return -400;
			w = starts[--depth];
			if (w > 0)
				w--; /* the '/' before it */
			continue;
		}
		if (path[start] == '.')
			return -404;
		if (w > 0)
			out[w++] = '/';
		CHECK(depth < PATH_MAX && w + len < outsz);
		starts[depth++] = w;
		memcpy(out + w, path + start, len);
		w += len;
	}
	out[w] = '\0';
	return (long)w;
}

static void check_normalized(const char *p, size_t n)
{
	size_t i = 0;

	CHECK(strlen(p) == n);
	if (n == 0)
		return; /* the root itself */
	CHECK(p[0] != '/' && p[n - 1] != '/');
	while (i < n) {
		size_t start = i;
		while (i < n && p[i] != '/')
			i++;
		CHECK(i > start);           /* no empty segment */
		CHECK(p[start] != '.');     /* no ".", "..", or dotfile */
		i++;                        /* past the '/' */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { PATH_MAX, 1, 2, 8, 64 };
	char *in, *out, *again, *model;
	size_t outsz;
	long n, m, k;
	int trailing = 0, trailing2 = 0;

	if (size > 2 * PATH_MAX)
		return 0;
	/* Mostly the size static.c uses; sometimes a tiny one. */
	outsz = size > 0 && data[size - 1] % 8 == 7
		? sizes[(data[0] % 4) + 1] : sizes[0];

	in = malloc(size ? size : 1);
	out = malloc(outsz);
	CHECK(in && out);
	memcpy(in, data, size);
	n = path_decode(in, size, out, outsz);
	free(in);
	if (n < 0) {
		CHECK(n == -400);
		free(out);
		return 0;
	}
	CHECK((size_t)n < outsz && (size_t)n <= size);
	CHECK(out[n] == '\0' && memchr(out, '\0', (size_t)n) == NULL);
	/* Decoded once: every "%XX" became one byte, nothing else changed
	 * length (so "%252e" is "%2e", never "."). */
	{
		size_t pct = 0;
		for (size_t i = 0; i < size; i++)
			pct += data[i] == '%';
		CHECK((size_t)n == size - 2 * pct);
	}
	if (n == 0) {
		free(out);
		return 0; /* an empty path never reaches path_normalize */
	}

	/* path_normalize works in place; the model gets its own copy. */
	model = malloc((size_t)n + 1);
	CHECK(model != NULL);
	m = model_normalize(out, model, (size_t)n + 1);
	{
		int slash = out[n - 1] == '/';
		k = path_normalize(out, &trailing);
		if (k >= 0 || out[0] == '/')
			CHECK(trailing == slash);
	}
	CHECK(k == m);
	if (k < 0) {
		CHECK(k == -400 || k == -404);
		free(model);
		free(out);
		return 0;
	}
	CHECK(strcmp(out, model) == 0);
	check_normalized(out, (size_t)k);

	/* Already normal: "/" + result normalises to itself. */
	again = malloc((size_t)k + 2);
	CHECK(again != NULL);
	again[0] = '/';
	memcpy(again + 1, out, (size_t)k + 1);
	CHECK(path_normalize(again, &trailing2) == k);
	CHECK(strcmp(again, out) == 0);
	free(again);
	free(model);
	free(out);
	return 0;
}
