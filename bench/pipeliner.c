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
 * still due for at most DRAIN_S more seconds. Prints "STARTED" once the
 * first answers came (the flood is on), and at the end one line
 * "EISD-PIPELINER {json}": requests sent, answers read (and how many 200),
 * bytes, and the CLOCK_MONOTONIC time of the first and the last answer,
 * which the bench compares with its own measuring window (Python's
 * time.monotonic() reads the same clock). Every wait is bounded; the bench
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

	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS)) {
		perror("pipeliner: connect");
		return 1;
	}

	double t0 = now_s();
	double stop_at = t0 + seconds;
	double give_up = stop_at + DRAIN_S;
	uint64_t sent = 0;
	size_t burst_off = 0; /* bytes of the current batch already written */
	int sending = 1;
	struct counts n = {0, 0};
	uint64_t nbytes = 0;
	double first = 0, last = 0;
	size_t kept = 0; /* bytes carried over at the start of in */
	int announced = 0;
	const char *error = NULL;

	for (;;) {
		double t = now_s();
		if (sending && burst_off == 0 && (t >= stop_at || sent + (uint64_t)batch > max_requests))
			sending = 0;
		if (!sending && n.answers >= sent)
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
		if (pfd.revents & POLLIN) {
			ssize_t got = read(fd, in + kept, READ_SIZE);
			if (got == 0) {
				error = "closed by the server";
				break;
			}
			if (got < 0 && errno != EAGAIN && errno != EINTR) {
				error = "read failed";
				break;
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
				if (!announced && n.answers >= STARTED_AFTER) {
					printf("STARTED\n");
					fflush(stdout);
					announced = 1;
				}
			}
		}
		if (sending && (pfd.revents & POLLOUT)) {
			ssize_t w = write(fd, burst + burst_off, burst_len - burst_off);
			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				error = "write failed";
				break;
			}
			if (w > 0) {
				burst_off += (size_t)w;
				if (burst_off == burst_len) {
					burst_off = 0;
					sent += (uint64_t)batch;
				}
			}
		}
		if ((pfd.revents & (POLLERR | POLLHUP)) && !(pfd.revents & POLLIN)) {
			error = "connection error";
			break;
		}
	}
	close(fd);
	/* A batch cut short by an error counts as sent in part only. */
	printf("EISD-PIPELINER {\"sent\":%llu,\"answers\":%llu,\"ok\":%llu,\"bytes\":%llu,"
	       "\"first_answer\":%.6f,\"last_answer\":%.6f,\"error\":%s%s%s}\n",
	       (unsigned long long)sent, (unsigned long long)n.answers, (unsigned long long)n.ok,
	       (unsigned long long)nbytes, first, last, error ? "\"" : "", error ? error : "null",
	       error ? "\"" : "");
	free(burst);
	free(in);
	return error ? 1 : 0;
}
