/* Settings: defaults in one place, then the command line on top (the
 * options are rows of option_table.c), then the rules that span several
 * options. */
#include "app/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "app/config_file.h"
#include "app/options.h"
#include "app/site_options.h"
#include "http/auth.h"

#define set_err opt_err

void config_defaults(struct config *cfg)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	cfg->root = "www";
	cfg->bind = "127.0.0.1"; /* loopback unless asked otherwise */
	cfg->port = 8080;
	cfg->threads = cpus > 0 ? (int)(cpus > 64 ? 64 : cpus) : 1;
	cfg->protocol = PROTOCOL_HTTP;
	cfg->header_timeout = 10;
	cfg->keepalive_timeout = 15;
	cfg->send_timeout = 30;
	cfg->shutdown_grace = 5;
	cfg->health_drain = 3;
	cfg->max_request_bytes = 8192;
	cfg->max_body_bytes = 1024 * 1024;
	cfg->max_connections = 0;
	cfg->index = "index.html";
	cfg->cache_max_age = -1;
	cfg->precompressed = true;
	cfg->http2 = true;
	cfg->auth_max_failures = 10;
	cfg->compress = true;
	/* What config_resolve_locations would make of these defaults. */
	cfg->site = (struct path_settings){
		.index = cfg->index, .precompressed = true, .compress = true,
		.cache_max_age = -1,
	};
	cfg->tls_min = 12;
	cfg->hsts = -1;
	cfg->redirect_http = -1;
	cfg->acme_directory = "https://acme-v02.api.letsencrypt.org/directory";
}

void config_free(struct config *cfg)
{
	for (int i = 0; i < cfg->nlocations; i++) {
		struct config_location *loc = &cfg->locations[i];

		if (loc->scratch) {
			config_free(loc->scratch);
			free(loc->scratch);
		}
		free(loc->headers);
	}
	free(cfg->locations);
	cfg->locations = NULL;
	cfg->nlocations = 0;
	free(cfg->extra_headers);
	cfg->extra_headers = NULL;
	auth_db_free(cfg->auth_db);
	cfg->auth_db = NULL;
}

void config_usage(void)
{
	printf("usage: eisd [options] [ROOT]\n"
	       "Serve the directory ROOT (default: www) over HTTP/1.1.\n\n");
	opt_print_help(stdout);
}

static bool takes_value(const struct opt_row *row)
{
	return row->kind != OPT_FLAG && row->kind != OPT_UNFLAG && row->kind != OPT_ACTION;
}

/* --help and --version act where they stand, like getopt would. */
static enum config_result act(const struct opt_row *row)
{
	if (row->letter == 'V') {
		printf("eisd %s\n", EISD_VERSION);
		return CONFIG_EXIT;
	}
	config_usage();
	return CONFIG_EXIT;
}

/* One option that came with its value (or NULL): applies it. */
static enum config_result take(struct config *cfg, const struct opt_row *row, const char *value,
			       char *err, size_t errlen)
{
	if (row->kind == OPT_ACTION)
		return act(row);
	return opt_apply(cfg, row, value, CONFIG_SRC_CLI, err, errlen) ? CONFIG_USAGE : CONFIG_OK;
}

/* "--name", "--name=value", "--name value"; unique prefixes too. */
static enum config_result long_option(struct config *cfg, int argc, char **argv, int *i,
				      char *err, size_t errlen)
{
	const char *a = argv[*i], *name = a + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct opt_row *row;
	const char *value = NULL;
	bool ambiguous;

	row = opt_find(name, len, &ambiguous);
	if (!row) {
		set_err(err, errlen, "%s option '%s' (see --help)", ambiguous ? "ambiguous" : "unknown", a);
		return CONFIG_USAGE;
	}
	if (!takes_value(row)) {
		if (eq) {
			set_err(err, errlen, "option '--%s' takes no value (got '%s')", row->name, a);
			return CONFIG_USAGE;
		}
	} else if (eq) {
		value = eq + 1;
	} else if (*i + 1 < argc) {
		value = argv[++*i];
	} else {
		set_err(err, errlen, "option '%s' needs a value", a);
		return CONFIG_USAGE;
	}
	return take(cfg, row, value, err, errlen);
}

/* "-q", "-p 80", "-p80", "-qp 80". */
static enum config_result short_options(struct config *cfg, int argc, char **argv, int *i,
					char *err, size_t errlen)
{
	const char *a = argv[*i];

	for (size_t j = 1; a[j]; j++) {
		const struct opt_row *row = opt_by_letter(a[j]);
		const char *value = NULL;
		enum config_result rc;

		if (!row) {
			set_err(err, errlen, "unknown option '-%c' (see --help)", a[j]);
			return CONFIG_USAGE;
		}
		if (takes_value(row)) {
			if (a[j + 1]) {
				value = a + j + 1;
			} else if (*i + 1 < argc) {
				value = argv[++*i];
			} else {
				set_err(err, errlen, "option '-%c' needs a value", a[j]);
				return CONFIG_USAGE;
			}
		}
		rc = take(cfg, row, value, err, errlen);
		if (rc != CONFIG_OK || value)
			return rc;
	}
	return CONFIG_OK;
}

