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
#include "files/fcache.h"
#include "files/zcache.h"
#include "http/httpdate.h"
#include "http/negotiate.h"
#include "http/range.h"
#include "util/bytes.h"
#include "util/chars.h"
#include "util/codec.h"
#include "core/ctx.h"

/* What a rep may copy into: written before it is read, and kept apart
 * so that zeroing a rep per request does not clear some 300 bytes. */
struct rep_bufs {
	char etag[COND_ETAG_MAX];  /* of a coding */
	char date[HTTPDATE_LEN + 1];
	struct stat zst;    /* the file's, for a result on the fly */
};

/* The representation being sent: the file, a precompressed copy
 * (FILE.zst/.br/.gz, an fcache entry), or the file compressed on the fly
 * (a zcache entry). The response holds exactly one of e and z. */
struct rep {
	struct fcache_entry *file; /* referenced: the file asked for */
	struct fcache_entry *e; /* the file or its copy (referenced), or NULL */
	struct zcache_entry *z; /* referenced: compressed on the fly, or NULL */
	const struct stat *st;  /* what the ETag is made of */
	uint64_t size;          /* bytes of the representation */
	const char *coding; /* Content-Encoding; NULL for the file itself */
	const char *tag;    /* ETag suffix of the coding; NULL for the file */
	bool vary;          /* the answer depends on Accept-Encoding */
	unsigned accepted;  /* bit k: the client accepts coding k */
	const char *type;   /* Content-Type of the original file */
	const char *last_modified; /* the HTTP date */
	struct cond_validators v;
	struct rep_bufs *own;
};

static const struct {
	const char *name;   /* Content-Encoding */
	const char *suffix; /* sidecar file name suffix */
	const char *tag;    /* ETag suffix of the sidecar */
	const char *ztag;   /* ETag suffix when compressed on the fly */
} codings[] = {
	[NEGOTIATE_ZSTD] = { "zstd", ".zst", "zst", "zzst" },
	[NEGOTIATE_BR] = { "br", ".br", "br", "zbr" },
	[NEGOTIATE_GZIP] = { "gzip", ".gz", "gz", "zgz" },
};

_Static_assert(sizeof(codings) / sizeof(codings[0]) <= FCACHE_SIDECARS, "a cache slot per coding");
_Static_assert((int)NEGOTIATE_ZSTD == (int)CODEC_ZSTD && (int)NEGOTIATE_BR == (int)CODEC_BR &&
	       (int)NEGOTIATE_GZIP == (int)CODEC_GZIP, "one numbering of the codings");

/* Whether this file may be compressed on the fly: its type, its size
 * (tiny files gain nothing, huge ones would hold the helper too long),
 * and the path's --compress. */
static bool can_compress(const struct http_exchange *x, const struct fcache_entry *file)
{
	return x->settings->compress && file->compressible && x->ctx->zcache &&
	       file->st.st_size >= ZCACHE_FILE_MIN && file->st.st_size <= ZCACHE_FILE_MAX;
}

static void use_sidecar(struct rep *rep, struct fcache_entry *copy, enum negotiate_coding k)
{
	rep->e = copy;
	rep->st = &copy->st;
	rep->size = (uint64_t)copy->st.st_size;
	rep->coding = codings[k].name;
	rep->tag = codings[k].tag;
}

/* The file's own validators, copied: the fcache entry is let go when the
 * compressed result replaces it as what the response holds. */
static void use_compressed(struct rep *rep, struct zcache_entry *z, enum negotiate_coding k)
{
	memcpy(rep->own->date, rep->e->mtime_date, sizeof(rep->own->date));
	rep->own->zst = rep->e->st;
	rep->st = &rep->own->zst;
	rep->z = z;
	rep->size = z->len;
	rep->coding = codings[k].name;
	rep->tag = codings[k].ztag;
}

/* Picks what the client wants most (negotiate.h), weight first; among
 * codings it values equally, a precompressed copy (already on disk)
 * before compressing on the fly, and on the fly only the first coding of
 * the group. At most one coding is queued for compression per request:
 * the first request for a file is answered with the file itself (never a
 * worker waiting for the compressor), and a later one gets the result.
 * Any answer for a file that has a copy, or that could be compressed,
 * depends on Accept-Encoding and says so (Vary), identity answers
 * included, or a shared cache could hand gzip to a client that cannot
 * read it. The cache remembers missing copies, so a file without any
 * costs no system call here. fly: can_compress (the caller's, asked once). */
