/* The greedy client of bench/run.py's fairness scenario: one connection
 * that pipelines GETs in batches as fast as the server takes them and
 * reads every answer as fast as it comes, so the worker's input from it is
 * never empty (tests/e2e/test_attacks_engine.py builds the same attacker
 * in Python; here it is C so that the client core, which the legitimate
 * client shares, is not what sets the pace).
 *
 * Usage: pipeliner PORT PATH SECONDS MAX_REQUESTS [BATCH]
 *
 * Writes batches of BATCH requests (default 128) for SECONDS or until
 * MAX_REQUESTS are sent, whichever comes first, then reads the answers
 * still due for at most DRAIN_S more seconds. When the server closes the
 * connection, it connects again (counting the requests left unanswered as
 * lost), as a greedy client would. Prints "STARTED" once the first
 * answers came (the flood is on), and at the end one line
 * "EISD-PIPELINER {json}": requests sent, answers read (and how many 200),
 * requests lost to closes, reconnections, bytes, and the CLOCK_MONOTONIC
 * time of the first and the last answer, which the bench compares with its
 * own measuring window (Python's time.monotonic() reads the same clock). Every wait is bounded; the bench
 * also kills it by PID.
 *
 * Built by bench/run.py with the system's cc into its temporary
 * directory; nothing else uses it. */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_S 20.0
#define STARTED_AFTER 256 /* answers read before the flood counts as on */
#define READ_SIZE (256 * 1024)
#define MAX_RECONNECTS 10000

static const char STATUS[] = "HTTP/1.1 ";
static const char STATUS_OK[] = "HTTP/1.1 200 ";
#define STATUS_LEN (sizeof STATUS - 1)
#define OK_LEN (sizeof STATUS_OK - 1)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct counts {
	uint64_t answers;
	uint64_t ok;
};

/* Counts the status lines that start in buf[0, scan_end); the bytes from
 * scan_end on are kept for the next read, so one split across two reads
 * is counted once. The bodies are the bench's small file (lower-case
 * text), so "HTTP/1.1 " only starts a status line. */
static void count_status(const char *buf, size_t len, size_t scan_end, struct counts *n)
{
	const char *p = buf;
	const char *end = buf + len;
	while ((p = memmem(p, (size_t)(end - p), STATUS, STATUS_LEN)) != NULL) {
		if ((size_t)(p - buf) >= scan_end)
			break;
		n->answers++;
		if ((size_t)(end - p) >= OK_LEN && memcmp(p, STATUS_OK, OK_LEN) == 0)
			n->ok++;
		p += STATUS_LEN;
	}
}

