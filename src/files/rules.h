/* Path rules of a site (--redirect, --fallback, --auth prefixes), decided
 * on the path that opens the file: decoded once and normalised
 * (path_normalize), never the raw request target. So "/private/..%2fx",
 * "//private" and "/./private" are judged as the files they open ("x",
 * "private", "private"), and a rule cannot be slipped past by spelling.
 * Names are compared byte for byte, as the file system does: on Linux
 * "/Private" is another file than "/private" and another path for the
 * rules. '\' is an ordinary byte of a file name.
 *
 * The "full" form of a path is "/" + the normalised relative path, plus
 * "/" when the request ended with one: "/", "/a/b.txt", "/docs/". */
#ifndef EISD_RULES_H
#define EISD_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "app/config.h"
#include "http/http_parse.h"
#include "util/bytes.h"

/* Full form of what an operator wrote (an absolute path, not encoded) into
 * out (outsz bytes, NUL-terminated): its length, or -1 when it is not a
 * path a request could reach (not starting with '/', "..", a dotfile
 * segment, control bytes, '?', '#', too long). */
long rules_config_path(const char *in, char *out, size_t outsz);

/* Full form of a normalised request path rel[0..len) into out, which has
 * room for len + 3 bytes. Returns its length. */
size_t rules_full_path(char *out, const char *rel, size_t len, bool trailing);

/* Whether prefix (full form) covers the path full, in whole segments:
 * "/a" covers "/a" and "/a/x" but not "/ab"; "/a/" covers "/a/", "/a/x"
 * and "/a" itself (the directory, before its redirect to "/a/"). */
bool rules_covers(const char *prefix, size_t plen, const char *full, size_t flen);

/* The --redirect rule for full: an exact FROM equal to it, else the
 * longest prefix FROM that covers it. NULL: none. */
const struct config_redirect *rules_redirect_for(const struct config *cfg, const char *full,
						  size_t flen);

/* The Location of rd for full and the request's query: TO, then (for a
 * prefix rule) the rest of the path after FROM, percent-encoded so that
 * only unreserved bytes, sub-delims, ':', '@' and '/' stay literal (no
 * CR, LF, space or a second "//" can appear), then "?query" (the
 * parser's checked bytes). b->failed when it does not fit. */
void rules_redirect_location(const struct config_redirect *rd, const char *full, size_t flen,
			     struct http_str query, struct bytes *b);

/* --fallback applies to a path whose last segment has no extension (no
 * '.' in it) and a request whose Accept lists text/html with q > 0. */
bool rules_fallback_wanted(const struct http_request *req, const char *rel, size_t len);

/* Whether full is under --auth: any prefix covers it, or no --auth
 * prefix was given (all paths). False when there is no --auth-file. */
bool rules_auth_required(const struct config *cfg, const char *full, size_t flen);

#endif
