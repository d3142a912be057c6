/* Options: defaults in one place, then the command line on top. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
}

void config_usage(void)
{
	printf("usage: eisd [options] [ROOT]\n"
	       "Serve the directory ROOT (default: www) over HTTP/1.1.\n\n"
	       "  -p, --port N              port to listen on (default 8080; 0 picks a free one)\n"
	       "  -b, --bind ADDR           address to bind (default 127.0.0.1; IPv6 like ::1 works)\n"
	       "  -r, --root DIR            document root (same as ROOT)\n"
	       "  -t, --threads N           worker threads (default: online CPUs)\n"
	       "      --timeout SEC         request-head and keep-alive timeout (default 10; echo/file 300)\n"
	       "      --max-request-bytes N largest request head accepted (default 8192)\n"
	       "      --access-log FILE     access log in Common Log Format (default stdout; - for stdout)\n"
	       "  -q, --quiet               no access log\n"
	       "      --protocol NAME       http (default), echo, or file (the file service)\n"
	       "      --status PATH         status report at PATH, e.g. /_status (http only)\n"
	       "      --status-public       let non-loopback clients see the status report too\n"
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
};

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
		{ "quiet", no_argument, NULL, 'q' },
		{ "protocol", required_argument, NULL, OPT_PROTOCOL },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "status-public", no_argument, NULL, OPT_STATUS_PUBLIC },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	long long v;
	int c;
	bool root_set = false, timeout_set = false;

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
			if (parse_num(optarg, 1, 86400, &v)) {
				set_err(err, errlen, "invalid timeout '%s' (expected 1-86400 seconds)", optarg);
				return CONFIG_USAGE;
			}
			cfg->header_timeout = cfg->keepalive_timeout =
				cfg->send_timeout = (int)v;
			timeout_set = true;
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
	return config_check(cfg, root_set, timeout_set, err, errlen);
}
