/* Directory listings. See listing.h.
 *
 * Read the entries (bounded), sort them, then write the page (bounded)
 * into one buffer. Both are kept in the worker's listing cache (lcache.h)
 * until the directory changes, and every response sends the cached page
 * in place, under a reference. The page is memory, not a file, and its
 * size is known before the first byte goes out, so no chunked coding is
 * needed. */
#include "files/listing.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/negotiate.h"
#include "http/page_style.h"
#include "files/lcache.h"
#include "files/path.h"
#include "util/bytes.h"
#include "util/chars.h"
#include "util/escape.h"
#include "core/ctx.h"

struct entry {
	const char *name; /* into dir_list.names once reading is done */
	size_t name_off;
	size_t name_len;
	bool dir;
	uint64_t size;
	time_t mtime;
};

struct dir_list {
	struct entry *e;  /* owned */
	size_t n, cap;
	char *names;      /* owned: every name, NUL-terminated, back to back */
	size_t names_len, names_cap;
	bool truncated;   /* a limit cut the list short */
	bool links;       /* some entry is a symlink */
	size_t ndirs;
};

static void dir_list_free(void *arg)
{
	struct dir_list *l = arg;

	if (!l)
		return;
	free(l->e);
	free(l->names);
	free(l);
}

static size_t dir_list_mem(const struct dir_list *l)
{
	return sizeof(*l) + l->cap * sizeof(l->e[0]) + l->names_cap;
}

static int add_entry(struct dir_list *l, const char *name, const struct stat *st)
{
	size_t len = strlen(name);

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct entry *e = realloc(l->e, cap * sizeof(*e));
		if (e == NULL)
			return -1;
		l->e = e;
		l->cap = cap;
	}
	if (l->names_len + len + 1 > l->names_cap) {
		size_t cap = l->names_cap ? l->names_cap : 4096;
		char *p;

		while (cap < l->names_len + len + 1)
			cap *= 2;
		p = realloc(l->names, cap);
		if (p == NULL)
			return -1;
		l->names = p;
		l->names_cap = cap;
	}
	memcpy(l->names + l->names_len, name, len + 1);
	l->e[l->n] = (struct entry){
		.name_off = l->names_len,
		.name_len = len,
		.dir = S_ISDIR(st->st_mode),
		.size = (uint64_t)st->st_size,
		.mtime = st->st_mtim.tv_sec,
	};
	l->names_len += len + 1;
	l->ndirs += S_ISDIR(st->st_mode);
	l->n++;
	return 0;
}

/* What the entry would be served as. A symlink is followed the way a
 * request would follow it (beneath the root), so a link leading outside
 * shows nothing of its target. false: leave it out. */
static bool entry_stat(int rootfd, int dirfd, const char *rel, const char *name,
		       struct stat *st, bool *link)
{
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (S_ISLNK(st->st_mode)) {
		*link = true;
		char path[PATH_MAX];
		int n = snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "", name);
		int fd;

		if (n < 0 || (size_t)n >= sizeof(path))
			return false;
		fd = path_open(rootfd, path, st);
		if (fd < 0)
			return false;
		close(fd);
	}
	return S_ISREG(st->st_mode) || S_ISDIR(st->st_mode);
}

