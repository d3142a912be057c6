/* Every setting eisd has, its default, and the parser entry point (the
 * options themselves are rows in options.c). */
#ifndef EISD_CONFIG_H
#define EISD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cidr.h"
/* --log-format; the values of util/log.h's enum log_format. */
enum config_log_format {
	CONFIG_LOG_COMMON,
	CONFIG_LOG_COMBINED,
	CONFIG_LOG_JSON,
};

enum protocol {
	PROTOCOL_HTTP,
	PROTOCOL_ECHO,
	PROTOCOL_FILE,
};

/* Echo and file clients are often people typing: without --timeout, they
 * may stay silent this long (HTTP keeps its short defaults). */
#define CONFIG_SERVICE_IDLE_TIMEOUT 300

#define CONFIG_MAX_HEADERS 32
#define CONFIG_MAX_MIME 64
#define CONFIG_MAX_ACME 32
#define CONFIG_MAX_TLS_PAIRS 64 /* TLS_MAX_PAIRS */
#define CONFIG_MAX_TRUSTED 64
#define CONFIG_MAX_OPTS 96       /* rows in the option table, at most */
#define CONFIG_TEXT_MAX 32768    /* bytes of option text a config holds */

/* Where an option's value came from; the command line beats the file. */
enum config_source {
	CONFIG_SRC_NONE,
	CONFIG_SRC_FILE,
	CONFIG_SRC_CLI,
};

/* What a request below a path uses: the whole site's settings, or a
 * [location PREFIX] section's (config_settings_for picks). */
struct path_settings {
	const char *index;         /* file served for a directory */
	bool listing;              /* list directories without an index */
	bool precompressed;        /* serve FILE.br / FILE.gz sidecars */
	bool compress;             /* compress compressible files on the fly */
	long cache_max_age;        /* Cache-Control max-age; -1: none */
	const char *extra_headers; /* "Name: value\r\n"...; NULL: none */
	bool header_cache_control; /* extra_headers has its own Cache-Control */
};

#define CONFIG_MAX_LOCATIONS 64
#define CONFIG_MAX_ERROR_PAGES 16
#define CONFIG_MAX_REDIRECTS 64
#define CONFIG_MAX_CORS 16
#define CONFIG_MAX_AUTH 16

/* Paths the operator wrote are kept in "full" form: the request path as
 * path_normalize leaves it, with its leading '/' (and a trailing '/' when
 * written with one): "/docs/", "/old.html". Rules compare them with the
 * same form of the request's path (files/rules.h). */

/* --error-page CODE=PATH */
struct config_error_page {
	int status;
	const char *rel;         /* relative to the root, as fcache_get wants */
};

/* --redirect FROM=TO[:CODE] */
struct config_redirect {
	const char *from;        /* full form */
	size_t from_len;
	bool prefix;             /* FROM ends with '/': the rest is kept */
	const char *to;          /* a path ("/new/") or an absolute URL */
	size_t to_len;
	int status;              /* 301 or 308 */
};

/* --auth PREFIX */
struct config_prefix {
	const char *path;        /* full form */
	size_t len;
};

struct auth_db;

/* --vhost NAME=DIR */
#define CONFIG_MAX_VHOSTS 64
struct config_vhost {
	const char *name;        /* lower case; "*.example.org" a wildcard */
	const char *dir;
};

struct config_location {
	const char *prefix;        /* decoded, normalised: "/assets/" */
	size_t len;
	struct path_settings set;
	struct config *scratch;    /* while parsing: the section's own options */
	char *headers;             /* owned: the merged header block */
};

struct config {
	const char *root;        /* document root */
	const char *bind;        /* address to listen on */
	int port;                /* 0: let the kernel pick */
	int threads;             /* worker threads */
	enum protocol protocol;

	/* Deadlines, in seconds (--timeout sets all three). */
	int header_timeout;      /* whole request head must arrive by then */
	int keepalive_timeout;   /* idle keep-alive connection */
	int send_timeout;        /* client not reading its response */
	int shutdown_grace;      /* in-flight responses may finish */
	int timeout;             /* --timeout as given; 0: not given */

	size_t max_request_bytes; /* largest request head */
	uint64_t max_body_bytes;  /* largest request body we discard */
	long max_connections;     /* 0: derived from RLIMIT_NOFILE */

	const char *access_log;  /* NULL or "-": stdout */
	bool quiet;              /* no access log */
	enum config_log_format log_format; /* --log-format */

