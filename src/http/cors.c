/* Cross-origin resource sharing. See cors.h. */
#include "http/cors.h"

#include <string.h>
#include <strings.h>

#include "core/ctx.h"

/* The configured entry for origin o: the origin's own text, "*", or NULL. */
static const char *allowed(const struct config *cfg, struct http_str o)
{
	const char *any = NULL;

	for (int i = 0; i < cfg->ncors; i++) {
		const char *c = cfg->cors[i];

		if (strcmp(c, "*") == 0)
			any = c;
		else if (strlen(c) == o.len && strncasecmp(c, o.p, o.len) == 0)
			return c;
	}
	return any;
}

static bool any_only(const struct config *cfg)
{
	return cfg->ncors == 1 && strcmp(cfg->cors[0], "*") == 0;
}

bool cors_preflight(struct http_exchange *x)
{
	const struct config *cfg = x->ctx->cfg;
	struct http_response *r = &x->resp;
	struct http_str o, m;
	const char *a;

	if (cfg->ncors == 0 || x->req->method != HTTP_METHOD_OPTIONS)
		return false;
	o = http_request_header(x->req, "origin");
	m = http_request_header(x->req, "access-control-request-method");
	if (!o.p || !m.p)
		return false;
	r->status = HTTP_NO_CONTENT;
	HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_ALLOW, "GET, HEAD, OPTIONS");
	a = allowed(cfg, o);
	if (a) {
		http_response_field_ref(r, HTTP_F_ACAO, a, strlen(a));
		HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_ACA_METHODS, "GET, HEAD, OPTIONS");
		HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_ACA_HEADERS,
					"Authorization, Range, If-Match, If-None-Match, "
					"If-Modified-Since, If-Unmodified-Since, If-Range");
		HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_ACA_MAX_AGE, CORS_MAX_AGE);
	}
	if (!any_only(cfg))
		HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_VARY, "Origin");
	return true;
}

void cors_decorate(struct http_exchange *x)
{
	const struct config *cfg = x->ctx->cfg;
	struct http_response *r = &x->resp;
	struct http_str o;
	const char *a;

	if (cfg->ncors == 0 || http_response_find(r, HTTP_F_ACAO))
		return;
	o = http_request_header(x->req, "origin");
	if (o.p && (a = allowed(cfg, o))) {
		http_response_field_ref(r, HTTP_F_ACAO, a, strlen(a));
		HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_ACE_HEADERS,
					"Content-Range, Accept-Ranges, ETag, Last-Modified, Content-Encoding");
	}
	if (!any_only(cfg))
		HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_VARY, "Origin");
}