/* 0, -1 out of memory, -500 when the directory cannot be read. */
static int read_dir(int rootfd, int dirfd, const char *rel, struct dir_list *l)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	size_t scanned = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (fd < 0)
		return -500;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -500;
	}
	while ((de = readdir(d)) != NULL) {
		if (++scanned > LISTING_MAX_SCAN) {
			l->truncated = true;
			break;
		}
		if (de->d_name[0] == '.') /* ".", ".." and hidden entries */
			continue;
		if (!entry_stat(rootfd, dirfd, rel, de->d_name, &st, &l->links))
			continue;
		if (l->n == LISTING_MAX_ENTRIES) {
			l->truncated = true;
			break;
		}
		if (add_entry(l, de->d_name, &st) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	for (size_t i = 0; i < l->n; i++)
		l->e[i].name = l->names + l->e[i].name_off;
	return 0;
}

/* The orders a listing is shown in (?sort=name|size|date&order=asc|desc):
 * each is rendered once and kept in the cache (LCACHE_PAGES). */
enum sort_key { SORT_NAME, SORT_SIZE, SORT_DATE, SORT_KEYS };

struct view {
	enum sort_key key;
	bool desc;
	bool json;
};

static const char *const sort_names[SORT_KEYS] = { "name", "size", "date" };

_Static_assert(2 * SORT_KEYS * 2 == LCACHE_PAGES, "a cached page per format and order");

static unsigned view_page(const struct view *v)
{
	return (unsigned)v->json + 2 * ((unsigned)v->key * 2 + (unsigned)v->desc);
}

/* Names the way people read them: ASCII letters without case ("apple",
 * "Banana", "cherry"), then bytes, so the order is total and the same on
 * every machine (no locale). */
static int name_cmp(const struct entry *x, const struct entry *y)
{
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;

	for (size_t i = 0; i < n; i++) {
		int a = chars_lower(x->name[i]), b = chars_lower(y->name[i]);

		if (a != b)
			return (unsigned char)a < (unsigned char)b ? -1 : 1;
	}
	if (x->name_len != y->name_len)
		return x->name_len < y->name_len ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Directories first whatever the order; then the key (reversed when
 * descending); equal keys by name, ascending. */
static int view_cmp(const void *a, const void *b, void *arg)
{
	const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
	const struct view *v = arg;
	int c = 0;

	if (x->dir != y->dir)
		return x->dir ? -1 : 1;
	if (v->key == SORT_SIZE && !x->dir && x->size != y->size)
		c = x->size < y->size ? -1 : 1;
	else if (v->key == SORT_DATE && x->mtime != y->mtime)
		c = x->mtime < y->mtime ? -1 : 1;
	else if (v->key == SORT_NAME)
		c = name_cmp(x, y);
	if (c)
		return v->desc ? -c : c;
	return name_cmp(x, y);
}

/* The order the query asks for: sort=name|size|date (default name),
 * order=asc|desc (default: ascending for names, descending, largest or
 * newest first, for sizes and dates). Anything else is ignored. */
static struct view parse_view(const struct http_request *req, bool json)
{
	struct view v = { .key = SORT_NAME, .json = json };
	const char *q = req->query.p, *end = q ? q + req->query.len : NULL;
	int order = -1;

	while (q && q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q)), *stop = amp ? amp : end;
		size_t n = (size_t)(stop - q);

		if (n > 5 && memcmp(q, "sort=", 5) == 0) {
			for (int k = 0; k < SORT_KEYS; k++)
				if (n - 5 == strlen(sort_names[k]) && memcmp(q + 5, sort_names[k], n - 5) == 0)
					v.key = (enum sort_key)k;
		} else if (n == 9 && memcmp(q, "order=asc", 9) == 0) {
			order = 0;
		} else if (n == 10 && memcmp(q, "order=desc", 10) == 0) {
			order = 1;
		}
		q = stop + 1;
	}
	v.desc = order >= 0 ? order == 1 : v.key != SORT_NAME;
	return v;
}

/* ---- the page ---- */

/* "1023 B", "1.5 KiB", "20.0 MiB": one decimal, the largest unit that
 * keeps the number below 1024. */
static void human_size(char *out, size_t outsz, uint64_t size)
{
	static const char units[] = "KMGTPE";
	double v = (double)size;
	int u = -1;

	if (size < 1024) {
		snprintf(out, outsz, "%llu B", (unsigned long long)size);
		return;
	}
	do {
		v /= 1024;
		u++;
	} while (v >= 1023.95 && u < 5);
	snprintf(out, outsz, "%.1f %ciB", v, units[u]);
}

static struct tm utc(time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	return tm;
}

/* "/" + rel + "/" (just "/" for the root), as text. */
static void out_dir_path(struct bytes *o, const char *rel, void (*esc)(struct bytes *, const char *, size_t))
{
	size_t n = strlen(rel);

	bytes_str(o, "/");
	if (n > 0) {
		esc(o, rel, n);
		bytes_str(o, "/");
	}
}

/* The look all eisd pages share (http/page_style.h), and the table's. */
static const char page_style[] =
	HTTP_PAGE_STYLE
	"table{width:100%;border-collapse:collapse}"
	"th,td{padding:.45rem .6rem;border-bottom:1px solid var(--line);text-align:left;"
	"vertical-align:top}"
	"th{font-size:.75rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);"
	"font-weight:600}"
	"th a{color:inherit}"
	"td.n{overflow-wrap:anywhere}"
	".s{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
	".t{white-space:nowrap;color:var(--muted);font-variant-numeric:tabular-nums}"
	"tbody tr:hover{background:var(--hover)}"
	"tr.d a{font-weight:600}"
	"@media (max-width:40rem){th,td{padding:.4rem .35rem}"
	".t{white-space:normal;font-size:.8rem}}";

/* The most one entry adds to a page: its name escaped twice (as a link,
 * at most 3 bytes a byte, and as text or JSON, at most 6), and the rest
 * of its row. A page stops taking entries once the next might not fit. */
#define ENTRY_MAX (NAME_MAX * 9 + 256)
#define PAGE_TAIL 1024 /* the end of the page after the entries */

static bool page_full(const struct bytes *o)
{
	return o->len + ENTRY_MAX + PAGE_TAIL > LISTING_PAGE_MAX;
}

