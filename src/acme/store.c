/* See store.h. */
#include "acme/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STORE_MAX_FILE (1u << 20)

static int mkdirs(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -1;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -1;
	return 0;
}

int acme_store_open(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdirs(dir) || stat(dir, &st)) {
		snprintf(err, errlen, "acme storage %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "acme storage %s: not a directory", dir);
		return -1;
	}
	if ((st.st_mode & 077) && chmod(dir, 0700)) {
		snprintf(err, errlen, "acme storage %s: cannot make it private (0700): %s", dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int acme_store_write(const char *dir, const char *file, const char *data, size_t len,
		     unsigned mode, char *err, size_t errlen)
{
	char path[4096], tmp[4200];
	int fd, dfd;
	size_t off = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-%ld", dir, file, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, mode)) /* the umask may have narrowed or kept bits */
		goto fail_fd;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail_fd;
		}
		off += (size_t)n;
	}
	if (fsync(fd))
		goto fail_fd;
	close(fd);
	if (rename(tmp, path))
		goto fail_tmp;
	/* The rename itself must survive a crash too. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail_fd:
	close(fd);
fail_tmp:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	unlink(tmp);
	return -1;
fail:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	return -1;
}

char *acme_store_read(const char *dir, const char *file, size_t *len, bool *missing,
		      char *err, size_t errlen)
{
	char path[4096], *buf = NULL;
	struct stat st;
	size_t off = 0;
	int fd;

	*missing = false;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*missing = errno == ENOENT;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > STORE_MAX_FILE) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 S_ISREG(st.st_mode) ? "too large" : "not a regular file");
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	if (!buf) {
		snprintf(err, errlen, "cannot read %s: out of memory", path);
		return NULL;
	}
	buf[off] = '\0';
	*len = off;
	return buf;
}

int acme_store_set_aside(const char *dir, const char *file, char *out, size_t outlen)
{
	char path[4096], aside[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(aside, sizeof(aside), "%s.corrupt-%lld", path, (long long)time(NULL));
	snprintf(out, outlen, "%s", aside);
	return rename(path, aside);
}

void acme_store_names(const char *domain, char *crt, char *key, size_t len)
{
	snprintf(crt, len, "%s.crt", domain);
	snprintf(key, len, "%s.key", domain);
}
