/* File name extension -> media type. See mime.h.
 *
 * An open-addressing hash table keyed by the lower-cased extension. Lookup
 * hashes the extension in the caller's buffer while lower-casing it, so
 * the per-request path neither copies nor allocates. */
#include "files/mime.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/chars.h"

#define MIME_DEFAULT "application/octet-stream"
#define MIME_EXT_MAX 32   /* longer extensions are never stored or found */
#define MIME_TYPE_MAX 255 /* a Content-Type value, parameters included */
#define MIME_CHARSET "; charset=utf-8"

/* Who set an entry; a later source replaces an earlier one only when
 * allowed (see mime.h for the precedence). */
enum mime_origin {
	MIME_FROM_BUILTIN,
	MIME_FROM_FILE,
	MIME_FROM_USER,
};

struct mime_entry {
	char *ext;  /* lower case, owned; NULL for an empty slot */
	char *type; /* full Content-Type value, owned */
	enum mime_origin origin;
};

struct mime_table {
	struct mime_entry *slots; /* owned; cap of them */
	size_t cap;               /* a power of two */
	size_t count;
};

/* Types with charset already where the text is meant to be UTF-8.
 * json, svg and the XML types carry none: JSON is always UTF-8 (RFC 8259
 * §8.1 defines no charset), and XML declares its own encoding, which a
 * charset parameter would override (RFC 7303 §3). */
static const struct {
	const char *ext;
	const char *type;
} builtin[] = {
	/* web pages and their parts */
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" }, /* RFC 9239 */
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" }, /* source maps */
	{ "jsonld", "application/ld+json" },
	{ "webmanifest", "application/manifest+json" },
	{ "wasm", "application/wasm" }, /* needed for streaming compile */
	{ "xml", "application/xml" },
	{ "xhtml", "application/xhtml+xml" },
	{ "atom", "application/atom+xml" },
	{ "rss", "application/rss+xml" },
	/* text */
	{ "txt", "text/plain; charset=utf-8" },
	{ "csv", "text/csv; charset=utf-8" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "ics", "text/calendar; charset=utf-8" },
	{ "vtt", "text/vtt; charset=utf-8" },
	{ "yaml", "application/yaml" }, /* RFC 9512 */
	{ "yml", "application/yaml" },
	{ "toml", "application/toml" },
	/* images */
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "apng", "image/apng" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "jxl", "image/jxl" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "bmp", "image/bmp" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	/* fonts */
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "eot", "application/vnd.ms-fontobject" },
	/* audio and video */
	{ "mp4", "video/mp4" },
	{ "m4v", "video/mp4" },
	{ "webm", "video/webm" },
	{ "ogv", "video/ogg" },
	{ "mov", "video/quicktime" },
	{ "mpeg", "video/mpeg" },
	{ "mpg", "video/mpeg" },
	{ "avi", "video/x-msvideo" },
	{ "m3u8", "application/vnd.apple.mpegurl" },
	{ "ogg", "audio/ogg" }, /* RFC 5334 */
	{ "oga", "audio/ogg" },
	{ "opus", "audio/ogg" },
	{ "mp3", "audio/mpeg" },
	{ "wav", "audio/wav" },
	{ "flac", "audio/flac" },
	{ "m4a", "audio/mp4" },
	{ "aac", "audio/aac" },
	{ "weba", "audio/webm" },
	{ "mid", "audio/midi" },
	{ "midi", "audio/midi" },
	/* archives and compressed data */
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tgz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "bz2", "application/x-bzip2" },
	{ "xz", "application/x-xz" },
	{ "zst", "application/zstd" },
	{ "7z", "application/x-7z-compressed" },
	{ "br", "application/x-brotli" },
	{ "rar", "application/vnd.rar" },
	{ "jar", "application/java-archive" },
	{ "apk", "application/vnd.android.package-archive" },
	{ "deb", "application/vnd.debian.binary-package" },
	{ "iso", "application/x-iso9660-image" },
	/* documents */
	{ "pdf", "application/pdf" },
	{ "epub", "application/epub+zip" },
	{ "rtf", "application/rtf" },
	{ "doc", "application/msword" },
	{ "xls", "application/vnd.ms-excel" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "docx", "application/vnd.openxmlformats-officedocument."
		  "wordprocessingml.document" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument."
		  "spreadsheetml.sheet" },
	{ "pptx", "application/vnd.openxmlformats-officedocument."
		  "presentationml.presentation" },
	{ "odt", "application/vnd.oasis.opendocument.text" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "odp", "application/vnd.oasis.opendocument.presentation" },
};

