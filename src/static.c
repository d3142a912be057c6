#include "static.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conn.h"
#include "fcache.h"
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

/* The body comes from the open-file cache: from memory when the entry
 * holds the content (one write with the header), else with sendfile from
 * the cached descriptor. The entry stays referenced until it is sent. */
static int send_file(struct http_exchange *x, struct fcache_entry *fe)
{
	uint64_t size = (uint64_t)fe->st.st_size;
	int rc = http_resp_start(x, 200);

	rc |= http_resp_end(x, fe->type, size);
	if (rc || x->head || size == 0) {
		fcache_release(fe);
		return rc;
	}
	if (conn_out_hold(x->c, fcache_release, fe)) {
		fcache_release(fe);
		return -1;
	}
	if (fe->data)
		rc = conn_out_ref(x->c, fe->data, (size_t)size);
	else
		rc = conn_out_file_ref(x->c, fe->fd, 0, size);
	if (rc)
		return -1;
	x->body_bytes = size;
	return 0;
}

int static_serve(struct http_exchange *x)
{
	const struct http_request *req = x->req;
	struct worker *w = x->c->w;
	struct fcache_entry *fe;
	char path[PATH_MAX];
	int trailing = 0;
	int status;
	long n;

	n = path_decode(req->path.p, req->path.len, path, sizeof(path) - sizeof(INDEX_NAME) - 1);
	if (n < 0)
		return http_resp_error(x, (int)-n, NULL);
	n = path_normalize(path, &trailing);
	if (n < 0)
		return http_resp_error(x, (int)-n, NULL);

	fe = fcache_get(w->fcache, path, w->now, &status);
	if (fe)
		return send_file(x, fe);
	if (status < 0)
		return http_resp_error(x, -status, NULL);

	/* A directory. */
	if (!trailing)
		return redirect_to_slash(x);
	if (n > 0)
		path[n++] = '/';
	memcpy(path + n, INDEX_NAME, sizeof(INDEX_NAME));
	fe = fcache_get(w->fcache, path, w->now, &status);
	if (fe)
		return send_file(x, fe);
	if (status == -404 || status == 0)
		return http_resp_error(x, 403, NULL); /* no index, no listing */
	return http_resp_error(x, -status, NULL);
}