/* Remembers the first two non-option arguments (one is ROOT, a second
 * is an error) and counts them all. */
static void positional(int pos[2], int *npos, int i)
{
	if (*npos < 2)
		pos[*npos] = i;
	(*npos)++;
}

/* The command line: options anywhere, the rest is ROOT. */
static enum config_result parse_args(struct config *cfg, int argc, char **argv,
				     char *err, size_t errlen)
{
	const struct opt_row *root_row = opt_by_field(offsetof(struct config, root));
	bool root_flag = false;
	int npos = 0, pos[2] = { 0, 0 };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		enum config_result rc;

		if (a[0] == '-' && a[1] == '-' && a[2] == '\0') {
			for (i++; i < argc; i++)
				positional(pos, &npos, i);
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			positional(pos, &npos, i);
			continue;
		}
		rc = a[1] == '-' ? long_option(cfg, argc, argv, &i, err, errlen)
				 : short_options(cfg, argc, argv, &i, err, errlen);
		if (rc != CONFIG_OK)
			return rc;
	}
	root_flag = opt_given(cfg, root_row);
	if (npos > 0) {
		if (root_flag || npos > 1) {
			set_err(err, errlen, "unexpected argument '%s' (one ROOT only)",
				argv[pos[root_flag ? 0 : 1]]);
			return CONFIG_USAGE;
		}
		if (opt_apply(cfg, root_row, argv[pos[0]], CONFIG_SRC_CLI, err, errlen))
			return CONFIG_USAGE;
	}
	return CONFIG_OK;
}

static bool given(const struct config *cfg, size_t field)
{
	return opt_given(cfg, opt_by_field(field));
}

/* The TLS options need a certificate, and HSTS and the redirect need
 * HTTP. */
static enum config_result config_check_tls(const struct config *cfg, char *err, size_t errlen)
{
	const char *need;

	if (cfg->ntls_certs > cfg->ntls_keys) {
		set_err(err, errlen, "--tls-cert needs a --tls-key after it");
		return CONFIG_USAGE;
	}
	need = cfg->tls_min != 12 ? "--tls-min" : cfg->hsts >= 0 ? "--hsts"
	       : cfg->redirect_http >= 0 ? "--redirect-http" : cfg->tls_ocsp ? "--tls-ocsp" : NULL;
	if (!cfg->ntls_certs && !cfg->nacme && need) {
		set_err(err, errlen, "%s needs --tls-cert and --tls-key (or --acme)", need);
		return CONFIG_USAGE;
	}
	need = cfg->acme_email ? "--acme-email"
	       : given(cfg, offsetof(struct config, acme_directory)) ? "--acme-directory"
	       : cfg->acme_ca_file ? "--acme-ca-file" : cfg->acme_storage ? "--acme-storage"
	       : cfg->acme_agree_tos ? "--acme-agree-tos" : cfg->acme_challenge ? "--acme-challenge"
	       : NULL;
	if (!cfg->nacme && need) {
		set_err(err, errlen, "%s needs --acme DOMAIN", need);
		return CONFIG_USAGE;
	}
	if (cfg->nacme && cfg->acme_challenge == 1 && cfg->redirect_http < 0) {
		set_err(err, errlen, "--acme-challenge http-01 needs --redirect-http PORT");
		return CONFIG_USAGE;
	}
	if (cfg->ntls_certs + cfg->nacme > CONFIG_MAX_TLS_PAIRS) {
		set_err(err, errlen, "too many certificates: --tls-cert pairs and --acme names add up to "
			"more than %d", CONFIG_MAX_TLS_PAIRS);
		return CONFIG_USAGE;
	}
	if ((cfg->hsts >= 0 || cfg->redirect_http >= 0) && cfg->protocol != PROTOCOL_HTTP) {
		set_err(err, errlen, "%s needs --protocol http", cfg->hsts >= 0 ? "--hsts" : "--redirect-http");
		return CONFIG_USAGE;
	}
	if (cfg->hsts >= 0 && cfg->extra_headers &&
	    (strncasecmp(cfg->extra_headers, "Strict-Transport-Security:", 26) == 0 ||
	     strcasestr(cfg->extra_headers, "\nStrict-Transport-Security:"))) {
		set_err(err, errlen, "--header 'Strict-Transport-Security' and --hsts: give one of them");
		return CONFIG_USAGE;
	}
	return CONFIG_OK;
}

/* Rules that span several options, checked once all are read. */
static enum config_result config_check(struct config *cfg, char *err, size_t errlen)
{
	bool header = given(cfg, offsetof(struct config, header_timeout));
	bool keepalive = given(cfg, offsetof(struct config, keepalive_timeout));
	bool send = given(cfg, offsetof(struct config, send_timeout));

