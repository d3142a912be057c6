/* One regular file as a response. See static_file.h.
 *
 * decide (which representation, which validators), then evaluate the
 * preconditions, then the Range, then write: 304, 412, 416, 206 single,
 * 206 multipart/byteranges, or 200. The file and its precompressed
 * copies come from the worker's open-file cache (fcache.h): bodies are
 * the cached content in memory (a small file goes out with its header in
 * one sendmsg) or ranges of the cached descriptor for sendfile, kept
 * alive by a hold on the entry until the response is sent. */
#include "files/static_file.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "http/cond.h"
#include "core/conn.h"
#include "files/fcache.h"
#include "http/httpdate.h"
#include "http/negotiate.h"
#include "http/range.h"
#include "core/ctx.h"

/* The representation being sent. */
struct rep {
	struct fcache_entry *e; /* referenced until the conn holds it (given) */
	bool given;         /* the conn holds e now (conn_out_hold) */
	const struct stat *st; /* e's */
	const char *coding; /* Content-Encoding; NULL for the file itself */
	const char *tag;    /* ETag suffix of the coding; NULL for the file */
	bool vary;          /* a precompressed copy exists: Vary */
	const char *type;   /* Content-Type of the original file */
	const char *last_modified; /* the HTTP date */
	struct cond_validators v;
	char etag[COND_ETAG_MAX];  /* of a precompressed copy */
	char date[HTTPDATE_LEN + 1];
};

static const struct {
	const char *name;   /* Content-Encoding */
	const char *suffix; /* sidecar file name suffix */
	const char *tag;    /* ETag suffix */
} codings[] = {
	[NEGOTIATE_GZIP] = { "gzip", ".gz", "gz" },
	[NEGOTIATE_BR] = { "br", ".br", "br" },
};

_Static_assert(sizeof(codings) / sizeof(codings[0]) <= FCACHE_SIDECARS, "a cache slot per coding");

/* Swaps in the precompressed copy the client wants most, if one exists,
 * and notes whether any copy exists at all: then every answer for this
 * file depends on Accept-Encoding and must say so, identity answers
 * included, or a shared cache could hand gzip to a client that cannot
 * read it. A Range request always gets the file itself, so byte offsets
 * mean the same thing whatever the client accepts. The cache remembers
 * missing copies, so a file without any costs no system call here. */
static void choose_representation(struct http_exchange *x, struct rep *rep)
{
	const struct http_request *req = x->req;
	struct ctx *cx = x->ctx;
	struct fcache_entry *file = rep->e, *copy;
	enum negotiate_coding order[2];
	bool tried[2] = { false, false };
	unsigned n = 0;

	if (req->range.p == NULL)
		n = negotiate_encodings(req->accept_encoding.p, req->accept_encoding.len,
					order);
	for (unsigned i = 0; i < n; i++) {
		tried[order[i]] = true;
		copy = fcache_sidecar(cx->fcache, file, order[i], codings[order[i]].suffix, cx->now);
		if (copy) {
			fcache_release(file);
			rep->e = copy;
			rep->st = &copy->st;
			rep->coding = codings[order[i]].name;
			rep->tag = codings[order[i]].tag;
			rep->vary = true;
			return;
		}
	}
	for (int k = NEGOTIATE_BR; k >= NEGOTIATE_GZIP; k--) {
		if (tried[k])
			continue;
		copy = fcache_sidecar(cx->fcache, file, (unsigned)k, codings[k].suffix, cx->now);
		if (copy) {
			fcache_release(copy);
			rep->vary = true;
			return;
		}
	}
}

static void make_validators(struct rep *rep, time_t now)
{
	time_t mtime = rep->st->st_mtim.tv_sec;

	if (rep->tag) {
		rep->v.etag_len = cond_etag_make(rep->etag, rep->st, rep->tag);
		rep->v.etag = rep->etag;
	} else {
		rep->v.etag_len = rep->e->etag_len;
		rep->v.etag = rep->e->etag;
	}
	/* Never later than Date (RFC 9110 §8.8.2.1): a file stamped in the
	 * future would otherwise never look modified to a client. */
	rep->v.last_modified = mtime < now ? mtime : now;
	rep->v.last_modified_strong = mtime < now;
	if (mtime < now) {
		rep->last_modified = rep->e->mtime_date;
	} else {
		httpdate_format(now, rep->date);
		rep->last_modified = rep->date;
	}
}

