#include "static.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "mime.h"
#include "path.h"
#include "server.h"

#define INDEX_NAME "index.html"

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

static int send_file(struct http_exchange *x, int fd, const struct stat *st,
		     const char *name)
{
	const char *type = mime_type_for(x->srv->mime, name, strlen(name));
	uint64_t size = (uint64_t)st->st_size;
	int rc = http_resp_start(x, 200);

	rc |= http_resp_end(x, type, size);
	if (x->head || size == 0) {
		close(fd);
		return rc;
	}
	if (conn_out_file(x->c, fd, 0, size)) {
		close(fd);
		return -1;
	}
	x->body_bytes = size;
	return rc;
}

int static_serve(struct http_exchange *x)
{
	const struct http_request *req = x->req;
	char path[PATH_MAX];
	struct stat st;
	int trailing = 0;
	long n;
	int fd;

	n = path_decode(req->path.p, req->path.len, path, sizeof(path) - sizeof(INDEX_NAME) - 1);
	if (n < 0)
		return http_resp_error(x, (int)-n, NULL);
	n = path_normalize(path, &trailing);
	if (n < 0)
		return http_resp_error(x, (int)-n, NULL);

	fd = path_open(x->srv->root_fd, path, &st);
	if (fd < 0)
		return http_resp_error(x, -fd, NULL);

	if (S_ISDIR(st.st_mode)) {
		close(fd);
		if (!trailing)
			return redirect_to_slash(x);
		if (n > 0)
			path[n++] = '/';
		memcpy(path + n, INDEX_NAME, sizeof(INDEX_NAME));
		fd = path_open(x->srv->root_fd, path, &st);
		if (fd == -404)
			return http_resp_error(x, 403, NULL); /* no index, no listing */
		if (fd < 0)
			return http_resp_error(x, -fd, NULL);
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			return http_resp_error(x, 403, NULL);
		}
	}
	return send_file(x, fd, &st, path);
}
