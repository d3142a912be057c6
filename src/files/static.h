/* Mapping a GET/HEAD request to a file under the root and answering it. */
#ifndef EISD_STATIC_H
#define EISD_STATIC_H

#include "http/handler.h"

/* Answers x->req (a GET or HEAD) from the document root. Returns 0, or -1
 * when memory ran out. */
int static_serve(struct http_exchange *x);

#endif
