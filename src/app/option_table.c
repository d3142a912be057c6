/* Every option eisd has: one row each (options.h says what a row holds).
 * The order is the order of --help. */
#include "app/options.h"
#include "app/site_options.h"
#include "util/chars.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define F(name) offsetof(struct config, name)

#define set_err opt_err

static bool nonempty(const char *s)
{
	return *s != '\0';
}

/* A status path is matched byte for byte against the request path, so it
 * must look like one: absolute, visible ASCII, no query or fragment. */
static bool status_path_ok(const char *p)
{
	if (p[0] != '/')
		return false;
	for (; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '?' || *p == '#' || *p == '%')
			return false;
	return true;
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool index_name_ok(const char *name)
{
	size_t n = strlen(name);

	/* One file name in the directory itself; a hidden one would be
	 * refused on any other path, so it is refused here too. */
	return !has_ctl(name) && n > 0 && n <= NAME_MAX && name[0] != '.' &&
	       strchr(name, '/') == NULL;
}

/* --trusted-proxy: an address or a range without host bits. */
static int set_trusted_proxy(struct config *cfg, const struct opt_row *row, const char *v,
			     char *err, size_t errlen)
{
	if (opt_full(row, cfg->ntrusted_proxies, CONFIG_MAX_TRUSTED, err, errlen))
		return -1;
	if (cidr_parse(v, &cfg->trusted_proxies[cfg->ntrusted_proxies])) {
		set_err(err, errlen, "invalid --trusted-proxy '%s' (expected an address or "
			"ADDR/LEN without host bits, e.g. 10.0.0.0/8)", v);
		return -1;
	}
	cfg->ntrusted_proxies++;
	return 0;
}

/* "EXT=TYPE": the parts are checked by the mime table when it is built
 * (main.c); here only the shape. */
static int set_mime_type(struct config *cfg, const struct opt_row *row, const char *v,
			 char *err, size_t errlen)
{
	const char *eq = strchr(v, '=');

	if (has_ctl(v)) {
		set_err(err, errlen, "invalid --mime-type: control characters are not allowed");
		return -1;
	}
	if (eq == NULL || eq == v || eq[1] == '\0') {
		set_err(err, errlen, "invalid --mime-type '%s' (expected EXT=TYPE, e.g. md=text/markdown)", v);
		return -1;
	}
	return opt_append(cfg, row, v, cfg->mime_types, &cfg->nmime_types, CONFIG_MAX_MIME,
			  err, errlen);
}

/* Headers eisd writes itself, or that frame the message: a second copy
 * from --header would make the response ambiguous or break it. */
static const char *const reserved_headers[] = {
	"Accept-Ranges", "Connection", "Content-Encoding", "Content-Length",
	"Content-Range", "Content-Type", "Date", "ETag", "Keep-Alive",
	"Last-Modified", "Location", "Server", "TE", "Trailer",
	"Transfer-Encoding", "Upgrade",
};

/* Checks one value "Name: value" and appends "Name: value\r\n" (value
 * without surrounding whitespace) to the header block. */
static int set_header(struct config *cfg, const struct opt_row *row, const char *arg,
		      char *err, size_t errlen)
{
	const char *colon = strchr(arg, ':');
	const char *v, *end;
	size_t name_len, old, n;
	char *nb;

	if (opt_full(row, cfg->nheaders, CONFIG_MAX_HEADERS, err, errlen))
		return -1;
	if (colon == NULL || colon == arg) {
		set_err(err, errlen, "invalid --header (expected 'Name: value')");
		return -1;
	}
	name_len = (size_t)(colon - arg);
	for (size_t i = 0; i < name_len; i++) {
		if (!chars_is_tchar((unsigned char)arg[i])) {
			set_err(err, errlen, "invalid --header name (must be a token: letters, digits, !#$%%&'*+-.^_`|~)");
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(reserved_headers) / sizeof(reserved_headers[0]); i++) {
		if (strlen(reserved_headers[i]) == name_len &&
		    strncasecmp(arg, reserved_headers[i], name_len) == 0) {
			set_err(err, errlen, "--header '%s' is not allowed: eisd sets that header itself",
				reserved_headers[i]);
			return -1;
		}
	}
	v = colon + 1;
	while (chars_is_ows((unsigned char)*v))
		v++;
	end = v + strlen(v);
	while (end > v && chars_is_ows((unsigned char)end[-1]))
		end--;
	for (const char *p = v; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		/* CR or LF would let the value start a header of its own. */
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			set_err(err, errlen, "invalid --header '%.*s': the value may not contain CR, LF or other control characters",
				(int)name_len, arg);
			return -1;
		}
	}
	old = cfg->extra_headers ? strlen(cfg->extra_headers) : 0;
	n = name_len + 2 + (size_t)(end - v) + 2;
	nb = realloc(cfg->extra_headers, old + n + 1);
	if (nb == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	snprintf(nb + old, n + 1, "%.*s: %.*s\r\n", (int)name_len, arg, (int)(end - v), v);
	cfg->extra_headers = nb;
	cfg->nheaders++;
	return 0;
}

static const char *const protocols[] = { "http", "echo", "file", NULL };
static const char *const log_formats[] = { "common", "combined", "json", NULL };

static const char *const acme_challenges[] = { "tls-alpn-01", "http-01", NULL };

/* A DNS name a public CA can issue for: labels of letters, digits and
 * inner hyphens, at most 63 bytes each and 253 in all. It also becomes
 * a file name in the ACME storage, which this keeps safe (no slash, no
 * leading dot). */
static bool acme_name_ok(const char *n)
{
	size_t len = strlen(n), label = 0;

	if (len == 0 || len > 253 || n[0] == '.' || n[len - 1] == '.' || !strchr(n, '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		if (c == '.') {
			if (label == 0 || n[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && !(c == '-' && label > 0))
			return false;
		if (++label > 63)
			return false;
	}
	return n[len - 1] != '-';
}

static int set_acme_domain(struct config *cfg, const struct opt_row *row, const char *v,
			   char *err, size_t errlen)
{
	char lower[256];
	size_t i;

	if (strncmp(v, "*.", 2) == 0) {
		set_err(err, errlen, "--acme '%s': a wildcard name needs the DNS-01 challenge, which "
			"eisd does not answer", v);
		return -1;
	}
	if (!acme_name_ok(v)) {
		set_err(err, errlen, "invalid --acme name '%s' (expected a DNS name like example.org)", v);
		return -1;
	}
	/* Before the duplicate check, in its own words ("names"). */
	if (cfg->nacme == CONFIG_MAX_ACME) {
		set_err(err, errlen, "too many --acme names (at most %d)", CONFIG_MAX_ACME);
		return -1;
	}
	for (i = 0; v[i]; i++)
		lower[i] = (char)((v[i] >= 'A' && v[i] <= 'Z') ? v[i] + 32 : v[i]);
	lower[i] = '\0';
	for (int k = 0; k < cfg->nacme; k++)
		if (strcmp(cfg->acme_domains[k], lower) == 0) {
			set_err(err, errlen, "--acme '%s' given twice", v);
			return -1;
		}
	return opt_append(cfg, row, lower, cfg->acme_domains, &cfg->nacme, CONFIG_MAX_ACME,
			  err, errlen);
}

static bool acme_email_ok(const char *v)
{
	const char *at = strchr(v, '@');

	if (!at || at == v || !at[1] || strchr(at + 1, '@'))
		return false;
	for (; *v; v++)
		if (*v <= ' ' || *v >= 0x7f || *v == ',' || *v == '<' || *v == '>')
			return false;
	return true;
}

static bool https_url_ok(const char *v)
{
	return strncmp(v, "https://", 8) == 0 && v[8] && !has_ctl(v) && !strchr(v, ' ');
}

/* --tls-cert and --tls-key come in pairs, each key after its cert. */
static int set_tls_cert(struct config *cfg, const struct opt_row *row, const char *v,
			char *err, size_t errlen)
{
	if (cfg->ntls_certs > cfg->ntls_keys) {
		set_err(err, errlen, "--tls-cert needs a --tls-key after it");
		return -1;
	}
	return opt_append(cfg, row, v, cfg->tls_certs, &cfg->ntls_certs, CONFIG_MAX_TLS_PAIRS,
			  err, errlen);
}

static int set_tls_key(struct config *cfg, const struct opt_row *row, const char *v,
		       char *err, size_t errlen)
{
	if (cfg->ntls_keys >= cfg->ntls_certs) {
		set_err(err, errlen, "--tls-key needs a --tls-cert before it");
		return -1;
	}
	/* Never full: there are fewer keys than certificates. */
	return opt_append(cfg, row, v, cfg->tls_keys, &cfg->ntls_keys, CONFIG_MAX_TLS_PAIRS,
			  err, errlen);
}

static int set_tls_min(struct config *cfg, const struct opt_row *row, const char *v,
		       char *err, size_t errlen)
{
	if (strcmp(v, "1.2") == 0)
		cfg->tls_min = 12;
	else if (strcmp(v, "1.3") == 0)
		cfg->tls_min = 13;
	else {
		set_err(err, errlen, "invalid --tls-min '%s' (expected 1.2 or 1.3)", v);
		return -1;
	}
	return 0;
}

#define TIMEOUT(n, f, what_, help_) \
	{ .name = n, .kind = OPT_INT, .field = F(f), .min = 1, .max = 86400, \
	  .flags = OPT_LIVE, .what = what_, .unit = " seconds", .arg = "SEC", .help = help_ }

const struct opt_row opt_table[] = {
	{ .name = "port", .letter = 'p', .kind = OPT_INT, .field = F(port), .min = 0, .max = 65535,
	  .what = "port", .arg = "N",
	  .help = "port to listen on (default 8080; 0 picks a free one)" },
	{ .name = "bind", .letter = 'b', .kind = OPT_TEXT, .field = F(bind), .arg = "ADDR",
	  .help = "address to bind (default 127.0.0.1; IPv6 like ::1 works)" },
	{ .name = "root", .letter = 'r', .kind = OPT_TEXT, .field = F(root),
	  .arg = "DIR", .help = "document root (same as ROOT)" },
	{ .name = "threads", .letter = 't', .kind = OPT_INT, .field = F(threads), .min = 1, .max = 1024,
	  .what = "thread count", .arg = "N", .help = "worker threads (default: online CPUs)" },
	TIMEOUT("header-timeout", header_timeout, "--header-timeout",
		"time for a whole request head (default 10; then 408)"),
	TIMEOUT("keepalive-timeout", keepalive_timeout, "--keepalive-timeout",
		"idle keep-alive connection lasts (default 15)"),
	TIMEOUT("send-timeout", send_timeout, "--send-timeout",
		"client not reading its response (default 30)"),
	TIMEOUT("timeout", timeout, "timeout",
		"sets the three timeouts above at once (echo/file: 300)"),
	{ .name = "shutdown-grace", .kind = OPT_INT, .field = F(shutdown_grace), .min = 0, .max = 3600,
	  .flags = OPT_LIVE, .what = "--shutdown-grace", .unit = " seconds", .arg = "SEC",
	  .help = "on SIGTERM, time for responses in flight (default 5)" },
	{ .name = "max-connections", .kind = OPT_LONG, .field = F(max_connections), .min = 1,
	  .max = 10000000, .what = "--max-connections", .arg = "N",
	  .help = "open connections at most (default: from the fd limit)" },
	{ .name = "max-request-bytes", .kind = OPT_SIZE, .field = F(max_request_bytes), .min = 256,
	  .max = 1 << 20, .what = "--max-request-bytes", .arg = "N",
	  .help = "largest request head accepted (default 8192)" },
	{ .name = "access-log", .kind = OPT_TEXT, .field = F(access_log), .flags = OPT_LIVE,
	  .arg = "FILE", .help = "access log in Common Log Format (default stdout; - for stdout)" },
	{ .name = "log-format", .kind = OPT_CHOICE, .field = F(log_format), .choices = log_formats,
	  .flags = OPT_LIVE, .what = "--log-format", .arg = "NAME",
	  .help = "common (default), combined (+ Referer, User-Agent) or json" },
	{ .name = "quiet", .letter = 'q', .kind = OPT_FLAG, .field = F(quiet),
	  .help = "no access log" },
	{ .name = "user", .kind = OPT_TEXT, .field = F(user), .check = nonempty,
	  .bad = "--user needs a user name", .arg = "NAME",
	  .help = "when started as root: run as NAME after binding" },
	{ .name = "chroot", .kind = OPT_FLAG, .field = F(chroot),
	  .help = "with --user: chroot into ROOT before dropping root" },
	{ .name = "protocol", .kind = OPT_CHOICE, .field = F(protocol), .choices = protocols,
	  .what = "protocol", .arg = "NAME",
	  .help = "http (default), echo, or file (the file service)" },
	{ .name = "status", .kind = OPT_TEXT, .field = F(status_path), .check = status_path_ok,
	  .bad = "invalid --status path '%s' (expected an absolute path like /_status)",
	  .flags = OPT_LIVE, .arg = "PATH", .help = "status report at PATH, e.g. /_status (http only)" },
	{ .name = "status-public", .kind = OPT_FLAG, .field = F(status_public), .flags = OPT_LIVE,
	  .help = "let non-loopback clients see the status report too" },
	{ .name = "metrics", .kind = OPT_TEXT, .field = F(metrics_path), .check = status_path_ok,
	  .bad = "invalid --metrics path '%s' (expected an absolute path like /_metrics)",
	  .flags = OPT_LIVE, .arg = "PATH",
	  .help = "Prometheus metrics at PATH, e.g. /_metrics (loopback only)" },
	{ .name = "metrics-public", .kind = OPT_FLAG, .field = F(metrics_public), .flags = OPT_LIVE,
	  .help = "let non-loopback clients read the metrics too" },
	{ .name = "health", .kind = OPT_TEXT, .field = F(health_path), .check = status_path_ok,
	  .bad = "invalid --health path '%s' (expected an absolute path like /_health)",
	  .flags = OPT_LIVE, .arg = "PATH",
	  .help = "health check at PATH: 200 while serving, 503 once stopping" },
	{ .name = "health-drain", .kind = OPT_INT, .field = F(health_drain), .min = 0, .max = 3600,
	  .flags = OPT_LIVE, .what = "--health-drain", .unit = " seconds", .arg = "SEC",
	  .help = "on a stop, answer 503 at --health this long first (default 3)" },
	{ .name = "proxy-protocol", .kind = OPT_FLAG, .field = F(proxy_protocol),
	  .help = "each connection starts with a PROXY v1/v2 header" },
	{ .name = "trusted-proxy", .kind = OPT_CUSTOM, .field = F(trusted_proxies),
	  .set = set_trusted_proxy, .flags = OPT_REPEAT | OPT_LIVE, .arg = "CIDR",
	  .help = "proxy that may send PROXY and X-Forwarded-For (repeatable)" },
	{ .name = "index", .kind = OPT_TEXT, .field = F(index), .check = index_name_ok,
	  .bad = "invalid --index '%s' (expected a file name: no '/', not starting with '.')",
	  .flags = OPT_LIVE | OPT_LOCAL, .arg = "NAME",
	  .help = "file served for a directory (default index.html)" },
	{ .name = "listing", .kind = OPT_FLAG, .field = F(listing), .flags = OPT_LIVE | OPT_LOCAL,
	  .help = "list directories that have no index file" },
	{ .name = "cache-max-age", .kind = OPT_LONG, .field = F(cache_max_age), .min = 0,
	  .max = 2147483647, .flags = OPT_LIVE | OPT_LOCAL, .what = "--cache-max-age", .unit = " seconds",
	  .arg = "SEC", .help = "add Cache-Control: public, max-age=SEC to files" },
	{ .name = "mime-type", .kind = OPT_CUSTOM, .field = F(mime_types), .set = set_mime_type,
	  .flags = OPT_REPEAT | OPT_LIVE, .arg = "EXT=TYPE",
	  .help = "serve *.EXT as TYPE (repeatable)" },
	{ .name = "header", .kind = OPT_CUSTOM, .field = F(extra_headers), .set = set_header,
	  .flags = OPT_REPEAT | OPT_LIVE | OPT_LOCAL, .arg = "'Name: value'",
	  .help = "add a header to every response (repeatable)" },
	{ .name = "no-precompressed", .kind = OPT_UNFLAG, .field = F(precompressed),
	  .flags = OPT_LIVE | OPT_LOCAL, .help = "never look for FILE.br / FILE.gz to send instead" },
	{ .name = "no-http2", .kind = OPT_UNFLAG, .field = F(http2),
	  .help = "HTTP/1.1 only: no HTTP/2 by prior knowledge, no h2 in ALPN" },
	{ .name = "security-headers", .kind = OPT_FLAG, .field = F(security_headers), .flags = OPT_LIVE,
	  .help = "strict CSP, Referrer-Policy, X-Frame-Options, Permissions-Policy" },
	{ .name = "error-page", .kind = OPT_CUSTOM, .field = F(error_pages), .set = site_set_error_page,
	  .flags = OPT_REPEAT | OPT_LIVE, .arg = "CODE=PATH",
	  .help = "serve the file PATH as the body of status CODE (repeatable)" },
	{ .name = "fallback", .kind = OPT_CUSTOM, .field = F(fallback), .set = site_set_fallback,
	  .flags = OPT_LIVE, .arg = "PATH",
	  .help = "single-page app: PATH (200) for missing pages that accept HTML" },
	{ .name = "redirect", .kind = OPT_CUSTOM, .field = F(redirects), .set = site_set_redirect,
	  .flags = OPT_REPEAT | OPT_LIVE, .arg = "FROM=TO[:CODE]",
	  .help = "redirect a path (or a prefix ending in /) to TO, 301 or 308 (repeatable)" },
	{ .name = "cors", .kind = OPT_CUSTOM, .field = F(cors), .set = site_set_cors,
	  .flags = OPT_REPEAT | OPT_LIVE, .arg = "ORIGIN",
	  .help = "let ORIGIN (or *) read the site from its pages (repeatable)" },
	{ .name = "auth-file", .kind = OPT_TEXT, .field = F(auth_file), .check = nonempty,
	  .bad = "--auth-file needs a file name", .flags = OPT_LIVE, .arg = "FILE",
	  .help = "require a user of the htpasswd FILE (bcrypt or SHA-crypt)" },
	{ .name = "auth", .kind = OPT_CUSTOM, .field = F(auth), .set = site_set_auth,
	  .flags = OPT_REPEAT | OPT_LIVE, .arg = "PREFIX",
	  .help = "only paths under PREFIX need a user (repeatable; default: all)" },
	{ .name = "auth-realm", .kind = OPT_TEXT, .field = F(auth_realm), .check = site_realm_ok,
	  .bad = "invalid --auth-realm '%s' (1-64 printable characters, no quote or backslash)",
	  .flags = OPT_LIVE, .arg = "TEXT", .help = "the realm browsers show (default eisd)" },
	{ .name = "auth-max-failures", .kind = OPT_LONG, .field = F(auth_max_failures), .min = 1,
	  .max = 1000000, .flags = OPT_LIVE, .what = "--auth-max-failures", .arg = "N",
	  .help = "failed logins per client address a minute, then 429 (default 10)" },
	{ .name = "auth-insecure", .kind = OPT_FLAG, .field = F(auth_insecure), .flags = OPT_LIVE,
	  .help = "allow --auth-file over plain HTTP on a non-loopback address" },
	{ .name = "vhost", .kind = OPT_CUSTOM, .field = F(vhosts), .set = site_set_vhost,
	  .flags = OPT_REPEAT, .arg = "NAME=DIR",
	  .help = "serve DIR for Host NAME (or *.NAME, one label); repeatable" },
	{ .name = "vhost-strict", .kind = OPT_FLAG, .field = F(vhost_strict),
	  .help = "answer 421 to a Host no --vhost names (default: serve ROOT)" },
	{ .name = "tls-cert", .kind = OPT_CUSTOM, .field = F(tls_certs), .set = set_tls_cert,
	  .flags = OPT_REPEAT, .arg = "FILE",
	  .help = "speak TLS with this PEM certificate and chain (repeatable: SNI)" },
	{ .name = "tls-key", .kind = OPT_CUSTOM, .field = F(tls_keys), .set = set_tls_key,
	  .flags = OPT_REPEAT, .arg = "FILE", .help = "the PEM private key of the --tls-cert before it" },
	{ .name = "tls-min", .kind = OPT_CUSTOM, .field = F(tls_min), .set = set_tls_min,
	  .arg = "1.2|1.3", .help = "oldest TLS version accepted (default 1.2)" },
	{ .name = "tls-ocsp", .kind = OPT_TEXT, .field = F(tls_ocsp), .arg = "FILE",
	  .help = "staple this DER OCSP response (first certificate)" },
	{ .name = "hsts", .kind = OPT_LONG, .field = F(hsts), .min = 0, .max = 2147483647,
	  .what = "--hsts", .unit = " seconds", .arg = "SEC",
	  .help = "add Strict-Transport-Security: max-age=SEC (TLS only)" },
	{ .name = "redirect-http", .kind = OPT_INT, .field = F(redirect_http), .min = 0,
	  .max = 65535, .what = "--redirect-http port", .arg = "PORT",
	  .help = "plain listener answering 308 to https://HOST[:PORT]/..." },
	{ .name = "acme", .kind = OPT_CUSTOM, .field = F(acme_domains), .set = set_acme_domain,
	  .flags = OPT_REPEAT, .arg = "DOMAIN",
	  .help = "get and renew a certificate for DOMAIN over ACME (repeatable)" },
	{ .name = "acme-email", .kind = OPT_TEXT, .field = F(acme_email), .check = acme_email_ok,
	  .bad = "invalid --acme-email '%s' (expected an address like ops@example.org)",
	  .arg = "ADDR", .help = "contact address of the ACME account" },
	{ .name = "acme-directory", .kind = OPT_TEXT, .field = F(acme_directory),
	  .check = https_url_ok, .bad = "invalid --acme-directory '%s' (expected an https:// URL)",
	  .arg = "URL", .help = "the CA's ACME directory (default Let's Encrypt)" },
	{ .name = "acme-ca-file", .kind = OPT_TEXT, .field = F(acme_ca_file), .arg = "FILE",
	  .help = "trust this PEM CA for the ACME server (a private or test CA)" },
	{ .name = "acme-storage", .kind = OPT_TEXT, .field = F(acme_storage), .arg = "DIR",
	  .help = "account key, certificates and keys (default /var/lib/eisd/acme as root)" },
	{ .name = "acme-agree-tos", .kind = OPT_FLAG, .field = F(acme_agree_tos),
	  .help = "agree to the CA's terms of service (needed on first use)" },
	{ .name = "acme-challenge", .kind = OPT_CHOICE, .field = F(acme_challenge),
	  .choices = acme_challenges, .what = "--acme-challenge", .arg = "TYPE",
	  .help = "tls-alpn-01 (default, on the TLS port) or http-01 (needs --redirect-http)" },
	{ .name = "compress", .kind = OPT_FLAG, .field = F(compress), .flags = OPT_LIVE | OPT_LOCAL,
	  .help = "compress text, JS, JSON, XML, SVG, wasm, fonts on the fly (default)" },
	{ .name = "no-compress", .kind = OPT_UNFLAG, .field = F(compress),
	  .flags = OPT_LIVE | OPT_LOCAL, .help = "never compress on the fly" },
	{ .name = "config", .kind = OPT_TEXT, .field = F(config_file), .flags = OPT_CLI_ONLY,
	  .check = nonempty, .bad = "--config needs a file name", .arg = "FILE",
	  .help = "read settings from FILE (name = value lines; flags given here win)" },
	{ .name = "check-config", .kind = OPT_FLAG, .field = F(check_config), .flags = OPT_CLI_ONLY,
	  .help = "check the settings, the root and the log file; exit 0 or 1" },
	{ .name = "help", .letter = 'h', .kind = OPT_ACTION, .flags = OPT_CLI_ONLY,
	  .help = "show this help" },
	{ .name = "version", .letter = 'V', .kind = OPT_ACTION, .flags = OPT_CLI_ONLY,
	  .help = "show the version" },
};

const size_t opt_count = sizeof(opt_table) / sizeof(opt_table[0]);

_Static_assert(sizeof(opt_table) / sizeof(opt_table[0]) <= CONFIG_MAX_OPTS,
	       "raise CONFIG_MAX_OPTS");
