/* Request path -> file under the document root. See path.h. */
#include "files/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/chars.h"

long path_decode(const char *in, size_t len, char *out, size_t outsz)
{
	size_t w = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return -400;
			hi = chars_hex_value((unsigned char)in[i + 1]);
			lo = chars_hex_value((unsigned char)in[i + 2]);
			if (hi < 0 || lo < 0)
				return -400;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		/* A NUL would cut the path short when it reaches the kernel,
		 * so "/secret%00.png" would open "/secret". */
		if (c == '\0')
			return -400;
		if (w + 1 >= outsz) /* keep room for the terminating NUL */
			return -400;
		out[w++] = (char)c;
	}
	if (outsz == 0)
		return -400;
	out[w] = '\0';
	return (long)w;
}

long path_normalize(char *path, int *trailing_slash)
{
	size_t r = 1, w = 0;

	if (path[0] != '/')
		return -400;
	*trailing_slash = path[strlen(path) - 1] == '/';

	/* w never passes r, so writing in place only touches bytes already
	 * read. The output is segments joined by '/', with no leading or
	 * trailing slash. */
	while (path[r] != '\0') {
		size_t start = r, seglen;

		while (path[r] != '\0' && path[r] != '/')
			r++;
		seglen = r - start;
		if (path[r] == '/')
			r++;

		if (seglen == 0) /* "//" */
			continue;
		if (seglen == 1 && path[start] == '.')
			continue;
		if (seglen == 2 && path[start] == '.' && path[start + 1] == '.') {
			if (w == 0)
				return -400; /* would climb above the root */
			while (w > 0 && path[w - 1] != '/')
				w--;
			if (w > 0)
				w--; /* the '/' before the dropped segment */
			continue;
		}
		/* .git, .env, .htpasswd: never served, and a 404 does not
		 * confirm that they exist. */
		if (path[start] == '.')
			return -404;

		if (w > 0)
			path[w++] = '/';
		memmove(path + w, path + start, seglen);
		w += seglen;
	}
	path[w] = '\0';
	return (long)w;
}

static int errno_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		return -404;
	case EXDEV:  /* RESOLVE_BENEATH: the path or a symlink leaves root */
	case ELOOP:  /* a symlink loop, or a magic link under NO_MAGICLINKS */
	case EACCES:
	case EPERM:
	case ENXIO:  /* a socket, or a device with nothing behind it */
	case ENODEV:
		return -403;
	default:
		return -500;
	}
}

/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
 * writer, and a worker thread would hang on one request. It is left set:
 * regular files ignore it and directories are only listed. */
#define PATH_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/* Checks the fd's type once it is open, so the check and the file are the
 * same object (no race with a rename between stat and open). */
static int finish_open(int fd, struct stat *st)
{
	if (fstat(fd, st) < 0) {
		close(fd);
		return -500;
	}
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
		close(fd);
		return -403;
	}
	return fd;
}

static const char *rel_or_dot(const char *rel)
{
	return rel[0] == '\0' ? "." : rel;
}

/* Test only: EISD_TEST_PATH_FALLBACK=1 in the environment makes every
 * open take the fallback, so the test suite can run the path-safety tests
 * against it on kernels that have openat2. Read once, before main, and
 * never written again. */
static bool force_fallback;

__attribute__((constructor)) static void path_read_test_switch(void)
{
	const char *v = getenv("EISD_TEST_PATH_FALLBACK");

	force_fallback = v && strcmp(v, "1") == 0;
}

int path_open(int rootfd, const char *rel, struct stat *st)
{
	struct open_how how = {
		.flags = PATH_OPEN_FLAGS,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd, tries = 0;

	if (force_fallback)
		return path_open_fallback(rootfd, rel, st);
	do {
		fd = (int)syscall(SYS_openat2, rootfd, rel_or_dot(rel), &how,
				  sizeof(how));
		/* EAGAIN: a concurrent rename kept the kernel from proving
		 * that ".." stayed beneath the root; openat2(2) says retry. */
	} while (fd < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < 8);
	if (fd < 0) {
		if (errno == ENOSYS)
			return path_open_fallback(rootfd, rel, st);
		return errno_status(errno);
	}
	return finish_open(fd, st);
}

/* The path the kernel holds for fd, NUL-terminated; false when /proc is
 * missing or the name does not fit. */
static bool fd_path(int fd, char *buf, size_t bufsz)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, bufsz);
	if (n <= 0 || (size_t)n >= bufsz)
		return false;
	buf[n] = '\0';
	return buf[0] == '/';
}

static bool is_beneath(const char *root, const char *p)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return true;
	/* A bare prefix test would let root "/srv/www" reach "/srv/www2". */
	return strncmp(p, root, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

int path_open_fallback(int rootfd, const char *rel, struct stat *st)
{
	char root[PATH_MAX], got[PATH_MAX];
	int fd;

	do
		fd = openat(rootfd, rel_or_dot(rel), PATH_OPEN_FLAGS);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return errno_status(errno);

	if (!fd_path(rootfd, root, sizeof(root)) ||
	    !fd_path(fd, got, sizeof(got))) {
		close(fd);
		return -500;
	}
	if (!is_beneath(root, got)) {
		close(fd);
		return -403;
	}
	return finish_open(fd, st);
}
