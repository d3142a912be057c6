/* --health PATH (see health.h). */
#include "services/health.h"

#include "core/ctx.h"
#include "http/handler.h"
#include "services/endpoint.h"

bool health_is_request(const struct http_exchange *x)
{
	return endpoint_is_request(x, x->ctx->cfg->health_path);
}

int health_serve(struct http_exchange *x)
{
	static const char ok[] = "ok\n", stopping[] = "stopping\n";
	struct http_response *r = &x->resp;

	HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_CACHE_CONTROL, "no-store");
	r->content_type = "text/plain; charset=utf-8";
	if (ctx_draining(x->ctx)) {
		/* Nothing else changes while draining: the clients the
		 * balancer still sends are served as before. */
		r->status = HTTP_SERVICE_UNAVAILABLE;
		http_response_body_ref(r, stopping, sizeof(stopping) - 1);
	} else {
		http_response_body_ref(r, ok, sizeof(ok) - 1);
	}
	return r->failed ? -1 : 0;
}