/* A non-blocking connection to sa, under way; -1 on failure. */
static int open_conn(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: pipeliner PORT PATH SECONDS MAX_REQUESTS [BATCH]\n");
		return 2;
	}
	int port = atoi(argv[1]);
	const char *path = argv[2];
	double seconds = atof(argv[3]);
	uint64_t max_requests = strtoull(argv[4], NULL, 10);
	int batch = argc > 5 ? atoi(argv[5]) : 128;
	if (port <= 0 || port > 65535 || seconds <= 0 || batch <= 0 || batch > 100000) {
		fprintf(stderr, "pipeliner: bad arguments\n");
		return 2;
	}

	char one[512];
	int one_len = snprintf(one, sizeof one, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (one_len <= 0 || (size_t)one_len >= sizeof one) {
		fprintf(stderr, "pipeliner: path too long\n");
		return 2;
	}
	size_t burst_len = (size_t)one_len * (size_t)batch;
	char *burst = malloc(burst_len);
	char *in = malloc(READ_SIZE + OK_LEN);
	if (!burst || !in) {
		fprintf(stderr, "pipeliner: out of memory\n");
		return 1;
	}
	for (int i = 0; i < batch; i++)
		memcpy(burst + (size_t)i * (size_t)one_len, one, (size_t)one_len);

	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = open_conn(&sa);
	if (fd < 0) {
		perror("pipeliner: connect");
		return 1;
	}

	double t0 = now_s();
	double stop_at = t0 + seconds;
	double give_up = stop_at + DRAIN_S;
	/* Totals over the connections closed so far, and this connection's:
	 * requests written whole, answers read. */
	uint64_t sent = 0, answers = 0, ok = 0, lost = 0, reconnects = 0;
	uint64_t conn_written = 0; /* bytes of requests written on fd */
	struct counts n = {0, 0};  /* answers read on fd */
	size_t burst_off = 0;      /* bytes of the current batch already written */
	int sending = 1;
	uint64_t nbytes = 0;
	double first = 0, last = 0;
	size_t kept = 0; /* bytes carried over at the start of in */
	int announced = 0;
	const char *error = NULL;

	for (;;) {
		double t = now_s();
		uint64_t conn_sent = conn_written / (uint64_t)one_len;
		if (sending && burst_off == 0 &&
		    (t >= stop_at || sent + conn_sent + (uint64_t)batch > max_requests))
			sending = 0;
		if (!sending && n.answers >= conn_sent)
			break;
		if (t >= give_up) {
			error = "answers still due at the drain deadline";
			break;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN | (sending ? POLLOUT : 0)};
		int timeout_ms = (int)((give_up - t) * 1000) + 1;
		int r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			error = "poll failed";
			break;
		}
		ssize_t got = 0;
		if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
			got = read(fd, in + kept, READ_SIZE);
			if (got < 0 && errno != EAGAIN && errno != EINTR) {
				if (errno != ECONNRESET) {
					error = "read failed";
					break;
				}
				got = 0; /* a reset: closed, as for EOF */
			}
			if (got == 0) {
				/* Closed by the server (lighttpd ends a connection after
				 * 65,535 requests at most): the requests it left
				 * unanswered are lost, and a greedy client connects
				 * again. */
				sent += conn_sent;
				answers += n.answers;
				ok += n.ok;
				lost += conn_sent > n.answers ? conn_sent - n.answers : 0;
				conn_written = 0;
				n = (struct counts){0, 0};
				burst_off = kept = 0;
				close(fd);
				if (!sending)
					break;
				if (++reconnects > MAX_RECONNECTS) {
					error = "closed by the server too often";
					fd = -1;
					break;
				}
				fd = open_conn(&sa);
				if (fd < 0) {
					error = "reconnect failed";
					break;
				}
				continue;
			}
		}
		if (got > 0) {
			last = now_s();
			if (first == 0)
				first = last;
			nbytes += (uint64_t)got;
			size_t len = kept + (size_t)got;
			size_t scan_end = len > OK_LEN - 1 ? len - (OK_LEN - 1) : 0;
			count_status(in, len, scan_end, &n);
			kept = len - scan_end;
			memmove(in, in + scan_end, kept);
			if (!announced && answers + n.answers >= STARTED_AFTER) {
				printf("STARTED\n");
				fflush(stdout);
				announced = 1;
			}
		}
		if (sending && (pfd.revents & POLLOUT)) {
			ssize_t w = send(fd, burst + burst_off, burst_len - burst_off, MSG_NOSIGNAL);
			if (w < 0 && errno != EAGAIN && errno != EINTR && errno != EPIPE &&
			    errno != ECONNRESET) {
				error = "write failed";
				break;
			}
			if (w > 0) {
				conn_written += (uint64_t)w;
				burst_off = (burst_off + (size_t)w) % burst_len;
			}
		}
	}
	if (fd >= 0) {
		uint64_t conn_sent = conn_written / (uint64_t)one_len;
		sent += conn_sent;
		answers += n.answers;
		ok += n.ok;
		lost += conn_sent > n.answers ? conn_sent - n.answers : 0;
		close(fd);
	}
	printf("EISD-PIPELINER {\"sent\":%llu,\"answers\":%llu,\"ok\":%llu,\"lost\":%llu,"
	       "\"reconnects\":%llu,\"bytes\":%llu,\"first_answer\":%.6f,\"last_answer\":%.6f,"
	       "\"error\":%s%s%s}\n",
	       (unsigned long long)sent, (unsigned long long)answers, (unsigned long long)ok,
	       (unsigned long long)lost, (unsigned long long)reconnects,
	       (unsigned long long)nbytes, first, last, error ? "\"" : "",
	       error ? error : "null", error ? "\"" : "");
	free(burst);
	free(in);
	return error ? 1 : 0;
}
