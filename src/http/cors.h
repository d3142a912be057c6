/* --cors ORIGIN: cross-origin reads of the site by the origins listed
 * (or any, with "*"). Origins are compared as written (scheme, host and
 * port, case-insensitively); the value sent back is the operator's text,
 * never request bytes. */
#ifndef EISD_CORS_H
#define EISD_CORS_H

#include <stdbool.h>

#include "http/handler.h"

/* A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method):
 * answers it (204; for an allowed origin with Access-Control-Allow-Origin,
 * -Methods, -Headers and -Max-Age) and returns true; false when x is not
 * one (or --cors is off). */
bool cors_preflight(struct http_exchange *x);

/* Any other response: Access-Control-Allow-Origin (and -Expose-Headers)
 * for an allowed Origin; Vary: Origin on every response unless the
 * answer is "*" for all. */
void cors_decorate(struct http_exchange *x);

#define CORS_MAX_AGE "7200" /* what Chromium caps a preflight's life at */

#endif
