/* eisc: the line client for eisd's echo and file services (and any
 * line-oriented TCP server).
 *
 * On a terminal it is interactive: a prompt, each line sent, each reply
 * printed as "Server: ...". Otherwise (a pipe or a file on stdin) it sends
 * each line and copies each reply to stdout byte for byte, so
 *   printf 'index.html\n' | eisc -p 9000 > out
 * fetches a file.
 *
 * TCP has no message boundaries, so a reply has no marked end. The rule:
 * after a line is sent, the first reply byte may take up to --timeout
 * seconds; after that the reply lasts until the server sends nothing for
 * --gap milliseconds (default 200) or closes the connection.
 *
 * Plain blocking I/O would hang on a silent server, so every wait is a
 * ppoll() with a deadline; the socket itself is non-blocking. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "8080"
#define DEFAULT_TIMEOUT_S 5.0
#define DEFAULT_GAP_MS 200
#define LINE_MAX_BYTES 65536 /* a longer line is sent in pieces */
#define IO_CHUNK 65536

#define PROMPT "Enter message (or 'quit' to exit): "

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

struct client {
	const char *host;
	const char *port;
	char where[300];    /* "HOST:PORT" or "[v6]:PORT" for messages */
	int timeout_ms;
	int gap_ms;
	bool interactive;
	int fd;

	/* Input not yet sent: at most one line (or a LINE_MAX_BYTES piece). */
	char line[LINE_MAX_BYTES + 1]; /* + a newline for a last line without one */
	size_t line_len;
	bool stdin_eof;

	/* Interactive output state. */
	bool utf8_term;     /* the locale says the terminal decodes UTF-8 */
	unsigned char u8[4]; /* a UTF-8 character not complete yet (u8_have bytes) */
	size_t u8_have, u8_need;
	bool at_prompt;     /* the prompt is the last thing on the terminal */
	bool any_timeout;   /* pipe mode: some request got no reply */
};

static volatile sig_atomic_t interrupted;

/* The signal mask while waiting. SIGINT is blocked at all other times, so
 * it can only arrive inside a wait, which it ends; a flag tested before a
 * plain poll() could be set just after the test and then be missed. */
static sigset_t wait_mask;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* poll() with SIGINT let through (see wait_mask); timeout_ms < 0: none. */
static int wait_poll(struct pollfd *pfd, nfds_t n, int timeout_ms)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	return ppoll(pfd, n, tsp, &wait_mask);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: eisc [-H HOST] [-p PORT] [--timeout SEC] [--gap MS]\n");
}

