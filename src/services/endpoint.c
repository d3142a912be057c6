/* The built-in endpoints' request match (see endpoint.h). */
#include "services/endpoint.h"

#include <string.h>

#include "http/handler.h"

bool endpoint_is_request(const struct http_exchange *x, const char *path)
{
	const struct http_request *req = x->req;

	return path && (req->method == HTTP_METHOD_GET || req->method == HTTP_METHOD_HEAD) &&
	       req->path.len == strlen(path) && memcmp(req->path.p, path, req->path.len) == 0;
}
