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
	       "      --header-timeout SEC  time for a whole request head (default 10; then 408)\n"
	       "      --keepalive-timeout SEC\n"
	       "                            idle keep-alive connection lasts (default 15)\n"
	       "      --send-timeout SEC    client not reading its response (default 30)\n"
	       "      --timeout SEC         sets the three timeouts above at once\n"
	       "      --shutdown-grace SEC  on SIGTERM, time for responses in flight (default 5)\n"
	       "      --max-connections N   open connections at most (default: from the fd limit)\n"
	       "      --max-request-bytes N largest request head accepted (default 8192)\n"
	       "      --access-log FILE     access log in Common Log Format (default stdout; - for stdout)\n"
	       "  -q, --quiet               no access log\n"
	       "      --user NAME           when started as root: run as NAME after binding\n"
	       "      --chroot              with --user: chroot into ROOT before dropping root\n"
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
	OPT_HEADER_TIMEOUT,
	OPT_KEEPALIVE_TIMEOUT,
	OPT_SEND_TIMEOUT,
	OPT_SHUTDOWN_GRACE,
	OPT_MAX_CONNECTIONS,
	OPT_USER,
	OPT_CHROOT,
};

/* A timeout value: whole seconds, 1 s to a day. */
static int parse_timeout(const char *flag, const char *s, int *out, char *err, size_t errlen);

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
		{ "header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
		{ "keepalive-timeout", required_argument, NULL, OPT_KEEPALIVE_TIMEOUT },
		{ "send-timeout", required_argument, NULL, OPT_SEND_TIMEOUT },
		{ "shutdown-grace", required_argument, NULL, OPT_SHUTDOWN_GRACE },
		{ "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
		{ "user", required_argument, NULL, OPT_USER },
		{ "chroot", no_argument, NULL, OPT_CHROOT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	long long v;
	int c;
	bool root_set = false;
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
	return CONFIG_OK;
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
