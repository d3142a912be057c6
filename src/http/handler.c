/* The request handler and the accounting every HTTP version shares. See
 * handler.h. */
#include "http/handler.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/ctx.h"
#include "http/forwarded.h"
#include "core/stats.h"
#include "files/error_page.h"
#include "files/rules.h"
#include "files/static.h"
#include "http/auth.h"
#include "http/cors.h"
#include "http/vhost.h"
#include "http/redirect.h"
#include "services/health.h"
#include "services/metrics.h"
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
	x->root_fd = ctx->root_fd;
	x->server_name = NULL;
	x->can_defer = false;
	x->defer = false;
	x->fcache = ctx->fcache;
}

#define ACME_CHALLENGE_PREFIX "/.well-known/acme-challenge/"

static bool acme_challenge_path(const struct http_request *req)
{
	size_t n = sizeof(ACME_CHALLENGE_PREFIX) - 1;

	return (req->method == HTTP_METHOD_GET || req->method == HTTP_METHOD_HEAD) &&
	       req->path.len > n && memcmp(req->path.p, ACME_CHALLENGE_PREFIX, n) == 0;
}

static int acme_challenge_serve(struct http_exchange *x)
{
	size_t n = sizeof(ACME_CHALLENGE_PREFIX) - 1;
	char answer[512];
	long len = x->ctx->cfg->acme_http01(x->req->path.p + n, x->req->path.len - n, answer,
					    sizeof(answer));

	if (len < 0)
		return http_response_error(&x->resp, HTTP_NOT_FOUND);
	x->resp.content_type = "application/octet-stream";
	http_response_body_copy(&x->resp, answer, (size_t)len);
	return x->resp.failed ? -1 : 0;
}

int http_handle(struct http_exchange *x)
{
	const struct config *cfg = x->ctx->cfg;
	struct http_response *r = &x->resp;
	bool endpoints;
	int rc = 0;

	/* ACME HTTP-01 (RFC 8555 §8.3), on the plain listener only: the one
	 * path under a dot-directory eisd answers, and only with a token the
	 * ACME thread is waiting for; anything else there is 404. */
	if (cfg->acme_http01 && acme_challenge_path(x->req)) {
		rc = acme_challenge_serve(x);
		return rc < 0 || r->failed ? -1 : 0;
	}
	/* The --redirect-http listener answers everything with a redirect. */
	if (cfg->redirect_https_port) {
		rc = redirect_serve(x, cfg->redirect_https_port);
		return rc < 0 || r->failed ? -1 : 0;
	}
	if (!vhost_pick(x))
		goto answered;
	switch (x->req->method) {
	case HTTP_METHOD_GET:
	case HTTP_METHOD_HEAD:
		/* One test when no built-in endpoint is on (the default),
		 * not three calls. */
		endpoints = cfg->health_path || cfg->metrics_path || cfg->status_path;
		if (endpoints && health_is_request(x))
			rc = health_serve(x);
		else if (endpoints && metrics_is_request(x))
			rc = metrics_serve(x);
		else if (!endpoints || !status_is_request(x))
			rc = static_serve(x);
		else if (!rules_auth_required(cfg, cfg->status_path,
					      strlen(cfg->status_path)) || auth_check(x))
			rc = status_serve(x);
		break;
	case HTTP_METHOD_OPTIONS:
		/* A preflight carries no credentials (Fetch): never behind auth. */
		if (cors_preflight(x))
			return r->failed ? -1 : 0;
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
answered:
	if (rc == 0 && !r->failed && !x->defer) {
		error_page_apply(x);
		cors_decorate(x);
	}
	return rc < 0 || r->failed ? -1 : 0;
}

/* The address the log names: the peer, or when the peer is a trusted
 * proxy, the client its X-Forwarded-For / Forwarded names (out has room
 * for INET6_ADDRSTRLEN). Costs nothing without --trusted-proxy. */
static const char *log_client(const struct config *cfg, const char *peer,
			      const struct http_request *req, char *out)
{
	size_t n = (size_t)cfg->ntrusted_proxies;
	struct sockaddr_storage ss;

	if (n == 0 || !req || !cidr_match_text(cfg->trusted_proxies, n, peer, strlen(peer)) ||
	    !http_forwarded_client(req, cfg->trusted_proxies, n, &ss))
		return peer;
	cidr_addr_format(&ss, out, INET6_ADDRSTRLEN);
	return out;
}

/* The access-log line of http_account: out of line (noinline), so that
 * counting alone (no log) pays no frame for the address buffer. */
__attribute__((noinline)) static void account_log(struct ctx *ctx, const char *client,
						  const struct http_request *req,
						  enum http_status status, uint64_t body_bytes)
{
	char fwd[INET6_ADDRSTRLEN];

	client = log_client(ctx->cfg, client, req, fwd);
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

void http_account(struct ctx *ctx, const char *client, const struct http_request *req,
		  enum http_status status, uint64_t body_bytes)
{
	stats_count(&ctx->stats, (int)status);
	stats_count_method(&ctx->stats, req ? 1 + (unsigned)req->method : 0, (int)status);
	if (ctx->log.fd >= 0)
		account_log(ctx, client, req, status, body_bytes);
}