/* "Index of /a/b/": every parent a link ("/", "/a/"), the directory
 * itself plain text. Links are absolute, built from the normalised path,
 * each segment percent-encoded. */
static void breadcrumbs(struct bytes *o, const char *rel)
{
	size_t n = strlen(rel), start = 0;
	bool last = n == 0;

	bytes_str(o, last ? "<span>/</span>" : "<a href=\"/\">/</a>");
	while (start < n) {
		const char *slash = memchr(rel + start, '/', n - start);
		size_t end = slash ? (size_t)(slash - rel) : n;

		if (end == n) {
			bytes_str(o, "<span>");
			escape_html(o, rel + start, end - start);
			bytes_str(o, "/</span>");
			break;
		}
		bytes_str(o, "<a href=\"/");
		for (size_t i = 0; i < end;) {
			const char *sl = memchr(rel + i, '/', end - i);
			size_t seg_end = sl ? (size_t)(sl - rel) : end;

			escape_url_segment(o, rel + i, seg_end - i);
			bytes_str(o, "/");
			i = seg_end + 1;
		}
		bytes_str(o, "\">");
		escape_html(o, rel + start, end - start);
		bytes_str(o, "/</a>");
		start = end + 1;
	}
}

/* A column head: a link to this column's order (the other direction when
 * it is the current one), with an arrow and aria-sort on the current. */
static void column_head(struct bytes *o, const struct view *v, enum sort_key k,
			const char *cls, const char *label)
{
	bool cur = v->key == k;
	bool desc = cur ? !v->desc : k != SORT_NAME;

	bytes_printf(o, "<th%s%s%s><a href=\"?sort=%s&amp;order=%s\">%s%s</a></th>", cls,
		     cur ? " aria-sort=\"" : "", cur ? (v->desc ? "descending\"" : "ascending\"") : "",
		     sort_names[k], desc ? "desc" : "asc", label,
		     cur ? (v->desc ? " \xe2\x86\x93" : " \xe2\x86\x91") : "");
}