static void choose_representation(struct http_exchange *x, struct rep *rep, bool fly)
{
	const struct http_request *req = x->req;
	struct ctx *cx = x->ctx;
	struct fcache_entry *file = rep->e, *copy;
	struct negotiate_choice order[NEGOTIATE_CODINGS];
	bool tried[NEGOTIATE_CODINGS] = { false, false, false };
	bool side = x->settings->precompressed, queued = false;
	unsigned n = negotiate_encodings(req->accept_encoding.p, req->accept_encoding.len, order);

	for (unsigned i = 0; i < n; i++)
		rep->accepted |= 1u << order[i].coding;
	rep->vary = fly;
	for (unsigned i = 0, j; i < n; i = j) {
		for (j = i; j < n && order[j].q == order[i].q; j++) {
			enum negotiate_coding k = order[j].coding;

			if (!side)
				continue;
			tried[k] = true;
			copy = fcache_sidecar(x->fcache, file, k, codings[k].suffix, cx->now);
			if (copy) {
				use_sidecar(rep, copy, k);
				rep->vary = true;
				return;
			}
		}
		if (fly && !queued) {
			enum negotiate_coding k = order[i].coding;
			struct zcache_entry *z = zcache_get(cx->zcache, &file->st, (enum codec_kind)k,
							    file->fd);
			if (z) {
				use_compressed(rep, z, k);
				return;
			}
			queued = true;
		}
	}
	if (rep->vary || !side)
		return;
	for (int k = 0; k < NEGOTIATE_CODINGS; k++) {
		if (tried[k])
			continue;
		copy = fcache_sidecar(x->fcache, file, (unsigned)k, codings[k].suffix, cx->now);
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
		rep->v.etag_len = cond_etag_make(rep->own->etag, rep->st, rep->tag);
		rep->v.etag = rep->own->etag;
	} else {
		rep->v.etag_len = rep->e->etag_len;
		rep->v.etag = rep->e->etag;
	}
	/* Never later than Date (RFC 9110 §8.8.2.1): a file stamped in the
	 * future would otherwise never look modified to a client. */
	rep->v.last_modified = mtime < now ? mtime : now;
	rep->v.last_modified_strong = mtime < now;
	if (mtime < now) {
		if (!rep->z)
			rep->last_modified = rep->e->mtime_date;
		else
			rep->last_modified = rep->own->date; /* copied by use_compressed */
	} else {
		httpdate_format(now, rep->own->date);
		rep->last_modified = rep->own->date;
	}
}

/* If-None-Match names the ETag of another representation of this file
 * that this client accepts (it cached the file as it is before the
 * compressed result was ready, or a shared cache sends the ETags of all
 * the variants it stored, RFC 9111 §4.3.1): that copy is still current,
 * so 304 with its ETag, which tells the cache which one to use. Only when
 * If-None-Match did not match the chosen one; a representation the
 * client does not accept (gzip for a client that sent no gzip) never
 * validates, or a cache would hand it bytes it cannot read. */
static bool other_matches(struct http_exchange *x, struct rep *rep, bool fly)
{
	struct fcache_entry *file = rep->file;
	const struct http_request *req = x->req;
	struct ctx *cx = x->ctx;
	char tag[COND_ETAG_MAX];
	size_t len;

	if (req->if_none_match.p == NULL)
		return false;
	if (rep->v.etag != file->etag &&
	    negotiate_identity_ok(req->accept_encoding.p, req->accept_encoding.len) &&
	    cond_etag_match(req->if_none_match.p, req->if_none_match.len, file->etag,
			    file->etag_len, false)) {
		memcpy(rep->own->etag, file->etag, file->etag_len + 1);
		rep->v.etag = rep->own->etag;
		rep->v.etag_len = file->etag_len;
		return true;
	}
	for (int k = 0; k < NEGOTIATE_CODINGS; k++) {
		struct fcache_entry *copy;

		if (!(rep->accepted & (1u << k)))
			continue;
		if (fly) {
			len = cond_etag_make(tag, &file->st, codings[k].ztag);
			if (cond_etag_match(req->if_none_match.p, req->if_none_match.len, tag, len,
					    false))
				goto found;
		}
		if (!x->settings->precompressed)
			continue;
		copy = fcache_sidecar(x->fcache, file, (unsigned)k, codings[k].suffix, cx->now);
		if (!copy)
			continue;
		len = cond_etag_make(tag, &copy->st, codings[k].tag);
		fcache_release(copy);
		if (cond_etag_match(req->if_none_match.p, req->if_none_match.len, tag, len, false))
			goto found;
	}
	return false;
found:
	memcpy(rep->own->etag, tag, len + 1);
	rep->v.etag = rep->own->etag;
	rep->v.etag_len = len;
	return true;
}

/* The fields every answer about this representation carries, 304
 * included: validators, Vary, Cache-Control; with entity (200 and 206)
 * also Accept-Ranges and Content-Encoding. What points into the entry is
 * valid while the response holds it; the rest is copied. */
