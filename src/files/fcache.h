/* The open-file cache: each worker keeps the files it served open, with
 * their stat and Content-Type, and small settled files in memory, so a
 * repeated request costs one stat by path instead of open + fstat +
 * close, and a small file goes out with its header in one write.
 *
 * Never stale. A hit is served only when nothing that could have changed
 * the file is known: the worker's inotify instance watches each cached
 * file and every directory on its path, and its queue is read after the
 * request was (one ioctl per read from the connections, however many
 * requests that read brought: fcache_drain_after), so a change whose
 * system call returned before the client sent the request has always
 * been seen; any event at all sends
 * every entry back to a stat of its path (a different inode, size, mtime,
 * ctime or mode is a miss). Paths through a symlink, files that get no
 * watch, and every entry once a second are checked with that stat on
 * every hit instead. So a file changed in place, replaced by rename,
 * removed, or reached through a swapped directory is seen by the very next
 * request. A copy in memory is only made of a file whose ctime is a few
 * seconds old, so a change that a coarse timestamp could hide (two writes
 * within one clock tick) is always served from the file itself.
 *
 * Precompressed copies (FILE.gz, FILE.br) are looked up through the
 * cache too (fcache_sidecar): a copy that exists is an entry like any
 * file, and a copy that does not is remembered on FILE's entry, trusted
 * under the same rule as a hit: only while FILE's directories are watched
 * (so creating or renaming in the copy queues an event), nothing has
 * changed since the copy was found missing, and within that second.
 *
 * Bounded: at most FCACHE_MAX_ENTRIES files (descriptors) and
 * FCACHE_MEM_TOTAL bytes of content per worker, least recently used out
 * first. An entry evicted while a response still sends from it lives on
 * until that response lets go. Single-threaded: one cache per worker. */
#ifndef EISD_FCACHE_H
#define EISD_FCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "http/cond.h"
#include "http/httpdate.h"
#include "util/list.h"

#define FCACHE_MAX_ENTRIES 512
#define FCACHE_SIDECARS 3              /* precompressed copies per file */
#define FCACHE_MEM_FILE_MAX 16384      /* larger files go out with sendfile */
#define FCACHE_MEM_TOTAL (8u << 20)    /* content kept in memory, per worker */
#define FCACHE_SETTLE_SEC 2            /* ctime this old: content may be copied */

struct mime_table;

struct fcache_entry {
	int fd;              /* O_RDONLY, opened with path_open */
	struct stat st;      /* as of the last check */
	const char *data;    /* the whole content (st.st_size bytes), or NULL */
	const char *type;    /* Content-Type, from the mime table */
	bool compressible;   /* of a type worth compressing (mime_compressible) */
	/* Validators of st, made once with the entry. */
	char etag[COND_ETAG_MAX]; /* cond_etag_make(st, NULL) */
	size_t etag_len;
	char mtime_date[HTTPDATE_LEN + 1]; /* st's mtime as an HTTP date */

	/* Precompressed copies found missing (fcache_sidecar), by slot:
	 * trusted while watch_epoch and gen are the cache's and within the
	 * second checked. */
	struct fcache_absent {
		bool absent;
		unsigned watch_epoch;
		uint64_t gen;
		time_t checked;
	} side[FCACHE_SIDECARS];

	/* The cache's own bookkeeping. */
	struct fcache *fc;
	struct list_node hnode;  /* in its bucket of fc while cached */
	struct list_node lru;    /* in fc->lru while cached */
	uint64_t hash;
	unsigned refs;       /* the cache's (while cached) + one per user */
	bool cached;
	bool unwatchable;    /* reached through a symlink, or no watch could be had */
	unsigned watch_epoch; /* watched in this inotify instance (0: never) */
	uint64_t gen;        /* the cache's gen when last checked */
	time_t checked;      /* the second of the last stat */
	size_t path_len;
	char path[];
};

/* A cache of up to max_entries (at most FCACHE_MAX_ENTRIES) files under
 * rootfd, typed by mime. NULL when out of memory. */
struct fcache *fcache_new(int rootfd, const struct mime_table *mime, unsigned max_entries);
/* Drops every entry; entries still referenced are freed on release. */
void fcache_free(struct fcache *fc);

/* From now on a hit reads the change events only when *reads (the
 * worker's count of reads from its connections, ctx.reads) moved since
 * they were last read: every request came in by such a read, and the
 * events were read after it, so nothing it could be owed is missed,
 * while the requests of one read (16 HTTP/2 streams) cost one ioctl
 * between them. Without it (NULL), every hit reads them. */
void fcache_drain_after(struct fcache *fc, const uint64_t *reads);

/* Opens rel (path_normalize's output) through the cache, as path_open
 * would. A regular file gives an entry with a reference for the caller,
 * to be given back with fcache_release; now (wall clock) decides whether
 * the content may be kept in memory. Anything else gives NULL and
 * *status: 0 when rel is not a regular file (a directory), or the
 * negative HTTP status path_open gives (-404, -403, -500). */
struct fcache_entry *fcache_get(struct fcache *fc, const char *rel, time_t now,
				int *status);
/* The precompressed copy of e (from this request's fcache_get, so that
 * the change events were read after the request was) named e's path +
 * suffix (".gz", ".br"); slot (< FCACHE_SIDECARS) tells the copies
 * apart. An entry with a reference, as fcache_get gives, or NULL when
 * there is no regular file of that name to serve. A name that does not
 * exist at all is remembered (see above), so a file without copies costs
 * no system call per request. */
struct fcache_entry *fcache_sidecar(struct fcache *fc, struct fcache_entry *e, unsigned slot,
				    const char *suffix, time_t now);
/* Lets go of the entries whose file was removed or changed since it was
 * cached, so no deleted file stays open for long (its disk space would
 * stay in use): for the worker to call about once a second. It reads the
 * change events, and checks with one fstat the descriptor of each entry
 * that no watch reports on, or of every entry when there were events
 * since the last sweep. An entry still sending a response is closed when
 * that is done. */
void fcache_sweep(struct fcache *fc);
/* Lookups served from the cache, and those that had to open the file (a
 * file that is not there counts too), since the cache was made. Safe to
 * call from any thread. */
void fcache_counts(const struct fcache *fc, uint64_t *hits, uint64_t *misses);
/* Gives back a reference (a void * so it can be a conn_out_hold). */
void fcache_release(void *entry);

#endif