static void help(void)
{
	usage(stdout);
	printf("Talk to a line-based TCP service (eisd --protocol echo|file).\n\n"
	       "  -H, --host HOST     server name or address (default %s; ::1 works)\n"
	       "  -p, --port PORT     server port (default %s)\n"
	       "  -t, --timeout SEC   connect timeout, and how long to wait for the first byte\n"
	       "                      of a reply (default 5; fractions such as 0.5 work)\n"
	       "  -g, --gap MS        a reply ends when nothing arrives for MS milliseconds\n"
	       "                      (default %d)\n"
	       "  -h, --help          show this help\n"
	       "  -V, --version       show the version\n\n"
	       "On a terminal eisc prompts for lines and prints each reply as 'Server: ...';\n"
	       "'quit' or end of input closes. With standard input from a pipe or a file it\n"
	       "sends each line and writes each reply to standard output unchanged.\n",
	       DEFAULT_HOST, DEFAULT_PORT, DEFAULT_GAP_MS);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("eisc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return EXIT_USAGE;
}

/* A fatal message: stdout first, so the order on a terminal is right. */
static void fail_msg(struct client *cl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail_msg(struct client *cl, const char *fmt, ...)
{
	va_list ap;

	if (cl->interactive && cl->at_prompt)
		fputc('\n', stdout);
	cl->at_prompt = false;
	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A session message: on the terminal's stdout when interactive, else on
 * stderr so that stdout carries nothing but replies. */
static void note(struct client *cl, const char *msg)
{
	FILE *out = cl->interactive ? stdout : stderr;

	if (cl->interactive && cl->at_prompt)
		fputc('\n', stdout);
	cl->at_prompt = false;
	fprintf(out, "%s\n", msg);
	fflush(out);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining(int64_t deadline)
{
	int64_t left = deadline - now_ms();
	return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* ---- options ---- */

static bool parse_port(const char *s)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	return !errno && !*end && v >= 1 && v <= 65535;
}

static int parse_args(struct client *cl, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "gap", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":H:p:t:g:hV", longopts, NULL)) != -1) {
		char *end;
		double d;
		long v;

		switch (c) {
		case 'H':
			if (!*optarg)
				return usage_error("empty host name");
			cl->host = optarg;
			break;
		case 'p':
			if (!parse_port(optarg))
				return usage_error("invalid port '%s' (expected 1-65535)", optarg);
			cl->port = optarg;
			break;
		case 't':
			errno = 0;
			d = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(d) || d <= 0 || d > 86400)
				return usage_error("invalid timeout '%s' (expected seconds, e.g. 5 or 0.5)", optarg);
			cl->timeout_ms = (int)ceil(d * 1000);
			break;
		case 'g':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 60000)
				return usage_error("invalid gap '%s' (expected 1-60000 milliseconds)", optarg);
			cl->gap_ms = (int)v;
			break;
		case 'h':
			help();
			return -1;
		case 'V':
			printf("eisc %s\n", EISD_VERSION);
			return -1;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option '-%c'", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

/* ---- connecting ---- */

/* Connects fd to ai within the deadline. Returns 0 or an errno value
 * (ETIMEDOUT when the deadline passed). */
static int connect_one(int fd, const struct addrinfo *ai, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	for (;;) {
		int n = wait_poll(&pfd, 1, remaining(deadline));
		if (n < 0 && errno == EINTR) {
			if (interrupted)
				return EINTR;
			continue;
		}
		if (n < 0)
			return errno;
		if (n == 0)
			return ETIMEDOUT;
		break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

/* Returns an exit status: EXIT_OK with cl->fd connected, or a failure
 * already reported. */
static int client_connect(struct client *cl)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	int64_t deadline;
	int rc, err = 0;
	bool refused = false, timed_out = false;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(cl->host, cl->port, &hints, &res);
	if (rc) {
		fail_msg(cl, "Unknown host %s - %s", cl->host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return EXIT_FAIL;
	}
	/* One deadline for all the addresses a name has. */
	deadline = now_ms() + cl->timeout_ms;
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		err = connect_one(fd, ai, deadline);
		if (err == 0) {
			cl->fd = fd;
			freeaddrinfo(res);
			return EXIT_OK;
		}
		close(fd);
		if (err == EINTR)
			break;
		if (err == ECONNREFUSED)
			refused = true;
		if (err == ETIMEDOUT)
			timed_out = true;
		if (remaining(deadline) == 0) {
			timed_out = true;
			break;
		}
	}
	freeaddrinfo(res);
	if (interrupted)
		return EXIT_INTERRUPTED;
	if (refused)
		fail_msg(cl, "Could not connect to %s - server not running?", cl->where);
	else if (timed_out)
		fail_msg(cl, "Connection to %s timed out", cl->where);
	else
		fail_msg(cl, "Could not connect to %s - %s", cl->where, strerror(err));
	return EXIT_FAIL;
}

/* ---- output ---- */

static bool write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* What a terminal would obey is shown instead: C0 controls other than tab
 * and newline in caret notation (^[ for ESC, ^M for CR: a bare CR lets a
 * reply overwrite what is on the line), DEL as ^?, and C1 controls as
 * M-^[ and the like (cat -v's notation: 0x9B, CSI, is ESC [ with the high
 * bit set). A C1 control reaches a terminal either as a raw byte 0x80-0x9F
 * (8-bit terminals obey them) or as UTF-8 (U+0080-U+009F, C2 80-C2 9F,
 * which UTF-8 terminals such as xterm obey), so both are escaped. */
static void show_control(unsigned char ch)
{
	if (ch >= 0x80) {
		fputs("M-", stdout);
		ch -= 0x80;
	}
	fputc('^', stdout);
	fputc(ch == 0x7f ? '?' : ch + '@', stdout);
}

/* Bytes that are not (part of) a valid UTF-8 character: a UTF-8 terminal
 * shows them as U+FFFD, an 8-bit one obeys those in the C1 range. */
static void show_raw(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i] >= 0x80 && p[i] <= 0x9f)
			show_control(p[i]);
		else
			fputc(p[i], stdout);
	}
}

/* Whether ch may follow the bytes of a UTF-8 character gathered so far
 * (RFC 3629 section 4: no overlong forms, surrogates or values past
 * U+10FFFF, so a byte that ends up alone is never mistaken for part of
 * a character). */
static bool utf8_next_ok(const unsigned char *seq, size_t have, unsigned char ch)
{
	if (have == 1) {
		switch (seq[0]) {
		case 0xe0: return ch >= 0xa0 && ch <= 0xbf;
		case 0xed: return ch >= 0x80 && ch <= 0x9f;
		case 0xf0: return ch >= 0x90 && ch <= 0xbf;
		case 0xf4: return ch >= 0x80 && ch <= 0x8f;
		default: break;
		}
	}
	return ch >= 0x80 && ch <= 0xbf;
}

/* An unfinished UTF-8 character at the end of a reply, or one cut short
 * by a byte that cannot continue it. */
static void flush_partial(struct client *cl)
{
	show_raw(cl->u8, cl->u8_have);
	cl->u8_have = cl->u8_need = 0;
}

/* One byte of a reply to the terminal. A character may straddle two reads,
 * so the bytes of an unfinished one wait in cl->u8. */
static void show_byte(struct client *cl, unsigned char ch)
{
	if (cl->u8_need) {
		if (utf8_next_ok(cl->u8, cl->u8_have, ch)) {
			cl->u8[cl->u8_have++] = ch;
			if (--cl->u8_need)
				return;
			if (cl->u8_have == 2 && cl->u8[0] == 0xc2 && cl->u8[1] <= 0x9f)
				show_control(cl->u8[1]); /* U+0080-U+009F */
			else
				fwrite(cl->u8, 1, cl->u8_have, stdout);
			cl->u8_have = 0;
			return;
		}
		flush_partial(cl);
	}
	if (ch < 0x80) {
		if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f)
			show_control(ch);
		else
			fputc(ch, stdout);
		return;
	}
	if (cl->utf8_term) {
		size_t need = ch >= 0xc2 && ch <= 0xdf ? 1 : ch >= 0xe0 && ch <= 0xef ? 2
			      : ch >= 0xf0 && ch <= 0xf4 ? 3 : 0;
		if (need) {
			cl->u8[0] = ch;
			cl->u8_have = 1;
			cl->u8_need = need;
			return;
		}
	}
	/* Not UTF-8 (or a byte no UTF-8 character starts with): every byte
	 * in 0x80-0x9F is a C1 control to the terminal. */
	show_raw(&ch, 1);
}

/* Bytes of a reply. Interactive: shown on the terminal with every control
 * character made visible (above), so a server cannot drive the terminal.
 * Pipe mode: stdout, unchanged. */
static bool emit(struct client *cl, const char *p, size_t len)
{
	if (!cl->interactive)
		return write_all(STDOUT_FILENO, p, len);
	for (size_t i = 0; i < len; i++)
		show_byte(cl, (unsigned char)p[i]);
	/* A reply that trickles in is shown as it comes (an unfinished UTF-8
	 * character waits in cl->u8, not in stdio). */
	fflush(stdout);
	return true;
}

/* ---- the session ---- */

enum reply {
	REPLY_DONE,      /* a reply, then a pause */
	REPLY_TIMEOUT,   /* nothing within --timeout */
	REPLY_CLOSED,    /* the server closed (after a reply, or without one) */
	REPLY_FAILED,    /* reported already */
	REPLY_INTERRUPTED,
};

/* Reads one reply by the rule at the top of this file. */
static enum reply read_reply(struct client *cl)
{
	char buf[IO_CHUNK];
	int64_t first_deadline = now_ms() + cl->timeout_ms;
	size_t got = 0;
	char last = '\n';
	enum reply result;

	for (;;) {
		struct pollfd pfd = { .fd = cl->fd, .events = POLLIN };
		int wait = got ? cl->gap_ms : remaining(first_deadline);
		int n = wait_poll(&pfd, 1, wait);
		ssize_t r;

		if (interrupted) {
			result = REPLY_INTERRUPTED;
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			result = got ? REPLY_DONE : REPLY_TIMEOUT;
			break;
		}
		r = recv(cl->fd, buf, sizeof(buf), 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (r <= 0) {
			result = REPLY_CLOSED; /* FIN, or a reset */
			break;
		}
		if (cl->interactive && got == 0) {
			if (cl->at_prompt)
				fputc('\n', stdout); /* a late reply, under the prompt */
			cl->at_prompt = false;
			fputs("Server: ", stdout);
		}
		if (!emit(cl, buf, (size_t)r)) {
			fail_msg(cl, "eisc: cannot write the reply: %s", strerror(errno));
			return REPLY_FAILED;
		}
		got += (size_t)r;
		last = buf[r - 1];
	}
	if (cl->interactive && got) {
		if (cl->u8_have) {
			flush_partial(cl);
			last = 0;
		}
		if (last != '\n')
			fputc('\n', stdout);
		fflush(stdout);
	}
	return result;
}

/* Sends p[0..len) whole. A server that answers while we are still sending
 * (echo does, chunk by chunk) must be read meanwhile, or both sides would
 * wait on full buffers forever; what it sends is part of the reply and is
 * written out. Returns 0, or an exit status (reported). */
static int send_all(struct client *cl, const char *p, size_t len)
{
	while (len) {
		struct pollfd pfd = { .fd = cl->fd, .events = POLLOUT | POLLIN };
		int n = wait_poll(&pfd, 1, cl->timeout_ms);

		if (interrupted)
			return EXIT_INTERRUPTED;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			fail_msg(cl, "Connection to %s timed out", cl->where);
			return EXIT_FAIL;
		}
		if (pfd.revents & POLLIN) {
			char buf[IO_CHUNK];
			ssize_t r = recv(cl->fd, buf, sizeof(buf), 0);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				fail_msg(cl, "Server closed connection");
				return EXIT_FAIL;
			}
			if (r > 0 && !emit(cl, buf, (size_t)r)) {
				fail_msg(cl, "eisc: cannot write the reply: %s", strerror(errno));
				return EXIT_FAIL;
			}
		}
		if (pfd.revents & (POLLOUT | POLLERR | POLLHUP)) {
			ssize_t w = send(cl->fd, p, len, MSG_NOSIGNAL);
			if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				continue;
			if (w < 0) {
				fail_msg(cl, "Server closed connection");
				return EXIT_FAIL;
			}
			p += w;
			len -= (size_t)w;
		}
	}
	return 0;
}

