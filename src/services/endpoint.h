/* What the built-in endpoints at a path of their own (--status,
 * --metrics, --health) share: which requests are theirs. */
#ifndef EISD_ENDPOINT_H
#define EISD_ENDPOINT_H

#include <stdbool.h>

struct http_exchange;

/* Is x a GET or HEAD for exactly path (as sent, the query aside)?
 * False when path is NULL: the endpoint is off. */
bool endpoint_is_request(const struct http_exchange *x, const char *path);

#endif
