/* One regular file as a response. See static_file.h.
 *
 * decide (which representation, which validators), then evaluate the
 * preconditions, then the Range, then write: 304, 412, 416, 206 single,
 * 206 multipart/byteranges, or 200. Bodies are file ranges queued for
 * sendfile; only the multipart boundaries are memory. */
#include "static_file.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cond.h"
#include "conn.h"
#include "httpdate.h"
#include "mime.h"
#include "negotiate.h"
#include "path.h"
#include "range.h"
#include "server.h"

/* The representation being sent. */
struct rep {
	int fd;             /* owned until the conn takes it (given) */
	bool given;         /* the conn owns fd now */
	struct stat st;     /* of fd */
	const char *coding; /* Content-Encoding; NULL for the file itself */
	const char *tag;    /* ETag suffix of the coding; NULL for the file */
	bool vary;          /* a precompressed copy exists: Vary */
	const char *type;   /* Content-Type of the original file */
	struct cond_validators v;
	char etag[COND_ETAG_MAX];
	char last_modified[HTTPDATE_LEN + 1];
};

static const struct {
	const char *name;   /* Content-Encoding */
	const char *suffix; /* sidecar file name suffix */
	const char *tag;    /* ETag suffix */
} codings[] = {
	[NEGOTIATE_GZIP] = { "gzip", ".gz", "gz" },
	[NEGOTIATE_BR] = { "br", ".br", "br" },
};

/* Opens rel + suffix when it is a regular file beneath the root (the same
 * rules as any request path); -1 otherwise. rel is restored. */
static int open_sidecar(int rootfd, char *rel, size_t len, const char *suffix,
			struct stat *st)
{
	int fd;

