/* What main does for TLS: load the certificates into a tls_server, put
 * the TLS transport under the listener, add HSTS, run the plain
 * --redirect-http listener beside it, and reload on SIGHUP. */
#ifndef EISD_HTTPS_H
#define EISD_HTTPS_H

#include <stdbool.h>
#include <stddef.h>

#include "app/config.h"
#include "core/server.h"

struct tls_server;
struct transport;

struct https {
	struct tls_server *ts;   /* NULL: no TLS */
	struct transport *tp;
	bool redirect;           /* the redirect listener exists */
	struct config rcfg;      /* its configuration (a copy, without HSTS) */
	struct server rsrv;
};

/* With TLS flags: loads every pair (warnings to stderr), makes srv speak
 * TLS and adds the HSTS header. 0, or -1 with one line in err. */
int https_setup(struct https *h, struct config *cfg, struct server *srv, char *err, size_t errlen);
/* After srv is bound: binds the redirect listener (same address). */
int https_listen(struct https *h, const struct server *srv, char *err, size_t errlen);
int https_start(struct https *h, char *err, size_t errlen);
/* Prints the redirect listener's start line. */
void https_announce(const struct https *h);
/* SIGHUP: reloads the certificates; one line on stderr either way. */
void https_reload(struct https *h);
void https_stop(struct https *h);
void https_join(struct https *h);
void https_free(struct https *h);

#endif
