/* Where the access log, the status report and error messages go: a
 * descriptor written without ever blocking the writer. A reader that
 * stalls (a pipe nobody reads, a terminal paused with Ctrl-S) costs lines,
 * never a worker or the signal path: what cannot be written is dropped
 * and counted, with one notice when dropping starts and one when it stops.
 *
 * How a write avoids blocking depends on the descriptor, and never
 * changes a file description shared with another process (O_NONBLOCK on
 * an inherited stdout would hit the shell and every other program on the
 * same pipe or terminal):
 *   - regular files and block devices: plain write() (a disk has no reader
 *     to wait for);
 *   - sockets: send(MSG_DONTWAIT), non-blocking for this call only;
 *   - pipes, FIFOs, terminals: a private description of the same object,
 *     opened through /proc/self/fd, made O_NONBLOCK (or the descriptor as
 *     is when eisd opened it itself, O_NONBLOCK already);
 *   - without /proc: poll() with a zero timeout before each write of at
 *     most PIPE_BUF bytes (best effort: another writer may fill the room
 *     between the two calls). */
#ifndef EISD_LOG_SINK_H
#define EISD_LOG_SINK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum log_sink_how {
	LOG_SINK_OFF = 0,
	LOG_SINK_PLAIN,   /* a file: write() */
	LOG_SINK_SOCKET,  /* send(MSG_DONTWAIT) */
	LOG_SINK_NONBLOCK, /* our own O_NONBLOCK description */
	LOG_SINK_POLL,    /* a shared blocking description: poll first */
};

struct log_sink {
	int fd;               /* -1: off */
	bool own_fd;          /* a private reopen: log_sink_close closes it */
	bool pipe;            /* writes of up to PIPE_BUF are atomic */
	enum log_sink_how how;
	const char *name;     /* "access log", "standard error" (notices) */
	struct log_sink *notices; /* where the drop notices go; NULL: nowhere */

	/* Shared by every thread that writes here. */
	atomic_uint_fast64_t dropped;  /* lines (messages) dropped so far */
	atomic_uint_fast64_t noticed;  /* dropped when the last notice went */
	atomic_bool dropping;          /* dropped since the last recovery */
	_Atomic time_t last_drop;      /* wall clock of the last drop */
};

/* Sets s up to write to fd (-1: off). private_fd: eisd opened fd itself
 * (O_NONBLOCK, not shared), so it is used as it is. Call before dropping
 * privileges or chroot (it may open /proc/self/fd/N). */
void log_sink_init(struct log_sink *s, int fd, bool private_fd, const char *name,
		   struct log_sink *notices);
void log_sink_close(struct log_sink *s);

/* Writes up to len bytes of whole lines without blocking; returns how many
 * were written (0 when the reader is not keeping up, or on an error). To a
 * pipe, lines go in pieces of at most PIPE_BUF bytes cut at line ends, so
 * lines from several workers never interleave. */
size_t log_sink_write(struct log_sink *s, const char *buf, size_t len);

/* One whole message (a status report, an error line): written at once, or
 * dropped and counted when the reader is not keeping up. On a pipe it is
 * written only if the pipe has room for all of it; elsewhere a message cut
 * short by a full buffer counts as dropped. Returns true when written. */
bool log_sink_message(struct log_sink *s, const char *buf, size_t len);

/* The caller could not write n lines (its buffer was full): they are
 * counted, and the first drop since the last recovery sends a notice. */
void log_sink_dropped(struct log_sink *s, uint64_t n);

/* Waits up to max_ms for room, for a last flush at exit (poll(), never a
 * blocking write). Returns true if there may be room. */
bool log_sink_wait(struct log_sink *s, int max_ms);

static inline uint64_t log_sink_dropped_count(const struct log_sink *s)
{
	return atomic_load_explicit(&s->dropped, memory_order_relaxed);
}

#endif
