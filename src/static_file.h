/* Answering a GET or HEAD with one regular file: picking the
 * representation (a precompressed .br/.gz copy or the file itself),
 * validators, preconditions (304/412), and byte ranges (206/416). */
#ifndef EISD_STATIC_FILE_H
#define EISD_STATIC_FILE_H

#include <stddef.h>
#include <sys/stat.h>

#include "http_resp.h"

/* Room static_file_serve needs after rel[rel_len] (a suffix and its NUL). */
#define STATIC_FILE_SUFFIX_ROOM 4

/* Answers x with the regular file fd (stat st) found at rel under the
 * root (rel[rel_len] == '\0', with STATIC_FILE_SUFFIX_ROOM bytes of room
 * after it; the buffer is used to name FILE.gz / FILE.br and restored).
 * Takes ownership of fd. Returns 0, or -1 when memory ran out. */
int static_file_serve(struct http_exchange *x, int fd, const struct stat *st,
		      char *rel, size_t rel_len);

#endif
