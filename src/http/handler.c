/* The request handler and the accounting every HTTP version shares. See
 * handler.h. */
#include "http/handler.h"

#include "core/ctx.h"
#include "core/stats.h"
#include "files/static.h"
#include "services/status.h"

void http_exchange_init(struct http_exchange *x, struct ctx *ctx,
			const struct http_request *req,
			const struct sockaddr *peer)
{
	x->ctx = ctx;
	x->req = req;
	x->peer = peer;
	http_response_init(&x->resp, req && req->method == HTTP_METHOD_HEAD);
	x->settings = &ctx->cfg->site;
}

int http_handle(struct http_exchange *x)
{
	struct http_response *r = &x->resp;
	int rc = 0;

	switch (x->req->method) {
	case HTTP_METHOD_GET:
	case HTTP_METHOD_HEAD:
		if (status_is_request(x))
			rc = status_serve(x);
		else
			rc = static_serve(x);
		break;
	case HTTP_METHOD_OPTIONS:
		r->status = HTTP_NO_CONTENT;
		HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_ALLOW, "GET, HEAD, OPTIONS");
		break;
	case HTTP_METHOD_POST:
	case HTTP_METHOD_PUT:
	case HTTP_METHOD_DELETE:
	case HTTP_METHOD_PATCH:
	case HTTP_METHOD_CONNECT:
	case HTTP_METHOD_TRACE:
		HTTP_RESPONSE_FIELD_LIT(r, HTTP_F_ALLOW, "GET, HEAD");
		http_response_error(r, HTTP_METHOD_NOT_ALLOWED);
		break;
	default:
		http_response_error(r, HTTP_NOT_IMPLEMENTED);
		break;
	}
	return rc < 0 || r->failed ? -1 : 0;
}

void http_account(struct ctx *ctx, const char *client, const struct http_request *req,
		  enum http_status status, uint64_t body_bytes)
{
	stats_count(&ctx->stats, (int)status);
	if (ctx->log.fd < 0)
		return;
	if (req) {
		struct log_request rq = {
			.method = req->method_name.p, .method_len = req->method_name.len,
			.target = req->target.p, .target_len = req->target.len,
			.version_major = req->version_major, .version_minor = req->version_minor,
			.referer = req->referer.p, .referer_len = req->referer.len,
			.user_agent = req->user_agent.p, .user_agent_len = req->user_agent.len,
		};

		log_request_line(&ctx->log, ctx->now, client, &rq, (int)status, body_bytes);
	} else {
		log_request_line(&ctx->log, ctx->now, client, NULL, (int)status, body_bytes);
	}
}