static void put_validators(struct http_exchange *x, const struct rep *rep, bool entity)
{
	struct http_response *r = &x->resp;
	/* A Cache-Control of the path's own --header lines wins. */
	long max_age = x->settings->header_cache_control ? -1 : x->settings->cache_max_age;

	if (rep->e && rep->last_modified == rep->e->mtime_date)
		http_response_field_ref(r, HTTP_F_LAST_MODIFIED, rep->last_modified, HTTPDATE_LEN);
	else
		http_response_field(r, HTTP_F_LAST_MODIFIED, rep->last_modified, HTTPDATE_LEN);
	if (rep->e && rep->v.etag == rep->e->etag)
		http_response_field_ref(r, HTTP_F_ETAG, rep->v.etag, rep->v.etag_len);
	else
		http_response_field(r, HTTP_F_ETAG, rep->v.etag, rep->v.etag_len);
	if (rep->vary)
		HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_VARY, "Accept-Encoding");
	if (max_age >= 0)
		http_response_field_u64(r, HTTP_F_CACHE_CONTROL, "public, max-age=",
					(uint64_t)max_age);
	if (entity) {
		HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_ACCEPT_RANGES, "bytes");
		if (rep->coding != NULL)
			http_response_field_ref(r, HTTP_F_CONTENT_ENCODING, rep->coding,
						strlen(rep->coding));
	}
}

/* len bytes of the representation from off: the cached copy in memory,
 * else a range of the cached descriptor (the response holds the entry). */
static void add_range(struct http_exchange *x, const struct rep *rep, uint64_t off,
		      uint64_t len)
{
	const struct fcache_entry *e = rep->e;

	if (rep->z)
		http_response_body_ref(&x->resp, rep->z->data + off, (size_t)len);
	else if (e->data)
		http_response_body_ref(&x->resp, e->data + off, (size_t)len);
	else
		http_response_body_file(&x->resp, e->fd, (off_t)off, len);
}

static void send_not_modified(struct http_exchange *x, const struct rep *rep)
{
	x->resp.status = HTTP_NOT_MODIFIED;
	put_validators(x, rep, false);
}

static void send_whole(struct http_exchange *x, const struct rep *rep)
{
	put_validators(x, rep, true);
	x->resp.content_type = rep->type;
	add_range(x, rep, 0, rep->size);
}

static void send_unsatisfiable(struct http_exchange *x, const struct rep *rep)
{
	struct http_response *r = &x->resp;

	http_response_field_u64(r, HTTP_F_CONTENT_RANGE, "bytes */", rep->size);
	HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_ACCEPT_RANGES, "bytes");
	if (rep->vary)
		HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_VARY, "Accept-Encoding");
	http_response_error(r, HTTP_RANGE_NOT_SATISFIABLE);
}

/* "bytes FIRST-LAST/SIZE", the Content-Range of one range. */
static void content_range(struct bytes *b, const struct range *rg, uint64_t size)
{
	BYTES_LIT(b, "bytes ");
	bytes_u64(b, rg->first);
	bytes_char(b, '-');
	bytes_u64(b, rg->last);
	bytes_char(b, '/');
	bytes_u64(b, size);
}

static void send_one_range(struct http_exchange *x, const struct rep *rep, const struct range *rg)
{
	struct http_response *r = &x->resp;
	char buf[80];
	struct bytes b;

	r->status = HTTP_PARTIAL_CONTENT;
	put_validators(x, rep, true);
	bytes_init_fixed(&b, buf, sizeof(buf));
	content_range(&b, rg, rep->size);
	http_response_field(r, HTTP_F_CONTENT_RANGE, b.p, b.len);
	r->content_type = rep->type;
	add_range(x, rep, rg->first, rg->last - rg->first + 1);
}

#define BOUNDARY_LEN 20

/* A fresh boundary per response, so file contents cannot be crafted to
 * contain it. Unpredictability is a nicety, not a need: the parts are
 * delimited by their Content-Range lengths too. */
static void make_boundary(char out[BOUNDARY_LEN + 1], const struct rep *rep)
{
	unsigned char rnd[8];

	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		struct timespec ts;
		uint64_t h = (uint64_t)rep->st->st_ino * 0x9e3779b97f4a7c15u ^ rep->size;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		h ^= (uint64_t)ts.tv_nsec * 0xbf58476d1ce4e5b9u ^ (uint64_t)ts.tv_sec;
		memcpy(rnd, &h, sizeof(rnd));
	}
	memcpy(out, "eisd", 4);
	for (size_t i = 0; i < sizeof(rnd); i++) {
		out[4 + 2 * i] = chars_hex_lower[rnd[i] >> 4];
		out[5 + 2 * i] = chars_hex_lower[rnd[i] & 15];
	}
	out[BOUNDARY_LEN] = '\0';
}

