/* The options of a site's rules (--error-page, --fallback, --redirect,
 * --cors, --auth, --auth-realm): their setters for the option table, and
 * what is made of them once all options are read (the header block's
 * security headers, the --auth-file users). */
#ifndef EISD_SITE_OPTIONS_H
#define EISD_SITE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "app/options.h"

int site_set_error_page(struct config *cfg, const struct opt_row *row, const char *v,
			char *err, size_t errlen);
int site_set_fallback(struct config *cfg, const struct opt_row *row, const char *v,
		      char *err, size_t errlen);
int site_set_redirect(struct config *cfg, const struct opt_row *row, const char *v,
		      char *err, size_t errlen);
int site_set_cors(struct config *cfg, const struct opt_row *row, const char *v,
		  char *err, size_t errlen);
int site_set_auth(struct config *cfg, const struct opt_row *row, const char *v,
		  char *err, size_t errlen);
bool site_realm_ok(const char *v);
int site_set_vhost(struct config *cfg, const struct opt_row *row, const char *v,
		   char *err, size_t errlen);

/* The default headers (X-Content-Type-Options: nosniff; with
 * --security-headers the strict preset) put before the --header lines,
 * each replaced by a --header of the same name. 0, or -1 (err). */
int site_headers_resolve(struct config *cfg, char *err, size_t errlen);

/* The HSTS max-age --security-headers gives over TLS without --hsts. */
#define SITE_HSTS_MAX_AGE 31536000
#define SITE_HSTS_LINE 64 /* room for "Strict-Transport-Security: max-age=N\r\n" */

/* Rules across options (--auth needs --auth-file; Basic auth over plain
 * HTTP off loopback needs --auth-insecure): CONFIG_USAGE with err. */
enum config_result site_check(const struct config *cfg, char *err, size_t errlen);

/* Reads --auth-file into cfg->auth_db: 0, or -1 with err ("FILE:LINE:
 * ..." for an entry that is refused). */
int site_load_auth(struct config *cfg, char *err, size_t errlen);

#endif
