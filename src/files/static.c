/* Request path -> a file or directory under the root: decode, normalise,
 * look it up through the worker's open-file cache (fcache.h), then
 * redirect a directory to its slash form, or serve its index
 * (static_file.c) or its listing (listing.c). */
#include "files/static.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files/fcache.h"
#include "files/listing.h"
#include "files/path.h"
#include "files/rules.h"
#include "http/auth.h"
#include "core/ctx.h"
#include "files/static_file.h"
#include "util/bytes.h"
#include "util/chars.h"

/* The longest Location a redirect writes: a path of PATH_MAX bytes, each
 * percent-encoded, and a query; longer is 414. */
#define REDIRECT_MAX (PATH_MAX * 4)

/* Whether a byte of a decoded path may stand in a Location path as is:
 * pchar (RFC 3986 §3.3) and '/'; '%' is not, so every escape we write is
 * one we made. */
static int location_byte_plain(unsigned char c)
{
	return chars_is_unreserved(c) || (c && strchr("!$&'()*+,;=:@/", c));
}

/* A directory asked for without its slash: send the client to the slash
 * form so relative links resolve. Location is built from the normalised
 * path (rel, under the root, no empty segment), never from the raw target:
 * "//evil.example/../sub" must become "/sub/", as a path starting with
 * "//" is a network-path reference to another host (RFC 3986 §4.2). So
 * it starts with exactly one '/', and every byte outside pchar is
 * percent-encoded (CR and LF cannot reach the header; nor can '\', which
 * browsers read as '/'). The query, checked by the parser (visible ASCII
 * only), is kept. */
static int redirect_to_slash(struct http_exchange *x, const char *rel, size_t n)
{
	const struct http_request *req = x->req;
	struct http_response *r = &x->resp;
	char loc[REDIRECT_MAX];
	struct bytes b;

	bytes_init_fixed(&b, loc, sizeof(loc));
	bytes_char(&b, '/');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)rel[i];
		if (location_byte_plain(c)) {
			bytes_char(&b, (char)c);
		} else {
			bytes_char(&b, '%');
			bytes_char(&b, chars_hex_upper[c >> 4]);
			bytes_char(&b, chars_hex_upper[c & 15]);
		}
	}
	if (n) /* "" is the root ("/." or "/sub/.."): "/" already */
		bytes_char(&b, '/');
	if (req->query.len) {
		bytes_char(&b, '?');
		bytes_put(&b, req->query.p, req->query.len);
	}
	if (b.failed)
		return http_response_error(r, HTTP_URI_TOO_LONG);
	http_response_field(r, HTTP_F_LOCATION, b.p, b.len);
	return http_response_error(r, HTTP_MOVED_PERMANENTLY);
}

/* --redirect: Location built from the rule (rules.h: nothing of the
 * request but the encoded rest of its normalised path and its checked
 * query). */
static int redirect_by_rule(struct http_exchange *x, const struct config_redirect *rd,
			    const char *full, size_t flen)
{
	struct http_response *r = &x->resp;
	char loc[REDIRECT_MAX];
	struct bytes b;

	bytes_init_fixed(&b, loc, sizeof(loc));
	rules_redirect_location(rd, full, flen, x->req->query, &b);
	if (b.failed)
		return http_response_error(r, HTTP_URI_TOO_LONG);
	http_response_field(r, HTTP_F_LOCATION, b.p, b.len);
	return http_response_error(r, (enum http_status)rd->status);
}

/* --fallback: the single-page app's entry file, 200, for a path that
 * does not exist (rules_fallback_wanted decided it may). The answer
 * depends on Accept, so it says so. Without the file: status stays. */
static int serve_fallback(struct http_exchange *x, int status)
{
	struct ctx *cx = x->ctx;
	struct fcache_entry *fe;
	int st;

	fe = fcache_get(x->fcache, cx->cfg->fallback, cx->now, &st);
	if (!fe)
		return http_response_error(&x->resp, status);
	HTTP_RESPONSE_FIELD_LIT(&x->resp, HTTP_F_VARY, "Accept");
	return static_file_serve(x, fe);
}

static bool fallback_applies(const struct http_exchange *x, const char *rel, size_t n)
{
	return x->ctx->cfg->fallback && rules_fallback_wanted(x->req, rel, n);
}