	memcpy(rel + len, suffix, strlen(suffix) + 1);
	fd = path_open(rootfd, rel, st);
	rel[len] = '\0';
	if (fd < 0)
		return -1;
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Swaps in the precompressed copy the client wants most, if one exists,
 * and notes whether any copy exists at all: then every answer for this
 * file depends on Accept-Encoding and must say so, identity answers
 * included, or a shared cache could hand gzip to a client that cannot
 * read it. A Range request always gets the file itself, so byte offsets
 * mean the same thing whatever the client accepts. */
static void choose_representation(struct http_exchange *x, struct rep *rep,
				  char *rel, size_t len)
{
	const struct http_request *req = x->req;
	int rootfd = x->srv->root_fd;
	enum negotiate_coding order[2];
	bool tried[2] = { false, false };
	unsigned n = 0;
	struct stat st;
	int fd;

	if (req->range.p == NULL)
		n = negotiate_encodings(req->accept_encoding.p, req->accept_encoding.len,
					order);
	for (unsigned i = 0; i < n; i++) {
		tried[order[i]] = true;
		fd = open_sidecar(rootfd, rel, len, codings[order[i]].suffix, &st);
		if (fd >= 0) {
			close(rep->fd);
			rep->fd = fd;
			rep->st = st;
			rep->coding = codings[order[i]].name;
			rep->tag = codings[order[i]].tag;
			rep->vary = true;
			return;
		}
	}
	for (int k = NEGOTIATE_BR; k >= NEGOTIATE_GZIP; k--) {
		if (tried[k])
			continue;
		fd = open_sidecar(rootfd, rel, len, codings[k].suffix, &st);
		if (fd >= 0) {
			close(fd);
			rep->vary = true;
			return;
		}
	}
}

static void make_validators(struct rep *rep, time_t now)
{
	time_t mtime = rep->st.st_mtim.tv_sec;

	rep->v.etag_len = cond_etag_make(rep->etag, &rep->st, rep->tag);
	rep->v.etag = rep->etag;
	/* Never later than Date (RFC 9110 §8.8.2.1): a file stamped in the
	 * future would otherwise never look modified to a client. */
	rep->v.last_modified = mtime < now ? mtime : now;
	rep->v.last_modified_strong = mtime < now;
	httpdate_format(rep->v.last_modified, rep->last_modified);
}

/* The headers every answer about this representation carries, 304
 * included: validators, Vary, Cache-Control. */
static int put_validators(struct http_exchange *x, const struct rep *rep)
{
	const struct config *cfg = x->srv->cfg;
	int rc = conn_out_printf(x->c, "Last-Modified: %s\r\nETag: %s\r\n%s",
				 rep->last_modified, rep->etag,
				 rep->vary ? "Vary: Accept-Encoding\r\n" : "");

	if (cfg->cache_max_age >= 0)
		rc |= conn_out_printf(x->c, "Cache-Control: public, max-age=%ld\r\n",
				      cfg->cache_max_age);
	return rc;
}

/* Headers of a response with (part of) the body: 200 and 206. */
static int put_entity_headers(struct http_exchange *x, const struct rep *rep)
{
	int rc = put_validators(x, rep);

	rc |= conn_out_printf(x->c, "Accept-Ranges: bytes\r\n");
	if (rep->coding != NULL)
		rc |= conn_out_printf(x->c, "Content-Encoding: %s\r\n", rep->coding);
	return rc;
}

/* Queues len bytes of the file from off (nothing for HEAD). The conn owns
 * the fd from its first range on. */
static int queue_range(struct http_exchange *x, struct rep *rep, uint64_t off,
		       uint64_t len)
{
	int rc;

	if (x->head || len == 0)
		return 0;
	rc = conn_out_file(x->c, rep->fd, (off_t)off, len);
	if (x->c->body_fd == rep->fd)
		rep->given = true;
	if (rc == 0)
		x->body_bytes += len;
	return rc;
}

static int send_not_modified(struct http_exchange *x, const struct rep *rep)
{
	int rc = http_resp_start(x, 304);

	rc |= put_validators(x, rep);
	return rc | http_resp_end(x, NULL, 0);
}

static int send_whole(struct http_exchange *x, struct rep *rep)
{
	uint64_t size = (uint64_t)rep->st.st_size;
	int rc = http_resp_start(x, 200);

	rc |= put_entity_headers(x, rep);
	rc |= http_resp_end(x, rep->type, size);
	return rc | queue_range(x, rep, 0, size);
}

static int send_unsatisfiable(struct http_exchange *x, const struct rep *rep)
{
	char extra[128];

	snprintf(extra, sizeof(extra), "Content-Range: bytes */%llu\r\nAccept-Ranges: bytes\r\n%s",
		 (unsigned long long)rep->st.st_size,
		 rep->vary ? "Vary: Accept-Encoding\r\n" : "");
	return http_resp_error(x, 416, extra);
}

static int send_one_range(struct http_exchange *x, struct rep *rep, const struct range *r)
{
	uint64_t len = r->last - r->first + 1;
	int rc = http_resp_start(x, 206);

	rc |= put_entity_headers(x, rep);
	rc |= conn_out_printf(x->c, "Content-Range: bytes %llu-%llu/%llu\r\n",
			      (unsigned long long)r->first, (unsigned long long)r->last,
			      (unsigned long long)rep->st.st_size);
	rc |= http_resp_end(x, rep->type, len);
	return rc | queue_range(x, rep, r->first, len);
}

#define BOUNDARY_LEN 20

/* A fresh boundary per response, so file contents cannot be crafted to
 * contain it. Unpredictability is a nicety, not a need: the parts are
 * delimited by their Content-Range lengths too. */
static void make_boundary(char out[BOUNDARY_LEN + 1], const struct rep *rep)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[8];

	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		struct timespec ts;
		uint64_t h = (uint64_t)rep->st.st_ino * 0x9e3779b97f4a7c15u;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		h ^= (uint64_t)ts.tv_nsec * 0xbf58476d1ce4e5b9u ^ (uint64_t)ts.tv_sec;
		memcpy(rnd, &h, sizeof(rnd));
	}
	memcpy(out, "eisd", 4);
	for (size_t i = 0; i < sizeof(rnd); i++) {
		out[4 + 2 * i] = hex[rnd[i] >> 4];
		out[5 + 2 * i] = hex[rnd[i] & 15];
	}
	out[BOUNDARY_LEN] = '\0';
}

/* The head of part i: a delimiter (RFC 2046 §5.1.1: CRLF "--" boundary,
 * the first without the CRLF) and the part's header fields. With out ==
 * NULL only measures. */