/* Waits for input on stdin while watching the socket, so a server that
 * closes while we wait is noticed at once. Returns 0 when stdin has data
 * (or ended), or an exit status (reported). */
static int wait_for_input(struct client *cl)
{
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = cl->fd, .events = POLLIN },
		};
		int n = wait_poll(pfd, 2, -1);

		if (interrupted)
			return EXIT_INTERRUPTED;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail_msg(cl, "eisc: poll: %s", strerror(errno));
			return EXIT_FAIL;
		}
		if (pfd[1].revents) {
			/* Unasked-for bytes: a late reply to a request that
			 * timed out, or the server going away. */
			enum reply r = read_reply(cl);
			if (r == REPLY_INTERRUPTED)
				return EXIT_INTERRUPTED;
			if (r == REPLY_FAILED)
				return EXIT_FAIL;
			if (r == REPLY_CLOSED) {
				fail_msg(cl, "Server closed connection");
				return EXIT_FAIL;
			}
			if (cl->interactive) {
				fputs(PROMPT, stdout);
				fflush(stdout);
				cl->at_prompt = true;
			}
			continue;
		}
		if (pfd[0].revents)
			return 0;
	}
}

/* Reads more of stdin into cl->line. Returns 0, or an exit status. */
static int read_input(struct client *cl)
{
	ssize_t n;

	do
		n = read(STDIN_FILENO, cl->line + cl->line_len, LINE_MAX_BYTES - cl->line_len);
	while (n < 0 && errno == EINTR && !interrupted);
	if (interrupted)
		return EXIT_INTERRUPTED;
	if (n < 0) {
		fail_msg(cl, "eisc: cannot read standard input: %s", strerror(errno));
		return EXIT_FAIL;
	}
	if (n == 0)
		cl->stdin_eof = true;
	cl->line_len += (size_t)n;
	return 0;
}

