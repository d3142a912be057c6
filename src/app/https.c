/* TLS and the HTTP->HTTPS redirect, as main sets them up (https.h). */
#include "app/https.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/proto.h"
#include "tls/tls.h"
#include "tls/transport_tls.h"
#include "util/log.h"

static void warn_stderr(void *arg, const char *msg)
{
	fprintf(stderr, "eisd: %s\n", msg);
}

static void warn_log(void *arg, const char *msg)
{
	log_error("%s", msg);
}

/* A copy of the header block without its HSTS line (RFC 6797 §7.2: only
 * over a secure transport), for the --redirect-http listener. */
static char *without_hsts(const char *block)
{
	char *out = strdup(block), *l = out;

	while (l && *l) {
		char *next = strstr(l, "\r\n") + 2;

		if (strncasecmp(l, "Strict-Transport-Security:", 26) == 0)
			memmove(l, next, strlen(next) + 1);
		else
			l = next;
	}
	return out;
}

int https_setup(struct https *h, struct config *cfg, struct server *srv, char *err, size_t errlen)
{
	struct tls_settings st = { 0 };

	memset(h, 0, sizeof(*h));
	h->rsrv.listen_fd = -1;
	if (cfg->ntls_certs == 0)
		return 0;
	for (int i = 0; i < cfg->ntls_certs; i++) {
		st.certs[i] = cfg->tls_certs[i];
		st.keys[i] = cfg->tls_keys[i];
	}
	st.npairs = cfg->ntls_certs;
	st.min_version = cfg->tls_min;
	st.ocsp_file = cfg->tls_ocsp;
	h->ts = tls_server_new(&st, warn_stderr, NULL, err, errlen);
	if (!h->ts)
		return -1;
	h->tp = transport_tls_new(h->ts);
	if (!h->tp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	srv->transport = h->tp;
	srv->tls_body_path = tls_server_ktls(h->ts) ? "ktls-sendfile" : "ssl-write-16k";
	if (cfg->redirect_http >= 0) {
		/* The redirect listener: the same settings on its own port,
		 * one thread, every request answered with 308, and no HSTS
		 * (RFC 6797 §7.2: only over a secure transport). */
		h->rcfg = *cfg;
		h->rcfg.port = cfg->redirect_http;
		h->rcfg.threads = 1;
		h->rcfg.ntls_certs = h->rcfg.ntls_keys = 0;
		h->rcfg.extra_headers = cfg->extra_headers ? without_hsts(cfg->extra_headers) : NULL;
		if (cfg->extra_headers && !h->rcfg.extra_headers) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		h->redirect = true;
	}
	return 0;
}

int https_listen(struct https *h, const struct server *srv, char *err, size_t errlen)
{
	struct server *r = &h->rsrv;

	if (!h->redirect)
		return 0;
	h->rcfg.redirect_https_port = srv->port;
	r->cfg = &h->rcfg;
	r->proto = &proto_http;
	r->mime = srv->mime;
	r->root_fd = srv->root_fd;
	r->log_fd = srv->log_fd;
	r->max_connections = srv->max_connections;
	r->fcache_entries = 1;
	r->nworkers = 1;
	return server_listen(r, err, errlen);
}

int https_start(struct https *h, char *err, size_t errlen)
{
	return h->redirect ? server_start(&h->rsrv, err, errlen) : 0;
}

void https_announce(const struct https *h)
{
	if (h->redirect)
		printf("eisd: redirecting http://%s/ to https\n", h->rsrv.addr_text);
}

void https_reload(struct https *h)
{
	char err[512];

	if (!h->ts)
		return;
	if (tls_server_reload(h->ts, warn_log, NULL, err, sizeof(err)))
		log_error("TLS reload failed, keeping the old certificates: %s", err);
	else
		log_error("TLS certificates reloaded");
}

void https_stop(struct https *h)
{
	if (h->redirect && h->rsrv.workers)
		server_stop(&h->rsrv);
}

void https_join(struct https *h)
{
	if (h->redirect && h->rsrv.workers)
		server_join(&h->rsrv);
}

void https_free(struct https *h)
{
	if (h->rsrv.listen_fd >= 0)
		close(h->rsrv.listen_fd);
	if (h->redirect)
		free(h->rcfg.extra_headers);
	transport_tls_free(h->tp);
	tls_server_free(h->ts);
	memset(h, 0, sizeof(*h));
	h->rsrv.listen_fd = -1;
}
