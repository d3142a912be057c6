/* Turning a request path into a file under the document root, safely.
 * path_decode and path_normalize are pure; path_open does the I/O. */
#ifndef EISD_PATH_H
#define EISD_PATH_H

#include <stddef.h>
#include <sys/stat.h>

/* Percent-decodes in[0..len) into out (NUL-terminated, at most outsz bytes
 * including the NUL). '+' stays '+'. Decoding happens once: "%252e" becomes
 * "%2e", never ".". Returns the decoded length, or -400 for an invalid
 * escape, a decoded NUL (%00), or output that does not fit. */
long path_decode(const char *in, size_t len, char *out, size_t outsz);

/* Normalises a decoded absolute path ("/a//b/./c/../d") into a relative
 * one under the root ("a/b/d"; "" for the root itself), in place.
 * Collapses "//", drops ".", resolves ".." against earlier segments.
 * Returns the new length, or
 *   -400 when ".." would climb above the root, or the path does not start
 *        with '/',
 *   -404 when any segment starts with '.' (hidden files and directories).
 * A segment that merely contains dots ("a..b.txt", "x...") is kept;
 * "...x" starts with '.' and is refused like any other dotfile.
 * '\' is an ordinary byte on Linux: "a\..\b" is one segment, a file name.
 * *trailing_slash is set when the input ended with '/'. */
long path_normalize(char *path, int *trailing_slash);

/* Opens rel (as produced by path_normalize; "" means the root) beneath the
 * directory rootfd, never leaving it: not through "..", absolute symlinks or
 * symlinks pointing outside (openat2 RESOLVE_BENEATH, with a checked
 * fallback on kernels without it). Never blocks on FIFOs. Fills *st.
 * Returns the fd (O_RDONLY|O_CLOEXEC, regular file or directory), or
 *   -404 not found (ENOENT, ENOTDIR, ENAMETOOLONG),
 *   -403 forbidden (no permission, escapes the root, a symlink loop, or
 *        not a regular file or directory: FIFO, socket, device),
 *   -500 any other error. */
int path_open(int rootfd, const char *rel, struct stat *st);

/* What path_open does when the kernel lacks openat2 (ENOSYS, before 5.6):
 * a plain openat, then a check through /proc/self/fd that the file it
 * reached lies under the root's real path; -403 when it does not, -500
 * when /proc cannot tell. Weaker than openat2: the open itself may touch
 * a file outside (O_NONBLOCK keeps a FIFO from blocking), and a symlink
 * that ends inside the root is allowed even when absolute or when it
 * leaves and comes back in. Same results otherwise. Public so tests can
 * run it on kernels that have openat2; EISD_TEST_PATH_FALLBACK=1 in the
 * environment (test only, read at start) makes path_open always use it. */
int path_open_fallback(int rootfd, const char *rel, struct stat *st);

#endif