static bool is_quit(const char *p, size_t len)
{
	while (len && (p[0] == ' ' || p[0] == '\t'))
		p++, len--;
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r' ||
		       p[len - 1] == '\n'))
		len--;
	return len == 4 && strncasecmp(p, "quit", 4) == 0;
}

static bool is_blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/* Sends one line (or piece) and handles its reply. Returns -1 to go on,
 * or an exit status. */
static int exchange(struct client *cl, const char *p, size_t len, bool whole)
{
	int rc = send_all(cl, p, len);

	if (rc)
		return rc;
	if (!whole)
		return -1; /* the rest of this long line follows */
	switch (read_reply(cl)) {
	case REPLY_DONE:
		return -1;
	case REPLY_TIMEOUT:
		note(cl, "Request timed out");
		cl->any_timeout = true;
		return -1;
	case REPLY_CLOSED:
		fail_msg(cl, "Server closed connection");
		return EXIT_FAIL;
	case REPLY_INTERRUPTED:
		return EXIT_INTERRUPTED;
	case REPLY_FAILED:
	default:
		return EXIT_FAIL;
	}
}

static int session(struct client *cl)
{
	if (cl->interactive) {
		printf("Connected to %s\n", cl->where);
		fflush(stdout);
	}
	for (;;) {
		char *nl;
		int rc;

		if (cl->interactive && !cl->at_prompt) {
			fputs(PROMPT, stdout);
			fflush(stdout);
			cl->at_prompt = true;
		}
		/* Gather input until a whole line (or a full buffer, or EOF). */
		while (!(nl = memchr(cl->line, '\n', cl->line_len)) && !cl->stdin_eof &&
		       cl->line_len < LINE_MAX_BYTES) {
			rc = wait_for_input(cl);
			if (rc)
				return rc;
			rc = read_input(cl);
			if (rc)
				return rc;
		}
		size_t take = nl ? (size_t)(nl - cl->line) + 1 : cl->line_len;
		bool whole = nl || cl->stdin_eof;

		if (take == 0 && cl->stdin_eof) {
			if (cl->interactive)
				note(cl, "Connection closed");
			return cl->any_timeout && !cl->interactive ? EXIT_FAIL : EXIT_OK;
		}
		if (cl->interactive) {
			cl->at_prompt = false;
			if (whole && is_quit(cl->line, take)) {
				note(cl, "Connection closed");
				return EXIT_OK;
			}
		}
		if (cl->interactive && whole && is_blank(cl->line, take)) {
			rc = -1; /* nothing to say: ask again */
		} else if (whole && !nl) {
			/* The last line lacks its newline (Ctrl-D after some
			 * text, or a file without one): it is still a line,
			 * and a line server would wait for the end of it. */
			cl->line[take] = '\n';
			rc = exchange(cl, cl->line, take + 1, true);
		} else {
			rc = exchange(cl, cl->line, take, whole);
		}
		cl->line_len -= take;
		memmove(cl->line, cl->line + take, cl->line_len);
		if (rc >= 0)
			return rc;
	}
}

