/* Setters and checks of the site-rule options. See site_options.h. */
#include "app/site_options.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "files/rules.h"
#include "http/vhost.h"

#define set_err opt_err

static bool visible(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* Full form of an operator path, kept in cfg's text. */
static const char *keep_path(struct config *cfg, const char *in, size_t *len)
{
	char buf[PATH_MAX + 3];
	long n = rules_config_path(in, buf, sizeof(buf));

	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return config_keep(cfg, buf);
}

int site_set_error_page(struct config *cfg, const struct opt_row *row, const char *v,
			char *err, size_t errlen)
{
	const char *eq = strchr(v, '='), *full;
	char code[8];
	size_t len;
	long status;
	char *end;

	if (!eq || eq - v != 3) {
		set_err(err, errlen, "invalid --error-page '%s' (expected CODE=PATH, e.g. 404=/404.html)", v);
		return -1;
	}
	memcpy(code, v, 3);
	code[3] = '\0';
	status = strtol(code, &end, 10);
	if (*end || status < 400 || status > 599) {
		set_err(err, errlen, "invalid --error-page code '%s' (expected 400-599)", code);
		return -1;
	}
	full = keep_path(cfg, eq + 1, &len);
	if (!full || len < 2 || full[len - 1] == '/') {
		set_err(err, errlen, "invalid --error-page path '%s' (expected a file under the root, like /404.html: no '..', no dotfiles)", eq + 1);
		return -1;
	}
	for (int i = 0; i < cfg->nerror_pages; i++)
		if (cfg->error_pages[i].status == (int)status) {
			cfg->error_pages[i].rel = full + 1; /* the last one wins */
			return 0;
		}
	if (opt_full(row, cfg->nerror_pages, CONFIG_MAX_ERROR_PAGES, err, errlen))
		return -1;
	cfg->error_pages[cfg->nerror_pages++] = (struct config_error_page){ (int)status, full + 1 };
	return 0;
}

int site_set_fallback(struct config *cfg, const struct opt_row *row, const char *v,
		      char *err, size_t errlen)
{
	size_t len;
	const char *full = keep_path(cfg, v, &len);

	if (!full || len < 2 || full[len - 1] == '/') {
		set_err(err, errlen, "invalid --%s '%s' (expected a file under the root, like /index.html)", row->name, v);
		return -1;
	}
	cfg->fallback = full + 1;
	return 0;
}

/* TO: a path on this site ("/x", never "//host"), or an absolute URL the
 * operator wrote ("https://host/..."). */
static bool target_ok(const char *to)
{
	if (!*to || !visible(to) || strchr(to, '\\') || strchr(to, '#'))
		return false;
	if (to[0] == '/')
		return to[1] != '/';
	if (strncasecmp(to, "http://", 7) == 0)
		return to[7] && to[7] != '/';
	if (strncasecmp(to, "https://", 8) == 0)
		return to[8] && to[8] != '/';
	return false;
}

int site_set_redirect(struct config *cfg, const struct opt_row *row, const char *v,
		      char *err, size_t errlen)
{
	const char *eq = strchr(v, '=');
	char from[PATH_MAX], to[PATH_MAX];
	struct config_redirect rd = { .status = 301 };
	size_t tlen;

	if (!eq || eq == v || !eq[1] || (size_t)(eq - v) >= sizeof(from) ||
	    strlen(eq + 1) >= sizeof(to)) {
		set_err(err, errlen, "invalid --redirect '%s' (expected FROM=TO[:301|:308])", v);
		return -1;
	}
	memcpy(from, v, (size_t)(eq - v));
	from[eq - v] = '\0';
	strcpy(to, eq + 1);
	tlen = strlen(to);
	if (tlen > 4 && (strcmp(to + tlen - 4, ":301") == 0 || strcmp(to + tlen - 4, ":308") == 0)) {
		rd.status = to[tlen - 1] == '1' ? 301 : 308;
		to[tlen -= 4] = '\0';
	} else if (tlen > 4 && to[tlen - 4] == ':' && strspn(to + tlen - 3, "0123456789") == 3) {
		set_err(err, errlen, "invalid --redirect '%s': the code must be 301 or 308", v);
		return -1;
	}
	rd.from = keep_path(cfg, from, &rd.from_len);
	if (!rd.from) {
		set_err(err, errlen, "invalid --redirect FROM '%s' (expected a path like /old/ or /old.html: no '..', no dotfiles)", from);
		return -1;
	}
	rd.prefix = rd.from[rd.from_len - 1] == '/';
	if (!target_ok(to)) {
		set_err(err, errlen, "invalid --redirect TO '%s' (expected a path like /new/ (not //host) or an http:// or https:// URL; no spaces or control characters)", to);
		return -1;
	}
	if (rd.prefix && to[tlen - 1] != '/') {
		set_err(err, errlen, "invalid --redirect '%s': FROM ends with '/' (a prefix), so TO must too", v);
		return -1;
	}
	if (opt_full(row, cfg->nredirects, CONFIG_MAX_REDIRECTS, err, errlen) ||
	    !(rd.to = opt_keep(cfg, row, to, err, errlen)))
		return -1;
	rd.to_len = tlen;
	cfg->redirects[cfg->nredirects++] = rd;
	return 0;
}

/* "*", or scheme://host[:port] with nothing after (RFC 6454 §6.2). */
static bool origin_ok(const char *o)
{
	const char *host;

	if (strcmp(o, "*") == 0)
		return true;
	if (!visible(o))
		return false;
	if (strncasecmp(o, "http://", 7) == 0)
		host = o + 7;
	else if (strncasecmp(o, "https://", 8) == 0)
		host = o + 8;
	else
		return false;
	return *host && !strpbrk(host, "/?#@\\\"'");
}

int site_set_cors(struct config *cfg, const struct opt_row *row, const char *v,
		  char *err, size_t errlen)
{
	if (!origin_ok(v)) {
		set_err(err, errlen, "invalid --cors '%s' (expected * or an origin like https://app.example.org)", v);
		return -1;
	}
	return opt_append(cfg, row, v, cfg->cors, &cfg->ncors, CONFIG_MAX_CORS, err, errlen);
}

int site_set_auth(struct config *cfg, const struct opt_row *row, const char *v,
		  char *err, size_t errlen)
{
	struct config_prefix p;

	p.path = keep_path(cfg, v, &p.len);
	if (!p.path) {
		set_err(err, errlen, "invalid --auth prefix '%s' (expected a path like /private/)", v);
		return -1;
	}
	if (opt_full(row, cfg->nauth, CONFIG_MAX_AUTH, err, errlen))
		return -1;
	cfg->auth[cfg->nauth++] = p;
	return 0;
}

int site_set_vhost(struct config *cfg, const struct opt_row *row, const char *v,
		   char *err, size_t errlen)
{
	const char *eq = strchr(v, '=');
	char name[VHOST_NAME_MAX + 1];
	size_t n = eq ? (size_t)(eq - v) : 0;
	struct config_vhost vh;

	if (!eq || n == 0 || !eq[1]) {
		set_err(err, errlen, "invalid --vhost '%s' (expected NAME=DIR, e.g. example.org=/srv/example)", v);
		return -1;
	}
	if (n > VHOST_NAME_MAX) {
		set_err(err, errlen, "invalid --vhost name (longer than %d bytes)", VHOST_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		name[i] = (char)((v[i] >= 'A' && v[i] <= 'Z') ? v[i] + 32 : v[i]);
	name[n] = '\0';
	if (!vhost_name_ok(name)) {
		set_err(err, errlen, "invalid --vhost name '%s' (expected a host name like example.org, or *.example.org)", name);
		return -1;
	}
	for (int i = 0; i < cfg->nvhosts; i++)
		if (strcmp(cfg->vhosts[i].name, name) == 0) {
			set_err(err, errlen, "--vhost '%s' given twice", name);
			return -1;
		}
	if (opt_full(row, cfg->nvhosts, CONFIG_MAX_VHOSTS, err, errlen) ||
	    !(vh.name = opt_keep(cfg, row, name, err, errlen)) ||
	    !(vh.dir = opt_keep(cfg, row, eq + 1, err, errlen)))
		return -1;
	cfg->vhosts[cfg->nvhosts++] = vh;
	return 0;
}

bool site_realm_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 64)
		return false;
	for (; *v; v++)
		if ((unsigned char)*v < ' ' || (unsigned char)*v >= 0x7f || *v == '"' || *v == '\\')
			return false;
	return true;
}

/* ---- once every option is read ---- */

static const char nosniff[] = "X-Content-Type-Options: nosniff\r\n";
static const char strict[] =
	"Content-Security-Policy: default-src 'self'\r\n"
	"Referrer-Policy: strict-origin-when-cross-origin\r\n"
	"X-Frame-Options: DENY\r\n"
	"Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=(), usb=()\r\n";

/* Whether block has a line called name[0..nlen). */
static bool block_names(const char *block, const char *name, size_t nlen)
{
	for (const char *l = block; l && *l; l = strstr(l, "\r\n") + 2)
		if (strncasecmp(l, name, nlen) == 0 && l[nlen] == ':')
			return true;
	return false;
}

/* Appends the lines of preset that own does not name to out. */
static size_t put_preset(char *out, const char *preset, const char *own)
{
	size_t used = 0;

	for (const char *l = preset; *l;) {
		const char *colon = strchr(l, ':'), *next = strstr(l, "\r\n") + 2;

		if (!block_names(own, l, (size_t)(colon - l))) {
			memcpy(out + used, l, (size_t)(next - l));
			used += (size_t)(next - l);
		}
		l = next;
	}
	return used;
}

int site_headers_resolve(struct config *cfg, char *err, size_t errlen)
{
	const char *own = cfg->extra_headers ? cfg->extra_headers : "";
	size_t n = sizeof(nosniff) + sizeof(strict) + SITE_HSTS_LINE + strlen(own) + 1, used = 0;
	char *out = malloc(n);

	if (!out) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	used += put_preset(out + used, nosniff, own);
	if (cfg->security_headers)
		used += put_preset(out + used, strict, own);
	/* HSTS only over TLS, and through --hsts's own line (never on the
	 * plain --redirect-http listener); a year, no subdomains. */
	if (cfg->security_headers && cfg->ntls_certs && cfg->hsts < 0 &&
	    !block_names(own, "Strict-Transport-Security", 25))
		cfg->hsts = SITE_HSTS_MAX_AGE;
	/* In the block itself, before [location] sections copy it, so every
	 * path carries it (the --redirect-http listener takes it out). */
	if (cfg->ntls_certs && cfg->hsts >= 0 && !block_names(own, "Strict-Transport-Security", 25))
		used += (size_t)snprintf(out + used, SITE_HSTS_LINE,
					 "Strict-Transport-Security: max-age=%ld\r\n", cfg->hsts);
	memcpy(out + used, own, strlen(own) + 1);
	free(cfg->extra_headers);
	cfg->extra_headers = out;
	return 0;
}

static bool loopback_bind(const char *b)
{
	return strncmp(b, "127.", 4) == 0 || strcmp(b, "::1") == 0 || strcmp(b, "localhost") == 0;
}

enum config_result site_check(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->nauth && !cfg->auth_file) {
		set_err(err, errlen, "--auth needs --auth-file FILE");
		return CONFIG_USAGE;
	}
	if ((cfg->auth_realm || cfg->auth_insecure) && !cfg->auth_file) {
		set_err(err, errlen, "--auth-realm and --auth-insecure need --auth-file FILE");
		return CONFIG_USAGE;
	}
	if (cfg->vhost_strict && !cfg->nvhosts) {
		set_err(err, errlen, "--vhost-strict needs --vhost NAME=DIR");
		return CONFIG_USAGE;
	}
	if (cfg->nvhosts && cfg->protocol != PROTOCOL_HTTP) {
		set_err(err, errlen, "--vhost needs --protocol http");
		return CONFIG_USAGE;
	}
	if (cfg->auth_file && cfg->protocol != PROTOCOL_HTTP) {
		set_err(err, errlen, "--auth-file needs --protocol http");
		return CONFIG_USAGE;
	}
	if (cfg->auth_file && !cfg->auth_insecure && !loopback_bind(cfg->bind)) {
		set_err(err, errlen, "--auth-file over plain HTTP on '%s' would send passwords in clear: bind to loopback, or add --auth-insecure", cfg->bind);
		return CONFIG_USAGE;
	}
	return CONFIG_OK;
}
