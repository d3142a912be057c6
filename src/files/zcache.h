/* The compressed-file cache: each file is compressed once per coding, not
 * per request, and the result is shared by every worker.
 *
 * Keyed by the file's identity (device, inode, size, mtime) and the
 * coding, so a changed file is a new key and the old result is never
 * served again (it ages out). Bounded in bytes; over the bound the least
 * recently used results go. An entry a response still sends from lives
 * on until that response lets go (atomic references).
 *
 * Never blocks a worker on compression: a miss queues the file (a
 * duplicate of its descriptor) for the cache's helper thread and returns
 * nothing; the caller serves the file uncompressed meanwhile, and a later
 * request finds the result. The lock is held for a lookup or an insert
 * only, never while compressing. A file that does not shrink, changes
 * while read, or cannot be read is remembered as such (a small entry), so
 * it is not tried again. */
#ifndef EISD_ZCACHE_H
#define EISD_ZCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "util/codec.h"

#define ZCACHE_MEM_DEFAULT (64u << 20) /* compressed bytes kept, all workers */
#define ZCACHE_FILE_MIN 1024           /* smaller files are sent as they are */
#define ZCACHE_FILE_MAX (8u << 20)     /* larger files too (not worth a stall) */
#define ZCACHE_QUEUE_MAX 256           /* files waiting for the helper thread */

struct zcache;

struct zcache_entry {
	const char *data; /* the compressed bytes, len of them */
	size_t len;
};

/* A cache of at most mem_max bytes (results and their bookkeeping). The
 * helper thread starts with the first miss. NULL when out of memory. */
struct zcache *zcache_new(size_t mem_max);
/* Stops the helper thread (a compression under way finishes first) and
 * frees every entry no response holds; held ones go on release. */
void zcache_free(struct zcache *zc);

/* The result for the file fd (whose stat is st) in coding k, with a
 * reference for the caller (zcache_release), or NULL: not compressed yet
 * (a miss queues it, unless the queue is full), being compressed, or not
 * worth it. fd is only read by the helper, from a duplicate. */
struct zcache_entry *zcache_get(struct zcache *zc, const struct stat *st, enum codec_kind k,
				int fd);
/* Gives back a reference (a void * so it can be a response's hold). */
void zcache_release(void *entry);

/* Blocks until the helper thread has nothing queued or under way: for
 * tests, never on the request path. */
void zcache_drain(struct zcache *zc);

struct zcache_stats {
	size_t bytes;        /* held by results */
	unsigned entries;    /* results (and remembered failures) */
	uint64_t compressed; /* files compressed so far */
	uint64_t evicted;
};
void zcache_get_stats(struct zcache *zc, struct zcache_stats *out);

#endif
