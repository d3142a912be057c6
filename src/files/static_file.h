/* Answering a GET or HEAD with one regular file: picking the
 * representation (a precompressed .br/.gz copy or the file itself),
 * validators, preconditions (304/412), and byte ranges (206/416). */
#ifndef EISD_STATIC_FILE_H
#define EISD_STATIC_FILE_H

#include "http/handler.h"

struct fcache_entry;

/* Answers x with the regular file fe (a reference from the worker's
 * fcache_get, which this takes over: the response holds it), or with a
 * precompressed copy of it. Returns 0, or -1 when memory ran out. */
int static_file_serve(struct http_exchange *x, struct fcache_entry *fe);

#endif