	/* The status report (HTTP only; SIGUSR1 works in every mode). */
	const char *status_path; /* NULL: off; else "/_status"-like */
	bool status_public;      /* non-loopback clients may see it too */
	/* Prometheus metrics and the load balancer's health check (HTTP). */
	const char *metrics_path; /* NULL: off */
	bool metrics_public;      /* non-loopback clients may read them too */
	const char *health_path;  /* NULL: off */
	int health_drain;         /* seconds of 503 before a stop (--health only) */
	/* Behind a proxy: the PROXY protocol header is required on every
	 * connection, and accepted only from these; X-Forwarded-For and
	 * Forwarded name the client in the log when the peer is one. */
	bool proxy_protocol;
	struct cidr trusted_proxies[CONFIG_MAX_TRUSTED];
	int ntrusted_proxies;
	/* What a request maps to and how files are described. */
	const char *index;       /* file served for a directory (--index) */
	bool listing;            /* list directories without an index */
	long cache_max_age;      /* Cache-Control max-age; -1: none */
	bool precompressed;      /* serve FILE.br / FILE.gz sidecars */
	bool http2;              /* HTTP/2: h2c prior knowledge, ALPN h2 (--no-http2) */
	bool compress;           /* --compress (default) / --no-compress */
	const char *mime_types[CONFIG_MAX_MIME]; /* --mime-type "EXT=TYPE" */
	int nmime_types;
	/* --header lines, each "Name: value\r\n", concatenated, validated;
	 * owned (config_free); NULL when none. */
	char *extra_headers;
	/* Site rules (files/rules.h, http/cors.h, http/auth.h). */
	bool security_headers;   /* --security-headers: the strict preset */
	struct config_error_page error_pages[CONFIG_MAX_ERROR_PAGES];
	int nerror_pages;
	const char *fallback;    /* --fallback: relative path; NULL: none */
	struct config_redirect redirects[CONFIG_MAX_REDIRECTS];
	int nredirects;
	const char *cors[CONFIG_MAX_CORS]; /* allowed origins; "*" any */
	int ncors;
	const char *auth_file;   /* --auth-file FILE */
	struct config_prefix auth[CONFIG_MAX_AUTH]; /* none given: all */
	int nauth;
	const char *auth_realm;
	bool auth_insecure;      /* allow Basic auth over plain HTTP off loopback */
	long auth_max_failures;  /* failures per client address in the window */
	struct auth_db *auth_db; /* owned: the loaded --auth-file */
	struct config_vhost vhosts[CONFIG_MAX_VHOSTS];
	int nvhosts;
	bool vhost_strict;       /* a Host no vhost has: 421 */

	const char *user;        /* NULL: keep the starting user */
	bool chroot;             /* chroot into root (needs user) */
	const char *config_file; /* --config FILE; NULL: none */
	bool check_config;       /* --check-config: validate, then exit */

	/* Per-path settings, resolved once everything is read: the site's,
	 * then the [location] sections, longest prefix first. Code that sets
	 * the fields above by hand calls config_resolve_locations after. */
	struct path_settings site;
	struct config_location *locations; /* owned */
	int nlocations;

	/* TLS (docs/tls.md). --tls-cert/--tls-key pairs in order; the first
	 * is the default certificate. ntls_certs == 0: plain TCP. */
	const char *tls_certs[CONFIG_MAX_TLS_PAIRS];
	const char *tls_keys[CONFIG_MAX_TLS_PAIRS];
	int ntls_certs, ntls_keys;
	int tls_min;             /* 12 or 13 */
	const char *tls_ocsp;    /* DER OCSP response to staple, or NULL */
	long hsts;               /* Strict-Transport-Security max-age; -1: off */
	int redirect_http;       /* plain listener answering 308; -1: off */
	/* Set by main on the redirect listener's copy only: every request is
	 * answered with 308 to this HTTPS port. 0: serve normally. */
	int redirect_https_port;
	/* Automatic HTTPS (docs/acme.md): names whose certificates eisd
	 * obtains and renews itself, beside or instead of --tls-cert. */
	const char *acme_domains[CONFIG_MAX_ACME];
	int nacme;
	const char *acme_email;     /* account contact, or NULL */
	const char *acme_directory; /* the CA's directory URL */
	const char *acme_ca_file;   /* trust for the CA, or NULL: the system's */
	const char *acme_storage;   /* NULL: the default (acme_default_storage) */
	bool acme_agree_tos;
	int acme_challenge;         /* 0: tls-alpn-01, 1: http-01 */
	/* Set by main on the listener that answers HTTP-01 (the redirect
	 * one): the key authorization for a token, or -1 (acme.h). */
	long (*acme_http01)(const char *token, size_t len, char *out, size_t outlen);
	/* Bookkeeping of the parser. Strings above point into text (the
	 * config's own copies) or at built-in defaults, never into argv. */
	unsigned char given[CONFIG_MAX_OPTS]; /* enum config_source per row */
	int nheaders;            /* --header options so far */
	size_t text_used;
	char text[CONFIG_TEXT_MAX];
};

void config_defaults(struct config *cfg);

enum config_result {
	CONFIG_OK,
	CONFIG_EXIT,  /* --help or --version printed; exit 0 */
	CONFIG_USAGE, /* message in err; exit 2 */
	CONFIG_ERROR, /* message in err; exit 1 (a config file cannot be read) */
};

enum config_result config_parse(struct config *cfg, int argc, char **argv,
				char *err, size_t errlen);

/* Frees what config_parse allocated. */
void config_free(struct config *cfg);

/* Whether any path may be listed (the site or a [location]). */
bool config_lists_anywhere(const struct config *cfg);

/* The settings for a request path as path_normalize leaves it (decoded,
 * normalised, relative to the root: "a/b.txt", "" for the root; trailing:
 * the request ended with '/'): the longest [location] prefix that covers
 * it in whole segments ("/a/" and "/a" cover "/a/x"; "/a" covers "/a" but
 * not "/ab"), else the site's. A pure function of cfg. */
const struct path_settings *config_settings_for(const struct config *cfg, const char *rel,
						 size_t len, bool trailing);

/* Prints the --help text to stdout. */
void config_usage(void);

#endif