static void write_html(struct bytes *o, const struct dir_list *l, const struct entry *const *ord,
		       const struct view *v, const char *rel)
{
	size_t nfiles = l->n - l->ndirs, shown;

	bytes_str(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<title>Index of ");
	out_dir_path(o, rel, escape_html);
	bytes_str(o, "</title>\n<style>");
	bytes_str(o, page_style);
	bytes_str(o, "</style>\n</head>\n<body>\n<main>\n<h1>Index of ");
	breadcrumbs(o, rel);
	bytes_str(o, "</h1>\n<table>\n<thead><tr>");
	column_head(o, v, SORT_NAME, "", "Name");
	column_head(o, v, SORT_SIZE, " class=\"s\"", "Size");
	column_head(o, v, SORT_DATE, " class=\"t\"", "Modified (UTC)");
	bytes_str(o, "</tr></thead>\n<tbody>\n");
	if (*rel)
		bytes_str(o, "<tr class=\"d\"><td class=\"n\"><a href=\"../\">../</a></td>"
			   "<td class=\"s\">-</td><td class=\"t\"></td></tr>\n");
	for (shown = 0; shown < l->n && !page_full(o); shown++) {
		const struct entry *e = ord[shown];
		struct tm tm = utc(e->mtime);
		char size[32];

		bytes_str(o, e->dir ? "<tr class=\"d\"><td class=\"n\"><a href=\""
				  : "<tr><td class=\"n\"><a href=\"");
		escape_url_segment(o, e->name, e->name_len);
		bytes_str(o, e->dir ? "/\">" : "\">");
		escape_html(o, e->name, e->name_len);
		bytes_str(o, e->dir ? "/</a></td>" : "</a></td>");
		if (e->dir) {
			bytes_str(o, "<td class=\"s\">-</td>");
		} else {
			human_size(size, sizeof(size), e->size);
			bytes_printf(o, "<td class=\"s\" title=\"%llu bytes\">%s</td>",
				(unsigned long long)e->size, size);
		}
		bytes_printf(o, "<td class=\"t\">%04d-%02d-%02d %02d:%02d</td></tr>\n", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	}
	if (shown < l->n)
		bytes_printf(o, "<tr class=\"more\"><td class=\"n\" colspan=\"3\">%zu more entr%s"
			     " not shown</td></tr>\n", l->n - shown, l->n - shown == 1 ? "y" : "ies");
	bytes_str(o, "</tbody>\n</table>\n<footer>");
	bytes_printf(o, "%zu director%s, %zu file%s", l->ndirs, l->ndirs == 1 ? "y" : "ies", nfiles,
		nfiles == 1 ? "" : "s");
	if (l->truncated)
		bytes_printf(o, " &middot; listing cut short: at most %d entries are shown",
			LISTING_MAX_ENTRIES);
	bytes_str(o, " &middot; eisd</footer>\n</main>\n</body>\n</html>\n");
}

static void write_json(struct bytes *o, const struct dir_list *l, const struct entry *const *ord,
		       const char *rel)
{
	size_t i;

	bytes_str(o, "{\"path\":\"");
	out_dir_path(o, rel, escape_json);
	bytes_str(o, "\",\"entries\":[");
	for (i = 0; i < l->n && !page_full(o); i++) {
		const struct entry *e = ord[i];
		struct tm tm = utc(e->mtime);

		bytes_str(o, i ? ",\n{\"name\":\"" : "\n{\"name\":\"");
		escape_json(o, e->name, e->name_len);
		bytes_str(o, e->dir ? "\",\"type\":\"directory\",\"size\":null"
				  : "\",\"type\":\"file\",\"size\":");
		if (!e->dir)
			bytes_printf(o, "%llu", (unsigned long long)e->size);
		bytes_printf(o, ",\"mtime\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\",\"href\":\"",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			tm.tm_sec);
		escape_url_segment(o, e->name, e->name_len);
		bytes_str(o, e->dir ? "/\"}" : "\"}");
	}
	bytes_printf(o, "\n],\"not_shown\":%zu", l->n - i);
	bytes_str(o, l->truncated || i < l->n ? ",\"truncated\":true}\n" : ",\"truncated\":false}\n");
}

/* The page of one view: the entries ordered for it (a copy of the
 * pointers; the list itself stays as read). 0, or -1 out of memory. */
static int write_page(struct bytes *o, const struct dir_list *l, const char *rel,
		      const struct view *v)
{
	const struct entry **ord = malloc((l->n ? l->n : 1) * sizeof(*ord));

	if (!ord)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		ord[i] = &l->e[i];
	if (l->n > 1)
		qsort_r(ord, l->n, sizeof(*ord), view_cmp, (void *)v);
	if (v->json)
		write_json(o, l, ord, rel);
	else
		write_html(o, l, ord, v, rel);
	free(ord);
	return 0;
}

/* Reads and sorts the directory into e (a fresh cache entry). 0, -1 out
 * of memory, or a negative HTTP status. */
static int fill_list(struct lcache_entry *e, int rootfd, int dirfd, const char *rel)
{
	struct dir_list *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return -1;
	rc = read_dir(rootfd, dirfd, rel, l);
	if (rc < 0) {
		dir_list_free(l);
		return rc;
	}
	e->list = l;
	e->list_free = dir_list_free;
	e->links = l->links;
	lcache_filled(e, dir_list_mem(l));
	return 0;
}

static int fill_page(struct lcache_entry *e, const char *rel, const struct view *v)
{
	unsigned p = view_page(v);
	struct bytes page;
	size_t len;
	char *body;

	bytes_init_heap(&page);
	if (write_page(&page, e->list, rel, v) < 0) {
		free(bytes_steal(&page, &len));
		return -1;
	}
	body = bytes_steal(&page, &len);
	if (!body)
		return -1;
	e->page[p] = body;
	e->page_len[p] = len;
	lcache_filled(e, len);
	return 0;
}

int listing_serve(struct http_exchange *x, int dirfd, const struct stat *st, const char *rel)
{
	const struct http_request *req = x->req;
	struct http_response *r = &x->resp;
	bool json = negotiate_prefers_json(req->accept.p, req->accept.len);
	struct view v = parse_view(req, json);
	unsigned p = view_page(&v);
	struct lcache_entry *e;
	int rc = 0;

	if (!x->ctx->lcache) /* never made: no setting asked for listings */
		return http_response_error(r, HTTP_FORBIDDEN);
	e = lcache_lookup(x->ctx->lcache, dirfd, st, rel, x->ctx->now);
	if (!e)
		return -1;
	if (!e->list) {
		rc = fill_list(e, x->root_fd, dirfd, rel);
		if (rc < 0)
			lcache_drop(e);
	}
	if (rc == 0 && !e->page[p])
		rc = fill_page(e, rel, &v);
	if (rc < 0) {
		lcache_release(e);
		return rc == -1 ? -1 : http_response_error(r, -rc);
	}
	/* The page depends on Accept; say so to caches. It has no
	 * validators: a directory changes without its own mtime telling
	 * about renamed or resized entries. */
	HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_VARY, "Accept");
	r->content_type = json ? "application/json" : "text/html; charset=utf-8";
	/* Sent in place from the cache, which the hold keeps alive. */
	http_response_body_ref(r, e->page[p], e->page_len[p]);
	http_response_hold(r, lcache_release, e);
	return r->failed ? -1 : 0;
}
