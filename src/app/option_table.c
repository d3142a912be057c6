/* Every option eisd has: one row each (options.h says what a row holds).
 * The order is the order of --help. */
#include "app/options.h"
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

/* "EXT=TYPE": the parts are checked by the mime table when it is built
 * (main.c); here only the shape. */
static int set_mime_type(struct config *cfg, const struct opt_row *row, const char *v,
			 char *err, size_t errlen)
{
	const char *eq = strchr(v, '='), *copy;

	if (has_ctl(v)) {
		set_err(err, errlen, "invalid --mime-type: control characters are not allowed");
		return -1;
	}
	if (eq == NULL || eq == v || eq[1] == '\0') {
		set_err(err, errlen, "invalid --mime-type '%s' (expected EXT=TYPE, e.g. md=text/markdown)", v);
		return -1;
	}
	if (cfg->nmime_types == CONFIG_MAX_MIME) {
		set_err(err, errlen, "too many --mime-type options (at most %d)", CONFIG_MAX_MIME);
		return -1;
	}
	copy = config_keep(cfg, v);
	if (!copy) {
		set_err(err, errlen, "--%s: too much option text", row->name);
		return -1;
	}
	cfg->mime_types[cfg->nmime_types++] = copy;
	return 0;
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

	if (++cfg->nheaders > CONFIG_MAX_HEADERS) {
		set_err(err, errlen, "too many --header options (at most %d)", CONFIG_MAX_HEADERS);
		return -1;
	}
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
	(void)row;
	return 0;
}

static const char *const protocols[] = { "http", "echo", "file", NULL };
static const char *const log_formats[] = { "common", "combined", "json", NULL };

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