int main(int argc, char **argv)
{
	struct client *cl = calloc(1, sizeof(*cl));
	struct sigaction sa = { 0 };
	sigset_t block;
	int rc;

	if (!cl) {
		fputs("eisc: out of memory\n", stderr);
		return EXIT_FAIL;
	}
	cl->host = DEFAULT_HOST;
	cl->port = DEFAULT_PORT;
	cl->timeout_ms = (int)(DEFAULT_TIMEOUT_S * 1000);
	cl->gap_ms = DEFAULT_GAP_MS;
	cl->fd = -1;
	rc = parse_args(cl, argc, argv);
	if (rc) {
		free(cl);
		return rc < 0 ? EXIT_OK : rc;
	}
	cl->interactive = isatty(STDIN_FILENO);
	if (cl->interactive) {
		/* Only the character set is wanted (number parsing stays "C"). */
		setlocale(LC_CTYPE, "");
		cl->utf8_term = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	}
	snprintf(cl->where, sizeof(cl->where), strchr(cl->host, ':') ? "[%s]:%s" : "%s:%s",
		 cl->host, cl->port);

	/* Interactive: Ctrl-C ends whatever wait is under way and the session
	 * closes cleanly (see wait_mask). In pipe mode it keeps its default
	 * and ends eisc at once, even while it waits to write a reply to a
	 * stalled reader; the kernel closes the connection. */
	sigprocmask(SIG_SETMASK, NULL, &wait_mask);
	if (cl->interactive) {
		sa.sa_handler = on_sigint;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigprocmask(SIG_BLOCK, &block, &wait_mask);
		sigdelset(&wait_mask, SIGINT);
	}
	signal(SIGPIPE, SIG_IGN);

	rc = client_connect(cl);
	if (rc == EXIT_OK)
		rc = session(cl);
	if (rc == EXIT_INTERRUPTED && cl->interactive && cl->fd >= 0) {
		note(cl, "Connection closed");
		rc = EXIT_OK;
	}
	if (cl->fd >= 0)
		close(cl->fd);
	fflush(stdout);
	free(cl);
	return rc;
}
