/* Request path -> a file or directory under the root: decode, normalise,
 * open beneath the root, then redirect a directory to its slash form, or
 * serve its index (static_file.c) or its listing (listing.c). */
#include "static.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listing.h"
#include "path.h"
#include "server.h"
#include "static_file.h"

/* A directory asked for without its slash: send the client to the slash
 * form so relative links resolve. The target was checked by the parser
 * (visible ASCII only), so nothing here can split a header. */
static int redirect_to_slash(struct http_exchange *x)
{
	const struct http_request *req = x->req;
	char extra[PATH_MAX * 2 + 32];
	int n;

	if (req->query.len)
		n = snprintf(extra, sizeof(extra), "Location: %.*s/?%.*s\r\n", (int)req->path.len,
			     req->path.p, (int)req->query.len, req->query.p);
	else
		n = snprintf(extra, sizeof(extra), "Location: %.*s/\r\n", (int)req->path.len,
			     req->path.p);
	if (n < 0 || (size_t)n >= sizeof(extra))
		return http_resp_error(x, 414, NULL);
	return http_resp_error(x, 301, extra);
}

/* A directory asked for with its slash: its index file, else a listing
 * (--listing), else 403. dirfd is consumed. path holds the directory's
 * path under the root (length n) and has room for "/" and the index
 * name. */
static int serve_dir(struct http_exchange *x, int dirfd, char *path, size_t n)
{
	const struct config *cfg = x->srv->cfg;
	size_t len = n, ilen = strlen(cfg->index);
	struct stat st;
	int fd, rc;

	if (len > 0)
		path[len++] = '/';
	memcpy(path + len, cfg->index, ilen + 1);
	fd = path_open(x->srv->root_fd, path, &st);
	if (fd >= 0 && S_ISREG(st.st_mode)) {
		close(dirfd);
		return static_file_serve(x, fd, &st, path, len + ilen);
	}
	if (fd >= 0) {
		close(fd);
		fd = -403; /* an index that is not a file */
	}
	path[n] = '\0';
	if (fd == -404 && cfg->listing) {
		rc = listing_serve(x, dirfd, path);
		close(dirfd);
		return rc;
	}
	close(dirfd);
	if (fd == -404)
		return http_resp_error(x, 403, NULL); /* no index, no listing */
	return http_resp_error(x, -fd, NULL);
}

int static_serve(struct http_exchange *x)
{
	const struct http_request *req = x->req;
	/* Room past PATH_MAX for "/" + index name, or a ".gz" suffix: the
	 * kernel judges the full length (ENAMETOOLONG is a 404). */
	char path[PATH_MAX + NAME_MAX + 2 + STATIC_FILE_SUFFIX_ROOM];
	struct stat st;
	int trailing = 0;
	long n;
	int fd;

	n = path_decode(req->path.p, req->path.len, path, PATH_MAX);
	if (n < 0)
		return http_resp_error(x, (int)-n, NULL);
	n = path_normalize(path, &trailing);
	if (n < 0)
		return http_resp_error(x, (int)-n, NULL);

	fd = path_open(x->srv->root_fd, path, &st);
	if (fd < 0)
		return http_resp_error(x, -fd, NULL);

	if (S_ISDIR(st.st_mode)) {
		if (!trailing) {
			close(fd);
			return redirect_to_slash(x);
		}
		return serve_dir(x, fd, path, (size_t)n);
	}
	return static_file_serve(x, fd, &st, path, (size_t)n);
}