/* FNV-1a over the lower-cased bytes. */
static uint32_t hash_ext(const char *ext, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= chars_lower((unsigned char)ext[i]);
		h *= 16777619u;
	}
	return h;
}

/* The slot holding ext, or the empty slot where it would go. The table is
 * never more than half full, so an empty slot always ends the probe. */
static struct mime_entry *find_slot(const struct mime_table *t,
				    const char *ext, size_t len)
{
	size_t mask = t->cap - 1;
	size_t i = hash_ext(ext, len) & mask;

	for (;; i = (i + 1) & mask) {
		struct mime_entry *e = &t->slots[i];
		size_t k;

		if (e->ext == NULL)
			return e;
		for (k = 0; k < len; k++)
			if (e->ext[k] != (char)chars_lower((unsigned char)ext[k]))
				break;
		if (k == len && e->ext[len] == '\0')
			return e;
	}
}

static int grow(struct mime_table *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 256;
	struct mime_entry *old = t->slots;
	size_t ocap = t->cap;

	t->slots = calloc(ncap, sizeof(*t->slots));
	if (t->slots == NULL) {
		t->slots = old;
		return -1;
	}
	t->cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (old[i].ext != NULL)
			*find_slot(t, old[i].ext, strlen(old[i].ext)) = old[i];
	}
	free(old);
	return 0;
}

/* Printable ASCII without '/', '.' or space: what can follow the last dot
 * of a file name and still be matched. */
static bool valid_ext(const char *ext, size_t len)
{
	if (len == 0 || len > MIME_EXT_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)ext[i];

		if (c <= ' ' || c >= 0x7f || c == '/' || c == '.')
			return false;
	}
	return true;
}

static size_t token_len(const char *s)
{
	size_t n = 0;

	while (chars_is_tchar((unsigned char)s[n]))
		n++;
	return n;
}

static size_t skip_ows(const char *s)
{
	size_t n = 0;

	while (chars_is_ows((unsigned char)s[n]))
		n++;
	return n;
}

/* media-type = type "/" subtype parameters, RFC 9110 §8.3.1, with no
 * trailing whitespace. The value goes into a header verbatim, so this is
 * also what keeps a CR or LF out of the response. Sets *essence_len to
 * the length of "type/subtype" and *has_params. */
static bool valid_type(const char *type, size_t *essence_len,
		       bool *has_params)
{
	const char *p = type;
	size_t n;

	if (strlen(type) > MIME_TYPE_MAX)
		return false;
	if ((n = token_len(p)) == 0 || p[n] != '/')
		return false;
	p += n + 1;
	if ((n = token_len(p)) == 0)
		return false;
	p += n;
	*essence_len = (size_t)(p - type);
	*has_params = *p != '\0';

	while (*p != '\0') {
		p += skip_ows(p);
		if (*p++ != ';')
			return false;
		p += skip_ows(p);
		if ((n = token_len(p)) == 0 || p[n] != '=')
			return false;
		p += n + 1;
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				unsigned char c = (unsigned char)*p;

				if (c == '\\')
					c = (unsigned char)*++p;
				if (c == '\0' || (c < ' ' && c != '\t') ||
				    c == 0x7f || c >= 0x80)
					return false;
			}
			p++;
		} else {
			if ((n = token_len(p)) == 0)
				return false;
			p += n;
		}
	}
	return true;
}

/* text/... and the legacy JavaScript types name no charset of their own, and
 * browsers would guess one; sites served by eisd are taken to be UTF-8. */
static bool wants_charset(const char *type, size_t essence_len)
{
	return (essence_len > 5 && chars_eq_nocase_str(type, 5, "text/")) ||
	       chars_eq_nocase_str(type, essence_len, "application/javascript") ||
	       chars_eq_nocase_str(type, essence_len, "application/ecmascript");
}

/* Adds ext -> type unless an entry from a source that outranks origin is
 * there. 0 when stored or deliberately kept, -1 on bad input or no
 * memory. */
