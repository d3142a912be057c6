/* Directory listings. See listing.h.
 *
 * Read the entries (bounded), sort them, then write the page twice: once
 * only counting bytes for Content-Length, once into the connection's
 * output buffer. The page is memory, not a file, and its size is known
 * before the first byte goes out, so no chunked coding is needed. */
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

#include "core/conn.h"
#include "http/negotiate.h"
#include "files/path.h"
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

/* ---- output: counted, then written ---- */

struct out {
	struct conn *c; /* NULL: only count */
	uint64_t len;
	int err;
	size_t used;
	char buf[4096];
};

static void out_flush(struct out *o)
{
	if (o->c != NULL && o->used > 0 && conn_out_bytes(o->c, o->buf, o->used) < 0)
		o->err = -1;
	o->used = 0;
}

static void out_put(struct out *o, const char *p, size_t n)
{
	o->len += n;
	if (o->c == NULL)
		return;
	while (n > 0) {
		size_t k = sizeof(o->buf) - o->used;

		if (k > n)
			k = n;
		memcpy(o->buf + o->used, p, k);
		o->used += k;
		p += k;
		n -= k;
		if (o->used == sizeof(o->buf))
			out_flush(o);
	}
}

static void out_str(struct out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static void out_fmt(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Only numbers and fixed words go through here, never names. */
static void out_fmt(struct out *o, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->err = -1;
		return;
	}
	out_put(o, tmp, (size_t)n);
}

/* Text and attribute values: the five characters HTML gives meaning. */
static void out_html(struct out *o, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *esc;

		switch (s[i]) {
		case '&': esc = "&amp;"; break;
		case '<': esc = "&lt;"; break;
		case '>': esc = "&gt;"; break;
		case '"': esc = "&quot;"; break;
		case '\'': esc = "&#39;"; break;
		default: continue;
		}
		out_put(o, s + start, i - start);
		out_str(o, esc);
		start = i + 1;
	}
	out_put(o, s + start, n - start);
}

/* A path segment for a relative link: everything but the unreserved
 * characters (RFC 3986 §2.3) is escaped, so a name can be neither markup,
 * nor a scheme ("javascript:x"), nor a query or fragment. */