/* The headers every answer about this representation carries, 304
 * included: validators, Vary, Cache-Control; with entity (200 and 206)
 * also Accept-Ranges and Content-Encoding. */
static int put_validators(struct http_exchange *x, const struct rep *rep, bool entity)
{
	long max_age = x->ctx->cfg->cache_max_age;
	char buf[512];
	struct http_hdr b = { buf, 0, sizeof(buf), false };

	HTTP_HDR_LIT(&b, "Last-Modified: ");
	http_hdr_put(&b, rep->last_modified, HTTPDATE_LEN);
	HTTP_HDR_LIT(&b, "\r\nETag: ");
	http_hdr_put(&b, rep->v.etag, rep->v.etag_len);
	HTTP_HDR_LIT(&b, "\r\n");
	if (rep->vary)
		HTTP_HDR_LIT(&b, "Vary: Accept-Encoding\r\n");
	if (max_age >= 0) {
		HTTP_HDR_LIT(&b, "Cache-Control: public, max-age=");
		http_hdr_u64(&b, (uint64_t)max_age);
		HTTP_HDR_LIT(&b, "\r\n");
	}
	if (entity) {
		HTTP_HDR_LIT(&b, "Accept-Ranges: bytes\r\n");
		if (rep->coding != NULL) {
			HTTP_HDR_LIT(&b, "Content-Encoding: ");
			http_hdr_str(&b, rep->coding);
			HTTP_HDR_LIT(&b, "\r\n");
		}
	}
	if (b.overflow)
		return -1;
	return conn_out_bytes(x->c, buf, b.len);
}

/* Queues len bytes of the representation from off (nothing for HEAD):
 * from the cached copy in memory, else as a range of the cached
 * descriptor. The conn holds the entry from the first range on. */
static int queue_range(struct http_exchange *x, struct rep *rep, uint64_t off,
		       uint64_t len)
{
	struct fcache_entry *e = rep->e;
	int rc;

	if (x->head || len == 0)
		return 0;
	if (!rep->given) {
		if (conn_out_hold(x->c, fcache_release, e))
			return -1;
		rep->given = true;
	}
	if (e->data)
		rc = conn_out_ref(x->c, e->data + off, (size_t)len);
	else
		rc = conn_out_file_ref(x->c, e->fd, (off_t)off, len);
	if (rc == 0)
		x->body_bytes += len;
	return rc;
}

static int send_not_modified(struct http_exchange *x, const struct rep *rep)
{
	int rc = http_resp_start(x, 304);

	rc |= put_validators(x, rep, false);
	return rc | http_resp_end(x, NULL, 0);
}

static int send_whole(struct http_exchange *x, struct rep *rep)
{
	uint64_t size = (uint64_t)rep->st->st_size;
	int rc = http_resp_start(x, 200);

	rc |= put_validators(x, rep, true);
	rc |= http_resp_end(x, rep->type, size);
	return rc | queue_range(x, rep, 0, size);
}

static int send_unsatisfiable(struct http_exchange *x, const struct rep *rep)
{
	char extra[128];

	snprintf(extra, sizeof(extra), "Content-Range: bytes */%llu\r\nAccept-Ranges: bytes\r\n%s",
		 (unsigned long long)rep->st->st_size,
		 rep->vary ? "Vary: Accept-Encoding\r\n" : "");
	return http_resp_error(x, 416, extra);
}

static int send_one_range(struct http_exchange *x, struct rep *rep, const struct range *r)
{
	uint64_t len = r->last - r->first + 1;
	int rc = http_resp_start(x, 206);

	rc |= put_validators(x, rep, true);
	rc |= conn_out_printf(x->c, "Content-Range: bytes %llu-%llu/%llu\r\n",
			      (unsigned long long)r->first, (unsigned long long)r->last,
			      (unsigned long long)rep->st->st_size);
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
		uint64_t h = (uint64_t)rep->st->st_ino * 0x9e3779b97f4a7c15u;

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
			(unsigned long long)r->last, (unsigned long long)rep->st->st_size);
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
	rc |= put_validators(x, rep, true);
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
	switch (range_parse(req->range.p, req->range.len, (uint64_t)rep->st->st_size, &set)) {
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

int static_file_serve(struct http_exchange *x, struct fcache_entry *fe)
{
	struct rep rep = { .e = fe, .st = &fe->st, .type = fe->type };
	int rc;

	if (x->ctx->cfg->precompressed)
		choose_representation(x, &rep);
	make_validators(&rep, x->ctx->now);

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
		fcache_release(rep.e);
	return rc;
}