static int put(struct mime_table *t, const char *ext, size_t extlen,
	       const char *type, enum mime_origin origin)
{
	struct mime_entry *e;
	size_t essence, tlen = strlen(type);
	bool params;
	char *val, *key = NULL;

	if (!valid_ext(ext, extlen) || !valid_type(type, &essence, &params))
		return -1;
	e = find_slot(t, ext, extlen);
	if (e->ext != NULL && origin == MIME_FROM_FILE)
		return 0; /* a file only fills gaps */

	if (!params && wants_charset(type, essence)) {
		val = malloc(tlen + sizeof(MIME_CHARSET));
		if (val != NULL) {
			memcpy(val, type, tlen);
			memcpy(val + tlen, MIME_CHARSET, sizeof(MIME_CHARSET));
		}
	} else {
		val = strdup(type);
	}
	if (val == NULL)
		return -1;

	if (e->ext != NULL) {
		free(e->type);
		e->type = val;
		e->origin = origin;
		return 0;
	}
	if ((t->count + 1) * 2 > t->cap) {
		if (grow(t) < 0)
			goto fail;
		e = find_slot(t, ext, extlen);
	}
	key = malloc(extlen + 1);
	if (key == NULL)
		goto fail;
	for (size_t i = 0; i < extlen; i++)
		key[i] = (char)chars_lower((unsigned char)ext[i]);
	key[extlen] = '\0';
	e->ext = key;
	e->type = val;
	e->origin = origin;
	t->count++;
	return 0;
fail:
	free(val);
	return -1;
}

struct mime_table *mime_table_new(void)
{
	struct mime_table *t = calloc(1, sizeof(*t));

	if (t == NULL || grow(t) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		if (put(t, builtin[i].ext, strlen(builtin[i].ext),
			builtin[i].type, MIME_FROM_BUILTIN) < 0)
			goto fail;
	}
	return t;
fail:
	mime_table_free(t);
	return NULL;
}

void mime_table_free(struct mime_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->cap; i++) {
		free(t->slots[i].ext);
		free(t->slots[i].type);
	}
	free(t->slots);
	free(t);
}

int mime_table_set(struct mime_table *t, const char *ext, const char *type)
{
	return put(t, ext, strlen(ext), type, MIME_FROM_USER);
}

/* One line: "type ext1 ext2 ...", fields split by spaces or tabs, '#'
 * starting a comment. A line with a malformed type, or an extension we
 * could never match ("tar.gz"), is skipped rather than failing the load:
 * the system file is not ours to fix. */
static int load_line(struct mime_table *t, char *line)
{
	static const char sep[] = " \t\r\n\v\f";
	char *save, *type, *ext;
	size_t essence;
	bool params;

	line[strcspn(line, "#")] = '\0';
	type = strtok_r(line, sep, &save);
	if (type == NULL || !valid_type(type, &essence, &params))
		return 0;
	while ((ext = strtok_r(NULL, sep, &save)) != NULL) {
		if (!valid_ext(ext, strlen(ext)))
			continue;
		if (put(t, ext, strlen(ext), type, MIME_FROM_FILE) < 0)
			return -1; /* valid input, so out of memory */
	}
	return 0;
}

int mime_table_load(struct mime_table *t, const char *file)
{
	FILE *f = fopen(file, "re");
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	if (f == NULL)
		return -1;
	while (getline(&line, &cap, f) >= 0) {
		if (load_line(t, line) < 0) {
			rc = -1;
			break;
		}
	}
	if (ferror(f))
		rc = -1;
	free(line);
	fclose(f);
	return rc;
}

const char *mime_type_for(const struct mime_table *t, const char *name,
			  size_t len)
{
	const char *base = name, *ext = NULL;
	const struct mime_entry *e;
	size_t extlen;

	for (size_t i = 0; i < len; i++)
		if (name[i] == '/')
			base = name + i + 1;
	/* Leading dots make a hidden name, not an extension: ".bashrc". */
	while (base < name + len && *base == '.')
		base++;
	for (const char *p = base; p < name + len; p++)
		if (*p == '.')
			ext = p + 1;
	if (t == NULL || ext == NULL)
		return MIME_DEFAULT;
	extlen = (size_t)(name + len - ext);
	if (!valid_ext(ext, extlen))
		return MIME_DEFAULT;
	e = find_slot(t, ext, extlen);
	return e->ext != NULL ? e->type : MIME_DEFAULT;
}

/* Compressible media types. See mime.h. */
bool mime_compressible(const char *type)
{
	static const char *const exact[] = {
		"application/javascript", "application/ecmascript", "application/json",
		"application/xml", "application/wasm", "image/svg+xml",
		"application/vnd.ms-fontobject", "font/ttf", "font/otf", "font/collection",
		"application/x-javascript", "application/x-font-ttf",
	};
	size_t n = strcspn(type, ";");

	while (n > 0 && (type[n - 1] == ' ' || type[n - 1] == '\t'))
		n--;
	if (n > 5 && chars_eq_nocase_str(type, 5, "text/"))
		return true;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (chars_eq_nocase_str(type, n, exact[i]))
			return true;
	/* RFC 6839 structured syntax suffixes. */
	return (n > 5 && chars_eq_nocase_str(type + n - 5, 5, "+json")) ||
	       (n > 4 && chars_eq_nocase_str(type + n - 4, 4, "+xml"));
}
