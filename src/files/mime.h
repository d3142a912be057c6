/* File name extension -> media type. The table is built at start-up and
 * read-only afterwards, so workers share it without locks.
 *
 * Precedence, whatever the order of the calls:
 *   1. mime_table_set (the user's --mime-type) overrides everything;
 *   2. the built-in table (so html stays "text/html; charset=utf-8");
 *   3. mime_table_load fills in only extensions nothing above defines;
 *      within and across files the first line naming an extension wins. */
#ifndef EISD_MIME_H
#define EISD_MIME_H

#include <stdbool.h>
#include <stddef.h>

struct mime_table;

/* A table holding the built-in types. NULL on allocation failure. */
struct mime_table *mime_table_new(void);
void mime_table_free(struct mime_table *t);

/* Adds or overrides ext -> type. ext: 1-32 printable ASCII bytes, no
 * '.', '/' or space, matched case-insensitively. type: a media type,
 * "type/subtype" tokens with optional "; name=value" parameters (RFC 9110
 * §8.3.1), nothing else (no CR/LF, no trailing space). A text/... type, or
 * the legacy application/javascript and application/ecmascript, gets
 * "; charset=utf-8" appended unless it has parameters; JSON and XML types
 * do not (JSON is always UTF-8; XML declares its own encoding).
 * Returns 0, or -1 on a bad extension/type or allocation failure. */
int mime_table_set(struct mime_table *t, const char *ext, const char *type);

/* Loads a mime.types file (Debian's /etc/mime.types: lines "type ext1
 * ext2 ...", '#' comments) with the precedence above and the same charset
 * rule as mime_table_set. Lines with a malformed type and extensions that
 * could never match (containing '.') are skipped. Returns 0, or -1 when
 * the file cannot be read or memory runs out (entries read so far stay). */
int mime_table_load(struct mime_table *t, const char *file);

/* The Content-Type for a file name or path name[0..len): by the text after
 * the last '.' of the last segment ("archive.tar.gz" -> gz), ignoring
 * leading dots (".bashrc" has no extension); none or unknown ->
 * "application/octet-stream". Never NULL; valid while t lives. No
 * allocation. */
const char *mime_type_for(const struct mime_table *t, const char *name,
			  size_t len);

/* Whether a Content-Type is worth compressing on the fly: text/..., the
 * JavaScript, JSON and XML types (with their +json / +xml kin), SVG,
 * wasm, and fonts other than WOFF and WOFF2 (compressed already). Images,
 * audio, video and archives are not. Parameters ("; charset=") and case
 * do not matter. */
bool mime_compressible(const char *type);

#endif
