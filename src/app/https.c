/* TLS and the HTTP->HTTPS redirect, as main sets them up (https.h). */
#include "app/https.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "acme/acme.h"
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

/* ---- ACME's hooks into TLS ---- */

static int acme_install(void *arg, const char *name, const char *chain_pem, const char *key_pem,
			char *err, size_t errlen)
{
	struct https *h = arg;

	/* The files are in the storage already: load every pair again, so
	 * new handshakes get the new certificate and connections in flight
	 * keep theirs. */
	return tls_server_reload(h->ts, warn_log, NULL, err, errlen);
}

static int acme_alpn(void *arg, const char *name, const char *cert_pem, const char *key_pem)
{
	struct https *h = arg;

	return tls_server_set_challenge(h->ts, name, cert_pem, key_pem);
}

#define ACME_FIRST_DEADLINE_S 120

/* Before TLS loads the stored pairs: the manager vets them (a corrupt
 * file is set aside, so TLS starts without it). */
static int acme_prepare(struct https *h, const struct config *cfg, char *err, size_t errlen)
{
	struct acme_settings set = {
		.email = cfg->acme_email,
		.directory = cfg->acme_directory,
		.ca_file = cfg->acme_ca_file,
		.storage = h->acme_storage,
		.agree_tos = cfg->acme_agree_tos,
		.http01 = cfg->acme_challenge == 1,
		.tls_alpn01 = cfg->acme_challenge == 0,
	};
	const struct acme_hooks hooks = { .install = acme_install, .alpn_challenge = acme_alpn, .arg = h };
	char e2[768];

	for (int i = 0; i < cfg->nacme; i++)
		set.domains[i] = cfg->acme_domains[i];
	set.ndomains = cfg->nacme;
	h->acme = acme_manager_new(&set, &hooks);
	if (!h->acme) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (acme_manager_prepare(h->acme, e2, sizeof(e2))) {
		snprintf(err, errlen, "acme: %s", e2);
		return -1;
	}
	return 0;
}

int https_setup(struct https *h, struct config *cfg, struct server *srv, char *err, size_t errlen)
{
	struct tls_settings st = { 0 };

	memset(h, 0, sizeof(*h));
	h->rsrv.listen_fd = -1;
	if (cfg->ntls_certs == 0 && cfg->nacme == 0)
		return 0;
	for (int i = 0; i < cfg->ntls_certs; i++) {
		st.certs[i] = cfg->tls_certs[i];
		st.keys[i] = cfg->tls_keys[i];
	}
	st.npairs = cfg->ntls_certs;
	/* ACME's certificates are pairs of files in its storage, loaded like
	 * the others once they exist; a renewal writes them and reloads. */
	if (cfg->nacme) {
		if (cfg->acme_storage)
			snprintf(h->acme_storage, sizeof(h->acme_storage), "%s", cfg->acme_storage);
		else
			acme_default_storage(h->acme_storage, sizeof(h->acme_storage));
	}
	for (int i = 0; i < cfg->nacme; i++) {
		snprintf(h->acme_files[i][0], sizeof(h->acme_files[i][0]), "%s/%s.crt",
			 h->acme_storage, cfg->acme_domains[i]);
		snprintf(h->acme_files[i][1], sizeof(h->acme_files[i][1]), "%s/%s.key",
			 h->acme_storage, cfg->acme_domains[i]);
		st.certs[st.npairs] = h->acme_files[i][0];
		st.keys[st.npairs] = h->acme_files[i][1];
		st.optional[st.npairs++] = true;
	}
	if (cfg->nacme && acme_prepare(h, cfg, err, errlen))
		return -1;
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
	/* HTTP/2 by ALPN: h2 offered before http/1.1, unless --no-http2. */
	if (cfg->http2)
		transport_tls_set_h2(h->tp, &proto_h2);
	srv->tls_body_path = tls_server_ktls(h->ts) ? "ktls-sendfile" : "ssl-write-16k";
	if (cfg->redirect_http >= 0) {
		/* The redirect listener: the same settings on its own port,
		 * one thread, every request answered with 308, and no HSTS
		 * (RFC 6797 §7.2: only over a secure transport). */
		h->rcfg = *cfg;
		h->rcfg.port = cfg->redirect_http;
		h->rcfg.threads = 1;
		h->rcfg.ntls_certs = h->rcfg.ntls_keys = 0;
		h->rcfg.nacme = 0;
		if (cfg->nacme && cfg->acme_challenge == 1)
			h->rcfg.acme_http01 = acme_http01_answer;
		h->rcfg.extra_headers = cfg->extra_headers ? without_hsts(cfg->extra_headers) : NULL;
		if (cfg->extra_headers && !h->rcfg.extra_headers) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		h->redirect = true;
	}
	return 0;
}

int https_listen(struct https *h, struct server *srv, char *err, size_t errlen)
{
	struct server *r = &h->rsrv;

	if (!h->redirect)
		return 0;
	h->rcfg.redirect_https_port = srv->port;
	r->cfg = &h->rcfg;
	r->proto = &proto_http;
	r->mime = srv->mime;
	r->root_fd = srv->root_fd;
	/* Its lines go to the same access log, through the same sink. */
	log_sink_init(&r->log, -1, false, "access log", NULL);
	r->log_shared = srv->log_shared ? srv->log_shared : &srv->log;
	r->max_connections = srv->max_connections;
	r->fcache_entries = 1;
	r->nworkers = 1;
	r->hooks = srv->hooks;
	return server_listen(r, err, errlen);
}

int https_start(struct https *h, char *err, size_t errlen)
{
	return h->redirect ? server_start(&h->rsrv, err, errlen) : 0;
}

int https_acme_start(struct https *h, const struct config *cfg, char *err, size_t errlen)
{
	char e2[768];

	if (!h->acme)
		return 0;
	if (acme_manager_start(h->acme, ACME_FIRST_DEADLINE_S, e2, sizeof(e2))) {
		snprintf(err, errlen, "acme: %s", e2);
		return -1;
	}
	if (acme_manager_run(h->acme)) {
		snprintf(err, errlen, "acme: cannot start the renewal thread");
		return -1;
	}
	return 0;
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
	acme_manager_free(h->acme);
	h->acme = NULL;
	if (h->rsrv.listen_fd >= 0)
		close(h->rsrv.listen_fd);
	if (h->redirect)
		free(h->rcfg.extra_headers);
	transport_tls_free(h->tp);
	tls_server_free(h->ts);
	memset(h, 0, sizeof(*h));
	h->rsrv.listen_fd = -1;
}
