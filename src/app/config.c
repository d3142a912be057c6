/* Options: defaults in one place, then the command line on top. */
#include "app/config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/chars.h"

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
	cfg->max_request_bytes = 8192;
	cfg->max_body_bytes = 1024 * 1024;
	cfg->max_connections = 0;
	cfg->index = "index.html";
	cfg->cache_max_age = -1;
	cfg->precompressed = true;
}

void config_free(struct config *cfg)
{
	free(cfg->extra_headers);
	cfg->extra_headers = NULL;
}

void config_usage(void)
{
	printf("usage: eisd [options] [ROOT]\n"
	       "Serve the directory ROOT (default: www) over HTTP/1.1.\n\n"
	       "  -p, --port N              port to listen on (default 8080; 0 picks a free one)\n"
	       "  -b, --bind ADDR           address to bind (default 127.0.0.1; IPv6 like ::1 works)\n"
	       "  -r, --root DIR            document root (same as ROOT)\n"
	       "  -t, --threads N           worker threads (default: online CPUs)\n"
	       "      --header-timeout SEC  time for a whole request head (default 10; then 408)\n"
	       "      --keepalive-timeout SEC\n"
	       "                            idle keep-alive connection lasts (default 15)\n"
	       "      --send-timeout SEC    client not reading its response (default 30)\n"
	       "      --timeout SEC         sets the three timeouts above at once (echo/file: 300)\n"
	       "      --shutdown-grace SEC  on SIGTERM, time for responses in flight (default 5)\n"
	       "      --max-connections N   open connections at most (default: from the fd limit)\n"
	       "      --max-request-bytes N largest request head accepted (default 8192)\n"
	       "      --access-log FILE     access log in Common Log Format (default stdout; - for stdout)\n"
	       "  -q, --quiet               no access log\n"
	       "      --user NAME           when started as root: run as NAME after binding\n"
	       "      --chroot              with --user: chroot into ROOT before dropping root\n"
	       "      --protocol NAME       http (default), echo, or file (the file service)\n"
	       "      --status PATH         status report at PATH, e.g. /_status (http only)\n"
	       "      --status-public       let non-loopback clients see the status report too\n"
	       "      --metrics PATH        Prometheus metrics at PATH, e.g. /_metrics (loopback only)\n"
	       "      --metrics-public      let non-loopback clients read the metrics too\n"
	       "      --health PATH         health check at PATH: 200 serving, 503 once stopping\n"
	       "      --proxy-protocol      every connection starts with a PROXY v1/v2 header\n"
	       "      --trusted-proxy CIDR  peers that may send it, and whose X-Forwarded-For\n"
	       "                            / Forwarded the log believes (repeatable)\n"
	       "      --index NAME          file served for a directory (default index.html)\n"
	       "      --listing             list directories that have no index file\n"
	       "      --cache-max-age SEC   add Cache-Control: public, max-age=SEC to files\n"
	       "      --mime-type EXT=TYPE  serve *.EXT as TYPE (repeatable)\n"
	       "      --header 'Name: value' add a header to every response (repeatable)\n"
	       "      --no-precompressed    never look for FILE.br / FILE.gz to send instead\n"
	       "  -h, --help                show this help\n"
	       "  -V, --version             show the version\n");
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Whole-string unsigned decimal within [min, max]. */
static int parse_num(const char *s, long long min, long long max,
		     long long *out)
{
	char *end;
	long long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_TIMEOUT = 256,
	OPT_MAX_REQUEST_BYTES,
	OPT_ACCESS_LOG,
	OPT_PROTOCOL,
	OPT_STATUS,
	OPT_STATUS_PUBLIC,
	OPT_INDEX,
	OPT_LISTING,
	OPT_CACHE_MAX_AGE,
	OPT_MIME_TYPE,
	OPT_HEADER,
	OPT_NO_PRECOMPRESSED,
	OPT_HEADER_TIMEOUT,
	OPT_KEEPALIVE_TIMEOUT,
	OPT_SEND_TIMEOUT,
	OPT_SHUTDOWN_GRACE,
	OPT_MAX_CONNECTIONS,
	OPT_USER,
	OPT_CHROOT,
	OPT_METRICS,
	OPT_METRICS_PUBLIC,
	OPT_HEALTH,
	OPT_PROXY_PROTOCOL,
	OPT_TRUSTED_PROXY,
};

/* A timeout value: whole seconds, 1 s to a day. */
static int parse_timeout(const char *flag, const char *s, int *out, char *err, size_t errlen);

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

/* Rules that span several options, checked once all are read. */
static enum config_result config_check(struct config *cfg, bool root_given,
				       bool timeout_given, char *err, size_t errlen)
{
	if (cfg->status_public && !cfg->status_path) {
		set_err(err, errlen, "--status-public needs --status PATH");
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
	if (cfg->protocol == PROTOCOL_ECHO && root_given) {
		set_err(err, errlen, "--protocol echo serves no files: leave out ROOT and --root");
		return CONFIG_USAGE;
	}
	if (cfg->protocol != PROTOCOL_HTTP && !timeout_given)
		cfg->header_timeout = cfg->keepalive_timeout = CONFIG_SERVICE_IDLE_TIMEOUT;
	return CONFIG_OK;
}

/* Headers eisd writes itself, or that frame the message: a second copy
 * from --header would make the response ambiguous or break it. */
static const char *const reserved_headers[] = {
	"Accept-Ranges", "Connection", "Content-Encoding", "Content-Length",
	"Content-Range", "Content-Type", "Date", "ETag", "Keep-Alive",
	"Last-Modified", "Location", "Server", "TE", "Trailer",
	"Transfer-Encoding", "Upgrade",
};

/* Checks one --header value "Name: value" and appends "Name: value\r\n"
 * (value without surrounding whitespace) to *block. */
static enum config_result add_header(char **block, const char *arg, char *err, size_t errlen)
{
	const char *colon = strchr(arg, ':');
	const char *v, *end;
	size_t name_len, old, n;
	char *nb;

	if (colon == NULL || colon == arg) {
		set_err(err, errlen, "invalid --header (expected 'Name: value')");
		return CONFIG_USAGE;
	}
	name_len = (size_t)(colon - arg);
	for (size_t i = 0; i < name_len; i++) {
		if (!chars_is_tchar((unsigned char)arg[i])) {
			set_err(err, errlen, "invalid --header name (must be a token: letters, digits, !#$%%&'*+-.^_`|~)");
			return CONFIG_USAGE;
		}
	}
	for (size_t i = 0; i < sizeof(reserved_headers) / sizeof(reserved_headers[0]); i++) {
		if (strlen(reserved_headers[i]) == name_len &&
		    strncasecmp(arg, reserved_headers[i], name_len) == 0) {
			set_err(err, errlen, "--header '%s' is not allowed: eisd sets that header itself",
				reserved_headers[i]);
			return CONFIG_USAGE;
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
			return CONFIG_USAGE;
		}
	}
	old = *block ? strlen(*block) : 0;
	n = name_len + 2 + (size_t)(end - v) + 2;
	nb = realloc(*block, old + n + 1);
	if (nb == NULL) {
		set_err(err, errlen, "out of memory");
		return CONFIG_USAGE;
	}
	snprintf(nb + old, n + 1, "%.*s: %.*s\r\n", (int)name_len, arg, (int)(end - v), v);
	*block = nb;
	return CONFIG_OK;
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* "EXT=TYPE": the parts are checked by the mime table when it is built
 * (main.c); here only the shape. */
static bool valid_mime_arg(const char *arg)
{
	const char *eq = strchr(arg, '=');

	return eq != NULL && eq != arg && eq[1] != '\0';
}

static bool valid_index_name(const char *name)
{
	size_t n = strlen(name);

	/* One file name in the directory itself; a hidden one would be
	 * refused on any other path, so it is refused here too. */
	return n > 0 && n <= NAME_MAX && name[0] != '.' && strchr(name, '/') == NULL;
}

enum config_result config_parse(struct config *cfg, int argc, char **argv,
				char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "root", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "max-request-bytes", required_argument, NULL, OPT_MAX_REQUEST_BYTES },
		{ "access-log", required_argument, NULL, OPT_ACCESS_LOG },
		{ "index", required_argument, NULL, OPT_INDEX },
		{ "listing", no_argument, NULL, OPT_LISTING },
		{ "cache-max-age", required_argument, NULL, OPT_CACHE_MAX_AGE },
		{ "mime-type", required_argument, NULL, OPT_MIME_TYPE },
		{ "header", required_argument, NULL, OPT_HEADER },
		{ "no-precompressed", no_argument, NULL, OPT_NO_PRECOMPRESSED },
		{ "header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
		{ "keepalive-timeout", required_argument, NULL, OPT_KEEPALIVE_TIMEOUT },
		{ "send-timeout", required_argument, NULL, OPT_SEND_TIMEOUT },
		{ "shutdown-grace", required_argument, NULL, OPT_SHUTDOWN_GRACE },
		{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
		{ "user", required_argument, NULL, OPT_USER },
		{ "chroot", no_argument, NULL, OPT_CHROOT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "protocol", required_argument, NULL, OPT_PROTOCOL },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "status-public", no_argument, NULL, OPT_STATUS_PUBLIC },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "metrics-public", no_argument, NULL, OPT_METRICS_PUBLIC },
		{ "health", required_argument, NULL, OPT_HEALTH },
		{ "proxy-protocol", no_argument, NULL, OPT_PROXY_PROTOCOL },
		{ "trusted-proxy", required_argument, NULL, OPT_TRUSTED_PROXY },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	long long v;
	int c, nheaders = 0;
	bool root_set = false;
	enum config_result rc;
	/* A specific timeout wins over --timeout whatever their order. */
	int all_timeout = 0, header_timeout = 0, keepalive_timeout = 0, send_timeout = 0;

	opterr = 0; /* we word the errors ourselves */
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:b:r:t:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_num(optarg, 0, 65535, &v)) {
				set_err(err, errlen, "invalid port '%s' (expected 0-65535)", optarg);
				return CONFIG_USAGE;
			}
			cfg->port = (int)v;
			break;
		case 'b':
			cfg->bind = optarg;
			break;
		case 'r':
			cfg->root = optarg;
			root_set = true;
			break;
		case 't':
			if (parse_num(optarg, 1, 1024, &v)) {
				set_err(err, errlen, "invalid thread count '%s' (expected 1-1024)", optarg);
				return CONFIG_USAGE;
			}
			cfg->threads = (int)v;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout("timeout", optarg, &all_timeout, err, errlen))
				return CONFIG_USAGE;
			break;
		case OPT_HEADER_TIMEOUT:
			if (parse_timeout("--header-timeout", optarg, &header_timeout, err, errlen))
				return CONFIG_USAGE;
			break;
		case OPT_KEEPALIVE_TIMEOUT:
			if (parse_timeout("--keepalive-timeout", optarg, &keepalive_timeout, err, errlen))
				return CONFIG_USAGE;
			break;
		case OPT_SEND_TIMEOUT:
			if (parse_timeout("--send-timeout", optarg, &send_timeout, err, errlen))
				return CONFIG_USAGE;
			break;
		case OPT_SHUTDOWN_GRACE:
			if (parse_num(optarg, 0, 3600, &v)) {
				set_err(err, errlen, "invalid --shutdown-grace '%s' (expected 0-3600 seconds)", optarg);
				return CONFIG_USAGE;
			}
			cfg->shutdown_grace = (int)v;
			break;
		case OPT_MAX_CONNECTIONS:
			if (parse_num(optarg, 1, 10000000, &v)) {
				set_err(err, errlen, "invalid --max-connections '%s' (expected 1-10000000)", optarg);
				return CONFIG_USAGE;
			}
			cfg->max_connections = (long)v;
			break;
		case OPT_USER:
			if (!*optarg) {
				set_err(err, errlen, "--user needs a user name");
				return CONFIG_USAGE;
			}
			cfg->user = optarg;
			break;
		case OPT_CHROOT:
			cfg->chroot = true;
			break;
		case OPT_MAX_REQUEST_BYTES:
			if (parse_num(optarg, 256, 1 << 20, &v)) {
				set_err(err, errlen, "invalid --max-request-bytes '%s' (expected 256-1048576)", optarg);
				return CONFIG_USAGE;
			}
			cfg->max_request_bytes = (size_t)v;
			break;
		case OPT_ACCESS_LOG:
			cfg->access_log = optarg;
			break;
		case 'q':
			cfg->quiet = true;
			break;
		case OPT_PROTOCOL:
			if (strcmp(optarg, "http") == 0)
				cfg->protocol = PROTOCOL_HTTP;
			else if (strcmp(optarg, "echo") == 0)
				cfg->protocol = PROTOCOL_ECHO;
			else if (strcmp(optarg, "file") == 0)
				cfg->protocol = PROTOCOL_FILE;
			else {
				set_err(err, errlen, "invalid protocol '%s' (expected http, echo or file)", optarg);
				return CONFIG_USAGE;
			}
			break;
		case OPT_STATUS:
			if (!status_path_ok(optarg)) {
				set_err(err, errlen, "invalid --status path '%s' (expected an absolute path like /_status)", optarg);
				return CONFIG_USAGE;
			}
			cfg->status_path = optarg;
			break;
		case OPT_STATUS_PUBLIC:
			cfg->status_public = true;
			break;
		case OPT_METRICS:
		case OPT_HEALTH:
			if (!status_path_ok(optarg)) {
				set_err(err, errlen, "invalid --%s path '%s' (expected an absolute path like /_%s)",
					c == OPT_METRICS ? "metrics" : "health", optarg,
					c == OPT_METRICS ? "metrics" : "health");
				return CONFIG_USAGE;
			}
			if (c == OPT_METRICS)
				cfg->metrics_path = optarg;
			else
				cfg->health_path = optarg;
			break;
		case OPT_METRICS_PUBLIC:
			cfg->metrics_public = true;
			break;
		case OPT_PROXY_PROTOCOL:
			cfg->proxy_protocol = true;
			break;
		case OPT_TRUSTED_PROXY:
			if (cfg->ntrusted_proxies == CONFIG_MAX_TRUSTED) {
				set_err(err, errlen, "too many --trusted-proxy options (at most %d)", CONFIG_MAX_TRUSTED);
				return CONFIG_USAGE;
			}
			if (cidr_parse(optarg, &cfg->trusted_proxies[cfg->ntrusted_proxies])) {
				set_err(err, errlen, "invalid --trusted-proxy '%s' (expected an address or ADDR/LEN without host bits, e.g. 10.0.0.0/8)", optarg);
				return CONFIG_USAGE;
			}
			cfg->ntrusted_proxies++;
			break;
		case OPT_INDEX:
			if (has_ctl(optarg) || !valid_index_name(optarg)) {
				set_err(err, errlen, "invalid --index '%s' (expected a file name: no '/', not starting with '.')", optarg);
				return CONFIG_USAGE;
			}
			cfg->index = optarg;
			break;
		case OPT_LISTING:
			cfg->listing = true;
			break;
		case OPT_CACHE_MAX_AGE:
			if (parse_num(optarg, 0, 2147483647, &v)) {
				set_err(err, errlen, "invalid --cache-max-age '%s' (expected 0-2147483647 seconds)", optarg);
				return CONFIG_USAGE;
			}
			cfg->cache_max_age = (long)v;
			break;
		case OPT_MIME_TYPE:
			if (has_ctl(optarg)) {
				set_err(err, errlen, "invalid --mime-type: control characters are not allowed");
				return CONFIG_USAGE;
			}
			if (!valid_mime_arg(optarg)) {
				set_err(err, errlen, "invalid --mime-type '%s' (expected EXT=TYPE, e.g. md=text/markdown)", optarg);
				return CONFIG_USAGE;
			}
			if (cfg->nmime_types == CONFIG_MAX_MIME) {
				set_err(err, errlen, "too many --mime-type options (at most %d)", CONFIG_MAX_MIME);
				return CONFIG_USAGE;
			}
			cfg->mime_types[cfg->nmime_types++] = optarg;
			break;
		case OPT_NO_PRECOMPRESSED:
			cfg->precompressed = false;
			break;
		case OPT_HEADER:
			if (++nheaders > CONFIG_MAX_HEADERS) {
				set_err(err, errlen, "too many --header options (at most %d)", CONFIG_MAX_HEADERS);
				return CONFIG_USAGE;
			}
			rc = add_header(&cfg->extra_headers, optarg, err, errlen);
			if (rc != CONFIG_OK)
				return rc;
			break;
		case 'h':
			config_usage();
			return CONFIG_EXIT;
		case 'V':
			printf("eisd %s\n", EISD_VERSION);
			return CONFIG_EXIT;
		case ':':
			set_err(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return CONFIG_USAGE;
		default:
			if (optopt)
				set_err(err, errlen, "unknown option '-%c' (see --help)", optopt);
			else
				set_err(err, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
			return CONFIG_USAGE;
		}
	}
	if (optind < argc) {
		if (root_set || optind + 1 < argc) {
			set_err(err, errlen, "unexpected argument '%s' (one ROOT only)", argv[optind + (root_set ? 0 : 1)]);
			return CONFIG_USAGE;
		}
		cfg->root = argv[optind];
		root_set = true;
	}
	if (cfg->chroot && !cfg->user) {
		/* root can leave a chroot at will: it only helps once root is
		 * given up. */
		set_err(err, errlen, "--chroot needs --user");
		return CONFIG_USAGE;
	}
	if (all_timeout)
		cfg->header_timeout = cfg->keepalive_timeout = cfg->send_timeout = all_timeout;
	if (header_timeout)
		cfg->header_timeout = header_timeout;
	if (keepalive_timeout)
		cfg->keepalive_timeout = keepalive_timeout;
	if (send_timeout)
		cfg->send_timeout = send_timeout;
	return config_check(cfg, root_set, all_timeout || header_timeout || keepalive_timeout,
			    err, errlen);
}

static int parse_timeout(const char *flag, const char *s, int *out, char *err, size_t errlen)
{
	long long v;

	if (parse_num(s, 1, 86400, &v)) {
		set_err(err, errlen, "invalid %s '%s' (expected 1-86400 seconds)", flag, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}