static void out_url(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			continue;
		out_put(o, s + start, i - start);
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		out_put(o, esc, 3);
		start = i + 1;
	}
	out_put(o, s + start, n - start);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* A JSON string body (RFC 8259 §7). JSON text must be Unicode, and file
 * names are bytes: a byte that is not part of valid UTF-8 becomes U+FFFD
 * (the entry's "href" keeps the exact bytes). */
static void out_json(struct out *o, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = 0, i = 0;

	while (i < n) {
		unsigned char c = u[i];
		size_t k = utf8_len(u + i, n - i);
		char esc[8];
		const char *e = NULL;

		if (k > 1 || (k == 1 && c >= 0x20 && c != '"' && c != '\\')) {
			i += k;
			continue;
		}
		if (k == 0)
			e = "\\ufffd";
		else if (c == '"')
			e = "\\\"";
		else if (c == '\\')
			e = "\\\\";
		else if (c == '\n')
			e = "\\n";
		else if (c == '\r')
			e = "\\r";
		else if (c == '\t')
			e = "\\t";
		else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			e = esc;
		}
		out_put(o, s + start, i - start);
		out_str(o, e);
		i++;
		start = i;
	}
	out_put(o, s + start, n - start);
}

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
static void out_dir_path(struct out *o, const char *rel, void (*esc)(struct out *, const char *, size_t))
{
	size_t n = strlen(rel);

	out_str(o, "/");
	if (n > 0) {
		esc(o, rel, n);
		out_str(o, "/");
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

static void write_html(struct out *o, const struct dir_list *l, const char *rel)
{
	size_t nfiles = l->n - l->ndirs;

	out_str(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<title>Index of ");
	out_dir_path(o, rel, out_html);
	out_str(o, "</title>\n<style>");
	out_str(o, page_style);
	out_str(o, "</style>\n</head>\n<body>\n<main>\n<h1>Index of ");
	out_dir_path(o, rel, out_html);
	out_str(o, "</h1>\n<table>\n<thead><tr><th>Name</th><th class=\"s\">Size</th>"
		   "<th class=\"t\">Modified (UTC)</th></tr></thead>\n<tbody>\n");
	if (*rel)
		out_str(o, "<tr class=\"d\"><td class=\"n\"><a href=\"../\">../</a></td>"
			   "<td class=\"s\">-</td><td class=\"t\"></td></tr>\n");
	for (size_t i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];
		struct tm tm = utc(e->mtime);
		char size[32];

		out_str(o, e->dir ? "<tr class=\"d\"><td class=\"n\"><a href=\""
				  : "<tr><td class=\"n\"><a href=\"");
		out_url(o, e->name, e->name_len);
		out_str(o, e->dir ? "/\">" : "\">");
		out_html(o, e->name, e->name_len);
		out_str(o, e->dir ? "/</a></td>" : "</a></td>");
		if (e->dir) {
			out_str(o, "<td class=\"s\">-</td>");
		} else {
			human_size(size, sizeof(size), e->size);
			out_fmt(o, "<td class=\"s\" title=\"%llu bytes\">%s</td>",
				(unsigned long long)e->size, size);
		}
		out_fmt(o, "<td class=\"t\">%04d-%02d-%02d %02d:%02d</td></tr>\n", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	}
	out_str(o, "</tbody>\n</table>\n<footer>");
	out_fmt(o, "%zu director%s, %zu file%s", l->ndirs, l->ndirs == 1 ? "y" : "ies", nfiles,
		nfiles == 1 ? "" : "s");
	if (l->truncated)
		out_fmt(o, " &middot; listing cut short: at most %d entries are shown",
			LISTING_MAX_ENTRIES);
	out_str(o, " &middot; eisd</footer>\n</main>\n</body>\n</html>\n");
}

static void write_json(struct out *o, const struct dir_list *l, const char *rel)
{
	out_str(o, "{\"path\":\"");
	out_dir_path(o, rel, out_json);
	out_str(o, "\",\"entries\":[");
	for (size_t i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];
		struct tm tm = utc(e->mtime);

		out_str(o, i ? ",\n{\"name\":\"" : "\n{\"name\":\"");
		out_json(o, e->name, e->name_len);
		out_str(o, e->dir ? "\",\"type\":\"directory\",\"size\":null"
				  : "\",\"type\":\"file\",\"size\":");
		if (!e->dir)
			out_fmt(o, "%llu", (unsigned long long)e->size);
		out_fmt(o, ",\"mtime\":\"%04d-%02d-%02dT%02d:%02d:%02dZ\",\"href\":\"",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			tm.tm_sec);
		out_url(o, e->name, e->name_len);
		out_str(o, e->dir ? "/\"}" : "\"}");
	}
	out_str(o, l->truncated ? "\n],\"truncated\":true}\n" : "\n],\"truncated\":false}\n");
}

static void write_page(struct out *o, const struct dir_list *l, const char *rel, bool json)
{
	if (json)
		write_json(o, l, rel);
	else
		write_html(o, l, rel);
	out_flush(o);
}

int listing_serve(struct http_exchange *x, int dirfd, const char *rel)
{
	const struct http_request *req = x->req;
	bool json = negotiate_prefers_json(req->accept.p, req->accept.len);
	struct dir_list l = { 0 };
	struct out *o;
	uint64_t len;
	int rc;

	rc = read_dir(x->ctx->root_fd, dirfd, rel, &l);
	if (rc < 0) {
		dir_list_free(&l);
		return rc == -1 ? -1 : http_resp_error(x, -rc, NULL);
	}
	if (l.n > 1)
		qsort(l.e, l.n, sizeof(l.e[0]), entry_cmp);

	/* Heap, not stack: the staging buffer is 4 KiB. */
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		dir_list_free(&l);
		return -1;
	}
	write_page(o, &l, rel, json);
	len = o->len;

	/* The page depends on Accept; say so to caches. It has no
	 * validators: a directory changes without its own mtime telling
	 * about renamed or resized entries. */
	rc = o->err | http_resp_start(x, 200);
	rc |= conn_out_printf(x->c, "Vary: Accept\r\n");
	rc |= http_resp_end(x, json ? "application/json" : "text/html; charset=utf-8", len);
	if (rc == 0 && !x->head) {
		memset(o, 0, sizeof(*o));
		o->c = x->c;
		write_page(o, &l, rel, json);
		rc = o->err;
		x->body_bytes = o->len;
		if (o->len != len)
			rc = -1; /* cannot happen: same list, same code */
	}
	free(o);
	dir_list_free(&l);
	return rc;
}