/* The head of part i: a delimiter (RFC 2046 §5.1.1: CRLF "--" boundary,
 * the first without the CRLF) and the part's header fields. */
static void part_head(struct bytes *b, unsigned i, const char *boundary,
		      const struct rep *rep, const struct range *rg)
{
	if (i)
		BYTES_LIT(b, "\r\n");
	BYTES_LIT(b, "--");
	bytes_put(b, boundary, BOUNDARY_LEN);
	BYTES_LIT(b, "\r\nContent-Type: ");
	bytes_str(b, rep->type);
	BYTES_LIT(b, "\r\nContent-Range: ");
	content_range(b, rg, rep->size);
	BYTES_LIT(b, "\r\n\r\n");
}

/* RFC 9110 §14.6. Ranges are sorted and disjoint (range.c), and there are
 * at most RANGE_MAX of them. The part heads are built in one buffer the
 * response owns; the parts themselves are ranges of the entry. */
static void send_multipart(struct http_exchange *x, const struct rep *rep,
			   const struct range_set *set)
{
	struct http_response *r = &x->resp;
	char boundary[BOUNDARY_LEN + 1], ctype[64];
	size_t ends[RANGE_MAX + 1], len;
	struct bytes b;
	char *heads;

	make_boundary(boundary, rep);
	bytes_init_heap(&b);
	for (unsigned i = 0; i < set->count; i++) {
		part_head(&b, i, boundary, rep, &set->r[i]);
		ends[i] = b.len;
	}
	BYTES_LIT(&b, "\r\n--");
	bytes_put(&b, boundary, BOUNDARY_LEN);
	BYTES_LIT(&b, "--\r\n");
	ends[set->count] = b.len;
	heads = bytes_steal(&b, &len);
	if (!heads || http_response_adopt(r, heads) < 0) {
		r->failed = true;
		return;
	}
	snprintf(ctype, sizeof(ctype), "multipart/byteranges; boundary=%s", boundary);
	r->status = HTTP_PARTIAL_CONTENT;
	put_validators(x, rep, true);
	r->content_type = http_response_copy(r, ctype, strlen(ctype) + 1);
	for (unsigned i = 0; i < set->count; i++) {
		size_t start = i ? ends[i - 1] : 0;

		http_response_body_owned(r, heads + start, ends[i] - start);
		add_range(x, rep, set->r[i].first, set->r[i].last - set->r[i].first + 1);
	}
	http_response_body_owned(r, heads + ends[set->count - 1],
				 ends[set->count] - ends[set->count - 1]);
}

/* After the preconditions passed: the Range, if it applies, else all. */
static void send_body(struct http_exchange *x, const struct rep *rep)
{
	const struct http_request *req = x->req;
	struct range_set set;

	if (req->range.p == NULL) {
		send_whole(x, rep);
		return;
	}
	if (req->if_range.p != NULL && !cond_if_range(req->if_range.p, req->if_range.len, &rep->v)) {
		send_whole(x, rep);
		return;
	}
	switch (range_parse(req->range.p, req->range.len, rep->size, &set)) {
	case RANGE_OK:
		if (set.count == 1)
			send_one_range(x, rep, &set.r[0]);
		else
			send_multipart(x, rep, &set);
		return;
	case RANGE_UNSATISFIABLE:
		send_unsatisfiable(x, rep);
		return;
	case RANGE_IGNORE:
	default:
		send_whole(x, rep);
		return;
	}
}

int static_file_serve(struct http_exchange *x, struct fcache_entry *fe)
{
	struct rep_bufs own;
	struct rep rep = { .file = fe, .e = fe, .st = &fe->st, .size = (uint64_t)fe->st.st_size,
			   .type = fe->type, .own = &own };
	struct http_response *r = &x->resp;
	bool fly = can_compress(x, fe);
	enum cond_result c;

	choose_representation(x, &rep, fly);
	make_validators(&rep, x->ctx->now);
	c = cond_evaluate(x->req, &rep.v);
	if (c == COND_PROCEED && other_matches(x, &rep, fly))
		c = COND_NOT_MODIFIED;
	/* Fields and body point into what the response holds: the result on
	 * the fly, the copy, or the file. */
	if (rep.z) {
		http_response_hold(r, zcache_release, rep.z);
		rep.e = NULL;
	} else {
		http_response_hold(r, fcache_release, rep.e);
	}
	if (rep.e != fe)
		fcache_release(fe);

	switch (c) {
	case COND_NOT_MODIFIED:
		send_not_modified(x, &rep);
		break;
	case COND_FAILED:
		if (rep.vary)
			HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_VARY, "Accept-Encoding");
		http_response_error(r, HTTP_PRECONDITION_FAILED);
		break;
	case COND_PROCEED:
	default:
		send_body(x, &rep);
		break;
	}
	return r->failed ? -1 : 0;
}
