/* Directory listings (--listing): an HTML page for people, JSON for
 * scripts (Accept: application/json). */
#ifndef EISD_LISTING_H
#define EISD_LISTING_H

#include <sys/stat.h>

#include "http/handler.h"

/* At most this many entries are listed; a bigger directory gets the first
 * ones in directory order, sorted, and a note that the list is cut. */
#define LISTING_MAX_ENTRIES 10000
/* At most this many directory entries are read, hidden ones included, so
 * a directory of a million dotfiles cannot make one request expensive. */
#define LISTING_MAX_SCAN 100000
/* A page is at most this big; the entries past it are counted in one
 * "N more entries not shown" line (HTML) or "not_shown" (JSON), so 10,000
 * names of 250 '"' (24 MB escaped) cannot make one page huge. */
#define LISTING_PAGE_MAX (2u << 20)

/* Answers x (GET or HEAD) with the listing of the directory open at
 * dirfd (not taken over; st its fstat), whose path under the root is rel
 * ("" for the root): from the worker's listing cache while the directory
 * has not changed (lcache.h), else read through a duplicate of dirfd,
 * never through its name again. Hidden entries (a leading '.') and entries that
 * could not be served (FIFOs, sockets, devices, symlinks leading outside
 * the root or nowhere) are left out. Returns 0, or -1 when memory ran
 * out. */
int listing_serve(struct http_exchange *x, int dirfd, const struct stat *st, const char *rel);

#endif
