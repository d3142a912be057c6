/* The file service (the lecture's exercise 3): a client sends a file name,
 * the reply is the file's raw content or one "ERROR: ..." line, and the
 * connection stays open for the next name.
 *
 * Framing: a name ends at a newline. The lecture's own client sends a bare
 * name with no newline and waits for the reply, so until a connection has
 * sent its first newline, whatever one read delivered is taken as the
 * whole name; after that, names must end with a newline (so a name split
 * across two reads is never cut in half).
 *
 * Names are resolved with the same code as HTTP paths (path.h), except
 * that no percent-decoding happens and any ".." segment or a leading '/'
 * is refused outright: the name is relative to the root and may not try to
 * leave it. Files go out with sendfile(), never read into memory. */
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conn.h"
#include "files/path.h"
#include "core/proto.h"
#include "core/ctx.h"
#include "util/chars.h"

/* Lives in conn.proto. */
struct file_state {
	bool line_mode; /* a newline has been seen: names end at newlines */
};

_Static_assert(sizeof(struct file_state) <= sizeof(((struct conn *)0)->proto_state),
	       "file_state must fit in conn.proto");

static struct file_state *state_of(struct conn *c)
{
	return (struct file_state *)(void *)&c->proto_state;
}

/* What one request came to: its reply and the status the log and the
 * counters record, in HTTP terms so the same tools read both logs. */
enum file_result {
	FILE_SENT = 200,
	FILE_INVALID = 400,
	FILE_FORBIDDEN = 403,
	FILE_NOT_FOUND = 404,
	FILE_TOO_LONG = 413,
	FILE_FAILED = 500,
};

/* The lecture's rule, made exact: a name may not start with '/' and no
 * segment may be "..". Names that merely contain dots ("a..b") are fine.
 * A NUL would cut the name short on its way to the kernel. */
static bool name_is_valid(const char *name, size_t len)
{
	size_t start = 0;

	if (len == 0 || name[0] == '/' || memchr(name, '\0', len))
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '/') {
			if (i - start == 2 && name[start] == '.' && name[start + 1] == '.')
				return false;
			start = i + 1;
		}
	}
	return true;
}

static void account(struct conn *c, const char *name, size_t len, int status, uint64_t bytes)
{
	struct ctx *cx = c->ctx;

	c->requests++;
	stats_count(&cx->stats, status);
	log_service(&cx->log, cx->now, c->peer_addr, "FILE", name, len, status, bytes);
}

/* Queues the reply to one name. Returns its status and sets *bytes to the
 * file bytes queued, or returns -1 when memory ran out. */
static int serve_name(struct conn *c, const char *name, size_t len, uint64_t *bytes)
{
	char path[PATH_MAX];
	struct stat st;
	int trailing = 0;
	int fd, status;

	*bytes = 0;
	if (!name_is_valid(name, len))
		return conn_out_printf(c, "ERROR: Invalid path\n") ? -1 : FILE_INVALID;
	if (len + 2 > sizeof(path))
		goto not_found; /* longer than any path the kernel takes */
	/* path_normalize wants "/name"; it drops "." and "//" and refuses
	 * hidden segments (-404, so their existence is not confirmed). */
	path[0] = '/';
	memcpy(path + 1, name, len);
	path[len + 1] = '\0';
	if (path_normalize(path, &trailing) < 0)
		goto not_found;

	fd = path_open(c->ctx->root_fd, path, &st);
	if (fd == -404)
		goto not_found;
	if (fd == -403) /* permissions, a symlink out of the root, a FIFO... */
		return conn_out_printf(c, "ERROR: File '%.*s' is not accessible\n", (int)len,
				       name) ? -1 : FILE_FORBIDDEN;
	if (fd < 0)
		return conn_out_printf(c, "ERROR: File '%.*s' could not be read\n", (int)len,
				       name) ? -1 : FILE_FAILED;
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return conn_out_printf(c, "ERROR: '%.*s' is a directory\n", (int)len,
				       name) ? -1 : FILE_FORBIDDEN;
	}
	if (trailing) { /* "file.txt/": like open(2), a file is no directory */
		close(fd);
		goto not_found;
	}
	if (st.st_size == 0) {
		/* Zero bytes would leave the client waiting for a reply that
		 * never comes (the lecture's client blocks in recv), so say
		 * so instead. */
		close(fd);
		return conn_out_printf(c, "ERROR: File '%.*s' is empty\n", (int)len,
				       name) ? -1 : FILE_SENT;
	}
	status = conn_out_file(c, fd, 0, (uint64_t)st.st_size);
	if (status) {
		close(fd);
		return -1;
	}
	*bytes = (uint64_t)st.st_size;
	return FILE_SENT;

not_found:
	return conn_out_printf(c, "ERROR: File '%.*s' not found\n", (int)len,
			       name) ? -1 : FILE_NOT_FOUND;
}

static long file_on_input(struct conn *c, const char *data, size_t len)
{
	struct file_state *fs = state_of(c);
	const char *nl = memchr(data, '\n', len);
	size_t take, start = 0, end;
	uint64_t bytes = 0;
	int status;

	if (nl) {
		fs->line_mode = true;
		end = (size_t)(nl - data);
		take = end + 1;
	} else if (fs->line_mode || len >= c->ctx->cfg->max_request_bytes) {
		return 0; /* wait for the newline; a full buffer overflows */
	} else {
		end = take = len;
	}
	while (start < end && chars_is_space(data[start]))
		start++;
	while (end > start && chars_is_space(data[end - 1]))
		end--;
	if (start == end)
		status = conn_out_printf(c, "ERROR: No file name given\n") ? -1 : FILE_INVALID;
	else
		status = serve_name(c, data + start, end - start, &bytes);
	if (status < 0)
		return -1;
	account(c, data + start, end - start, status, bytes);
	return (long)take;
}

static void file_on_overflow(struct conn *c)
{
	size_t limit = c->ctx->cfg->max_request_bytes;

	if (conn_out_printf(c, "ERROR: File name too long (limit %zu bytes)\n", limit - 1) == 0)
		account(c, NULL, 0, FILE_TOO_LONG, 0);
}

const struct proto proto_file = {
	.name = "file",
	.on_input = file_on_input,
	.on_overflow = file_on_overflow,
	/* Silence past --timeout, or a connection over --max-connections:
	 * closed without a reply (no reply format fits either). */
	.on_header_timeout = NULL,
	.reject_reply = NULL,
	.on_close = NULL,
};