static int part_head(char *out, size_t outsz, unsigned i, const char *boundary,
		     const struct rep *rep, const struct range *r)
{
	return snprintf(out, outsz, "%s--%s\r\nContent-Type: %s\r\nContent-Range: bytes %llu-%llu/%llu\r\n\r\n",
			i ? "\r\n" : "", boundary, rep->type, (unsigned long long)r->first,
			(unsigned long long)r->last, (unsigned long long)rep->st.st_size);
}

/* RFC 9110 §14.6. Ranges are sorted and disjoint (range.c), and there are
 * at most RANGE_MAX of them. */
static int send_multipart(struct http_exchange *x, struct rep *rep,
			  const struct range_set *set)
{
	char boundary[BOUNDARY_LEN + 1], ctype[64], head[512];
	uint64_t total = 0;
	int rc, n;

	make_boundary(boundary, rep);
	snprintf(ctype, sizeof(ctype), "multipart/byteranges; boundary=%s", boundary);
	for (unsigned i = 0; i < set->count; i++) {
		n = part_head(NULL, 0, i, boundary, rep, &set->r[i]);
		if (n < 0)
			return -1;
		total += (uint64_t)n + set->r[i].last - set->r[i].first + 1;
	}
	total += sizeof("\r\n--") - 1 + BOUNDARY_LEN + sizeof("--\r\n") - 1;

	rc = http_resp_start(x, 206);
	rc |= put_entity_headers(x, rep);
	rc |= http_resp_end(x, ctype, total);
	if (x->head || rc)
		return rc;
	for (unsigned i = 0; i < set->count; i++) {
		const struct range *r = &set->r[i];

		n = part_head(head, sizeof(head), i, boundary, rep, r);
		if (n < 0 || (size_t)n >= sizeof(head))
			return -1; /* a type longer than the mime table allows */
		rc |= conn_out_bytes(x->c, head, (size_t)n);
		x->body_bytes += (uint64_t)n;
		rc |= queue_range(x, rep, r->first, r->last - r->first + 1);
	}
	rc |= conn_out_printf(x->c, "\r\n--%s--\r\n", boundary);
	x->body_bytes += sizeof("\r\n--") - 1 + BOUNDARY_LEN + sizeof("--\r\n") - 1;
	return rc;
}

/* After the preconditions passed: the Range, if it applies, else all. */
static int send_body(struct http_exchange *x, struct rep *rep)
{
	const struct http_request *req = x->req;
	struct range_set set;

	if (req->range.p == NULL || rep->coding != NULL)
		return send_whole(x, rep);
	if (req->if_range.p != NULL && !cond_if_range(req->if_range.p, req->if_range.len, &rep->v))
		return send_whole(x, rep);
	switch (range_parse(req->range.p, req->range.len, (uint64_t)rep->st.st_size, &set)) {
	case RANGE_OK:
		if (set.count == 1)
			return send_one_range(x, rep, &set.r[0]);
		return send_multipart(x, rep, &set);
	case RANGE_UNSATISFIABLE:
		return send_unsatisfiable(x, rep);
	case RANGE_IGNORE:
	default:
		return send_whole(x, rep);
	}
}

int static_file_serve(struct http_exchange *x, int fd, const struct stat *st,
		      char *rel, size_t rel_len)
{
	struct rep rep = { .fd = fd, .st = *st };
	int rc;

	rep.type = mime_type_for(x->srv->mime, rel, rel_len);
	/* Two extra opens per request (about 3 us on a small file, measured),
	 * which --no-precompressed saves. */
	if (x->srv->cfg->precompressed)
		choose_representation(x, &rep, rel, rel_len);
	make_validators(&rep, x->c->w->now);

	switch (cond_evaluate(x->req, &rep.v)) {
	case COND_NOT_MODIFIED:
		rc = send_not_modified(x, &rep);
		break;
	case COND_FAILED:
		rc = http_resp_error(x, 412, rep.vary ? "Vary: Accept-Encoding\r\n" : NULL);
		break;
	case COND_PROCEED:
	default:
		rc = send_body(x, &rep);
		break;
	}
	if (!rep.given)
		close(rep.fd);
	return rc;
}
