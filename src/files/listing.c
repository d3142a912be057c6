/* Directory listings. See listing.h.
 *
 * Read the entries (bounded), sort them, then write the page into one
 * buffer the response takes over. The page is memory, not a file, and
 * its size is known before the first byte goes out, so no chunked coding
 * is needed. */
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
#include "files/path.h"
#include "util/bytes.h"
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
	size_t ndirs;
};

static void dir_list_free(struct dir_list *l)
{
	free(l->e);
	free(l->names);
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
		       struct stat *st)
{
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (S_ISLNK(st->st_mode)) {
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
		if (!entry_stat(rootfd, dirfd, rel, de->d_name, &st))
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

/* Directories first, then by name, byte order (no locale). */
static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->dir != y->dir)
		return x->dir ? -1 : 1;
	return strcmp(x->name, y->name);
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

static const char page_style[] =
	":root{color-scheme:light dark;--fg:#1d2025;--muted:#69707a;--bg:#fff;--line:#e3e6ea;"
	"--link:#0b57d0;--hover:#f2f5fa}"
	"@media (prefers-color-scheme:dark){:root{--fg:#e5e7ea;--muted:#9aa1aa;--bg:#15171b;"
	"--line:#2b2f36;--link:#8ab4f8;--hover:#1d2128}}"
	"*{box-sizing:border-box}"
	"body{margin:0;background:var(--bg);color:var(--fg);"
	"font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif}"
	"main{max-width:60rem;margin:0 auto;padding:1.5rem 1rem 3rem}"
	"h1{font-size:1.35rem;font-weight:600;margin:0 0 1rem;overflow-wrap:anywhere}"
	"table{width:100%;border-collapse:collapse}"
	"th,td{padding:.45rem .6rem;border-bottom:1px solid var(--line);text-align:left;"
	"vertical-align:top}"
	"th{font-size:.75rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);"
	"font-weight:600}"
	"td.n{overflow-wrap:anywhere}"
	".s{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}"
	".t{white-space:nowrap;color:var(--muted);font-variant-numeric:tabular-nums}"
	"tbody tr:hover{background:var(--hover)}"
	"a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}"
	"tr.d a{font-weight:600}"
	"footer{margin-top:1rem;color:var(--muted);font-size:.85rem}"
	"@media (max-width:40rem){main{padding:1rem .5rem 2rem}th,td{padding:.4rem .35rem}"
	".t{white-space:normal;font-size:.8rem}}";

static void write_html(struct bytes *o, const struct dir_list *l, const char *rel)
{
	size_t nfiles = l->n - l->ndirs;

	bytes_str(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<title>Index of ");
	out_dir_path(o, rel, escape_html);
	bytes_str(o, "</title>\n<style>");
	bytes_str(o, page_style);
	bytes_str(o, "</style>\n</head>\n<body>\n<main>\n<h1>Index of ");
	out_dir_path(o, rel, escape_html);
	bytes_str(o, "</h1>\n<table>\n<thead><tr><th>Name</th><th class=\"s\">Size</th>"
		   "<th class=\"t\">Modified (UTC)</th></tr></thead>\n<tbody>\n");
	if (*rel)
		bytes_str(o, "<tr class=\"d\"><td class=\"n\"><a href=\"../\">../</a></td>"
			   "<td class=\"s\">-</td><td class=\"t\"></td></tr>\n");
	for (size_t i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];
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
	bytes_str(o, "</tbody>\n</table>\n<footer>");
	bytes_printf(o, "%zu director%s, %zu file%s", l->ndirs, l->ndirs == 1 ? "y" : "ies", nfiles,
		nfiles == 1 ? "" : "s");
	if (l->truncated)
		bytes_printf(o, " &middot; listing cut short: at most %d entries are shown",
			LISTING_MAX_ENTRIES);
	bytes_str(o, " &middot; eisd</footer>\n</main>\n</body>\n</html>\n");
}

static void write_json(struct bytes *o, const struct dir_list *l, const char *rel)
{
	bytes_str(o, "{\"path\":\"");
	out_dir_path(o, rel, escape_json);
	bytes_str(o, "\",\"entries\":[");
	for (size_t i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];
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
	bytes_str(o, l->truncated ? "\n],\"truncated\":true}\n" : "\n],\"truncated\":false}\n");
}

static void write_page(struct bytes *o, const struct dir_list *l, const char *rel, bool json)
{
	if (json)
		write_json(o, l, rel);
	else
		write_html(o, l, rel);
}

int listing_serve(struct http_exchange *x, int dirfd, const char *rel)
{
	const struct http_request *req = x->req;
	struct http_response *r = &x->resp;
	bool json = negotiate_prefers_json(req->accept.p, req->accept.len);
	struct dir_list l = { 0 };
	struct bytes page;
	size_t len;
	char *body;
	int rc;

	rc = read_dir(x->ctx->root_fd, dirfd, rel, &l);
	if (rc < 0) {
		dir_list_free(&l);
		return rc == -1 ? -1 : http_response_error(r, -rc);
	}
	if (l.n > 1)
		qsort(l.e, l.n, sizeof(l.e[0]), entry_cmp);
	bytes_init_heap(&page);
	write_page(&page, &l, rel, json);
	dir_list_free(&l);
	body = bytes_steal(&page, &len);
	if (!body || http_response_adopt(r, body) < 0)
		return -1;
	/* The page depends on Accept; say so to caches. It has no
	 * validators: a directory changes without its own mtime telling
	 * about renamed or resized entries. */
	HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_VARY, "Accept");
	r->content_type = json ? "application/json" : "text/html; charset=utf-8";
	http_response_body_owned(r, body, len);
	return r->failed ? -1 : 0;
}
