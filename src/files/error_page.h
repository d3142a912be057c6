/* --error-page CODE=PATH: a file under the root as the body of an error
 * status, instead of the built-in page. */
#ifndef EISD_ERROR_PAGE_H
#define EISD_ERROR_PAGE_H

#include "http/handler.h"

/* When x->resp is an error (4xx, 5xx) that has an --error-page, and the
 * page is a regular file that can be opened under the root (through the
 * file cache, as any request would: no dotfile, no escape), its content
 * becomes the body and its type the Content-Type; status and fields stay
 * (Allow, Location, WWW-Authenticate, Retry-After...). HEAD still sends
 * no body: Content-Length is the page's. Otherwise, and for a response
 * that already holds a file (412, 416 of a file), the built-in page
 * stays. */
void error_page_apply(struct http_exchange *x);

#endif