/* The page of a directory without index while listings are off: the
 * first thing someone sharing a folder sees. */
static const char listing_off_html[] =
	"<p>This directory has no index file, and directory listing is off.</p>\n"
	"<p>To list it, start eisd with <code>--listing</code> "
	"(for example <code>eisd --listing .</code>), or add an "
	"<code>index.html</code>.</p>\n";

/* A directory asked for with its slash: its index file, else a listing
 * (--listing), else 403. path holds the directory's path under the root
 * (length n) and has room for "/" and the index name. */
static int serve_dir(struct http_exchange *x, char *path, size_t n)
{
	const struct path_settings *set = x->settings;
	struct ctx *cx = x->ctx;
	size_t len = n, ilen = strlen(set->index);
	struct fcache_entry *fe;
	struct stat st;
	int status, dirfd, rc;

	if (len > 0)
		path[len++] = '/';
	memcpy(path + len, set->index, ilen + 1);
	fe = fcache_get(x->fcache, path, cx->now, &status);
	if (fe)
		return static_file_serve(x, fe);
	path[n] = '\0';
	if (status == 0)
		return http_response_error(&x->resp, HTTP_FORBIDDEN); /* an index that is not a file */
	if (status != -404)
		return http_response_error(&x->resp, -status);
	if (!set->listing) {
		if (fallback_applies(x, path, n))
			return serve_fallback(x, HTTP_FORBIDDEN);
		/* no index, no listing: say how to get one */
		return http_response_error_detail(&x->resp, HTTP_FORBIDDEN, listing_off_html);
	}
	/* The cache keeps files only: the directory is opened for this
	 * listing alone. */
	dirfd = path_open(x->root_fd, path, &st);
	if (dirfd < 0)
		return http_response_error(&x->resp, -dirfd);
	if (!S_ISDIR(st.st_mode)) { /* replaced meanwhile */
		close(dirfd);
		return http_response_error(&x->resp, HTTP_NOT_FOUND);
	}
	rc = listing_serve(x, dirfd, &st, path);
	close(dirfd);
	return rc;
}

int static_serve(struct http_exchange *x)
{
	const struct http_request *req = x->req;
	struct ctx *cx = x->ctx;
	/* Room past PATH_MAX for "/" + index name: the kernel judges the
	 * full length (ENAMETOOLONG is a 404). */
	char path[PATH_MAX + NAME_MAX + 2], full[PATH_MAX + 3];
	const struct config_redirect *rd;
	struct fcache_entry *fe;
	size_t flen;
	int trailing = 0;
	int status;
	long n;

	n = path_decode(req->path.p, req->path.len, path, PATH_MAX);
	if (n < 0)
		return http_response_error(&x->resp, (int)-n);
	n = path_normalize(path, &trailing);
	if (n < 0)
		return http_response_error(&x->resp, (int)-n);
	/* Per-path settings are decided on the path that opens the file,
	 * never on the raw target. */
	x->settings = config_settings_for(cx->cfg, path, (size_t)n, trailing);
	x->resp.extra_headers = x->settings->extra_headers;
	/* The other rules too (rules.h): auth first, so nothing about a
	 * protected path (not even where it redirects) is told without. */
	flen = rules_full_path(full, path, (size_t)n, trailing);
	if (rules_auth_required(cx->cfg, full, flen) && !auth_check(x))
		return x->resp.failed ? -1 : 0;
	if (cx->cfg->nredirects && (rd = rules_redirect_for(cx->cfg, full, flen)))
		return redirect_by_rule(x, rd, full, flen);

	fe = fcache_get(x->fcache, path, cx->now, &status);
	if (fe && trailing) {
		/* "/file.txt/" names a directory that is not there (as open(2)
		 * says ENOTDIR): never the file, whose relative links would
		 * then resolve below it. */
		fcache_release(fe);
		return http_response_error(&x->resp, HTTP_NOT_FOUND);
	}
	if (fe)
		return static_file_serve(x, fe);
	if (status == -404 && fallback_applies(x, path, (size_t)n))
		return serve_fallback(x, HTTP_NOT_FOUND);
	if (status < 0)
		return http_response_error(&x->resp, -status);
	/* A directory. */
	if (!trailing)
		return redirect_to_slash(x, path, (size_t)n);
	return serve_dir(x, path, (size_t)n);
}