	if (cfg->chroot && !cfg->user) {
		/* root can leave a chroot at will: it only helps once root is
		 * given up. */
		set_err(err, errlen, "--chroot needs --user");
		return CONFIG_USAGE;
	}
	/* A specific timeout wins over --timeout whatever their order. */
	if (cfg->timeout) {
		if (!header)
			cfg->header_timeout = cfg->timeout;
		if (!keepalive)
			cfg->keepalive_timeout = cfg->timeout;
		if (!send)
			cfg->send_timeout = cfg->timeout;
	}
	if (cfg->status_public && !cfg->status_path) {
		set_err(err, errlen, "--status-public needs --status PATH");
		return CONFIG_USAGE;
	}
	if (given(cfg, offsetof(struct config, health_drain)) && !cfg->health_path) {
		set_err(err, errlen, "--health-drain needs --health PATH");
		return CONFIG_USAGE;
	}
	if (cfg->metrics_public && !cfg->metrics_path) {
		set_err(err, errlen, "--metrics-public needs --metrics PATH");
		return CONFIG_USAGE;
	}
	if ((cfg->metrics_path || cfg->health_path) && cfg->protocol != PROTOCOL_HTTP) {
		set_err(err, errlen, "--%s needs --protocol http", cfg->metrics_path ? "metrics" : "health");
		return CONFIG_USAGE;
	}
	if (cfg->proxy_protocol && cfg->ntrusted_proxies == 0) {
		set_err(err, errlen, "--proxy-protocol needs --trusted-proxy CIDR (who may send the header)");
		return CONFIG_USAGE;
	}
	if (cfg->status_path && cfg->protocol != PROTOCOL_HTTP) {
		set_err(err, errlen, "--status needs --protocol http (SIGUSR1 prints the report in every mode)");
		return CONFIG_USAGE;
	}
	if (cfg->protocol == PROTOCOL_ECHO && given(cfg, offsetof(struct config, root))) {
		set_err(err, errlen, "--protocol echo serves no files: leave out ROOT and --root");
		return CONFIG_USAGE;
	}
	if (config_check_tls(cfg, err, errlen) != CONFIG_OK)
		return CONFIG_USAGE;
	if (cfg->protocol != PROTOCOL_HTTP && !cfg->timeout && !header && !keepalive)
		cfg->header_timeout = cfg->keepalive_timeout = CONFIG_SERVICE_IDLE_TIMEOUT;
	return CONFIG_OK;
}

enum config_result config_parse(struct config *cfg, int argc, char **argv,
				char *err, size_t errlen)
{
	enum config_result rc = parse_args(cfg, argc, argv, err, errlen);

	if (rc == CONFIG_OK && cfg->config_file)
		rc = config_file_load(cfg, cfg->config_file, err, errlen);
	if (rc == CONFIG_OK)
		rc = config_check(cfg, err, errlen);
	if (rc == CONFIG_OK)
		rc = site_check(cfg, err, errlen);
	if (rc == CONFIG_OK && site_headers_resolve(cfg, err, errlen))
		rc = CONFIG_ERROR;
	if (rc == CONFIG_OK && config_resolve_locations(cfg, err, errlen))
		rc = CONFIG_ERROR;
	if (rc == CONFIG_OK && site_load_auth(cfg, err, errlen))
		rc = CONFIG_ERROR;
	return rc;
}

/* The byte i of "/" + rel + ("/" if trailing), -1 past its end. */
static int path_at(const char *rel, size_t len, bool trailing, size_t i)
{
	if (i == 0)
		return '/';
	if (i - 1 < len)
		return (unsigned char)rel[i - 1];
	return i - 1 == len && trailing ? '/' : -1;
}

/* Whole segments: "/a" and "/a/" both cover "/a/x"; "/a" covers "/a" but
 * not "/ab". */
static bool prefix_covers(const struct config_location *loc, const char *rel, size_t len,
			  bool trailing)
{
	size_t plen = loc->len, full = len + 1 + (trailing ? 1 : 0);

	if (full < plen)
		return false;
	for (size_t i = 0; i < plen; i++)
		if (path_at(rel, len, trailing, i) != (unsigned char)loc->prefix[i])
			return false;
	return full == plen || loc->prefix[plen - 1] == '/' || path_at(rel, len, trailing, plen) == '/';
}

const struct path_settings *config_settings_for(const struct config *cfg, const char *rel,
						 size_t len, bool trailing)
{
	/* Longest first (config_resolve_locations sorted them). */
	for (int i = 0; i < cfg->nlocations; i++)
		if (prefix_covers(&cfg->locations[i], rel, len, trailing))
			return &cfg->locations[i].set;
	return &cfg->site;
}

bool config_lists_anywhere(const struct config *cfg)
{
	if (cfg->listing || cfg->site.listing)
		return true;
	for (int i = 0; i < cfg->nlocations; i++)
		if (cfg->locations[i].set.listing)
			return true;
	return false;
}
