/* The per-worker open-file cache. See fcache.h. */
#include "files/fcache.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "files/changes.h"
#include "files/mime.h"
#include "files/path.h"

#define FCACHE_BUCKETS 1024 /* a power of two, twice FCACHE_MAX_ENTRIES */
/* inotify_add_watch calls before the instance is renewed (which drops
 * every watch at once): watches of evicted files do not pile up. */
#define FCACHE_MAX_WATCHES 4096

#define FILE_EVENTS (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)
#define DIR_EVENTS (IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
		    IN_DELETE_SELF | IN_MOVE_SELF)

/* The entry a node of the LRU list is in (NULL at the end). */
#define LRU_ENTRY(node) list_item((node), struct fcache_entry, lru)

struct fcache {
	int rootfd;
	const struct mime_table *mime;
	struct list buckets[FCACHE_BUCKETS]; /* of fcache_entry.hnode, by hash */
	struct list lru;     /* of fcache_entry.lru; head: most recent */
	unsigned count, max_entries;
	size_t mem_bytes;

	/* Change notification (see fcache.h): any event at all moves gen,
	 * and every entry checked under an older gen is stat-ed again. */
	int ino_fd;           /* -1: none, every hit is stat-ed */
	unsigned epoch;       /* which inotify instance the watches are in */
	unsigned nwatches;    /* inotify_add_watch calls in this instance */
	uint64_t gen;
	uint64_t swept_gen;   /* gen at the last fcache_sweep */
	const uint64_t *reads; /* fcache_drain_after; NULL: read on every hit */
	uint64_t drained_reads; /* *reads when the events were last read for a hit */
	char root_real[PATH_MAX];
	size_t root_real_len;

	/* For the metrics: only this worker writes them, anyone may read. */
	atomic_uint_fast64_t hits, misses;
};

_Static_assert(FCACHE_BUCKETS >= 2 * FCACHE_MAX_ENTRIES, "hash table too small");

static uint64_t hash_path(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct fcache *fcache_new(int rootfd, const struct mime_table *mime, unsigned max_entries)
{
	struct fcache *fc = calloc(1, sizeof(*fc));

	if (!fc)
		return NULL;
	fc->rootfd = rootfd;
	fc->mime = mime;
	fc->epoch = 1;
	fc->ino_fd = changes_open();
	if (fc->ino_fd >= 0) {
		char link[CHANGES_FD_PATH];
		ssize_t n;

		changes_fd_path(link, rootfd);
		n = readlink(link, fc->root_real, sizeof(fc->root_real) - 1);
		if (n <= 0 || fc->root_real[0] != '/') {
			changes_close(fc->ino_fd);
			fc->ino_fd = -1;
		} else {
			if (n == 1) /* the root is "/" */
				n = 0;
			fc->root_real[n] = '\0';
			fc->root_real_len = (size_t)n;
		}
	}
	fc->max_entries = max_entries == 0 ? 1
			  : max_entries > FCACHE_MAX_ENTRIES ? FCACHE_MAX_ENTRIES : max_entries;
	return fc;
}

static void entry_free(struct fcache_entry *e)
{
	close(e->fd);
	free((void *)e->data);
	free(e);
}

void fcache_release(void *entry)
{
	struct fcache_entry *e = entry;

	if (--e->refs == 0)
		entry_free(e);
}

/* Out of the table; freed now unless a response still holds it. */
static void evict(struct fcache *fc, struct fcache_entry *e)
{
	list_unlink(&fc->buckets[e->hash & (FCACHE_BUCKETS - 1)], &e->hnode);
	list_unlink(&fc->lru, &e->lru);
	fc->count--;
	if (e->data)
		fc->mem_bytes -= (size_t)e->st.st_size;
	e->cached = false;
	fcache_release(e);
}

void fcache_free(struct fcache *fc)
{
	if (!fc)
		return;
	while (!list_empty(&fc->lru))
		evict(fc, LRU_ENTRY(fc->lru.head));
	changes_close(fc->ino_fd);
	free(fc);
}

/* The same file, unchanged since it was opened (or last copied). */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	       a->st_size == b->st_size && a->st_mode == b->st_mode &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Copies a small file into memory once its ctime is old enough that any
 * later change must move it (see fcache.h), and when the budget allows. */
static void maybe_copy(struct fcache *fc, struct fcache_entry *e, time_t now)
{
	size_t size = (size_t)e->st.st_size;
	size_t got = 0;
	char *p;

	if (e->data || size == 0 || e->st.st_size > FCACHE_MEM_FILE_MAX ||
	    now < e->st.st_ctim.tv_sec + FCACHE_SETTLE_SEC ||
	    fc->mem_bytes + size > FCACHE_MEM_TOTAL)
		return;
	p = malloc(size);
	if (!p)
		return;
	while (got < size) {
		ssize_t n = pread(e->fd, p + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != size) { /* it shrank meanwhile: the next stat sees it */
		free(p);
		return;
	}
	e->data = p;
	fc->mem_bytes += size;
}

/* Reads whatever events are queued; any at all (overflow included) moves
 * gen. */
static void drain_events(struct fcache *fc)
{
	if (changes_drain(fc->ino_fd, NULL, NULL))
		fc->gen++;
}

void fcache_drain_after(struct fcache *fc, const uint64_t *reads)
{
	fc->reads = reads;
	if (reads) /* not read since: the next hit reads them */
		fc->drained_reads = *reads - 1;
}

/* Before a hit is trusted: the events queued before this request was
 * read (see fcache_drain_after). */
static void drain_for_request(struct fcache *fc)
{
	if (fc->reads) {
		if (*fc->reads == fc->drained_reads)
			return;
		fc->drained_reads = *fc->reads;
	}
	drain_events(fc);
}

/* A new instance, without the watches of files long gone. */
static void renew_watches(struct fcache *fc)
{
	int fd = changes_open();

	changes_close(fc->ino_fd);
	fc->ino_fd = fd;
	fc->epoch++;
	fc->nwatches = 0;
	fc->gen++;
}

static bool add_watch(struct fcache *fc, const char *path, uint32_t mask)
{
	fc->nwatches++;
	return inotify_add_watch(fc->ino_fd, path, mask) >= 0;
}

/* Watches the file and every directory from the root down to it, so any
 * change that could alter what rel names queues an event before the
 * change's system call returns. Only for a path without symlinks (the
 * watched directories are then exactly the ones the lookup crosses); the
 * caller stats the path after this, so a change made before the watches
 * existed is seen too. Returns false when e cannot be watched. */
static bool watch_entry(struct fcache *fc, struct fcache_entry *e)
{
	char path[PATH_MAX], got[PATH_MAX], link[CHANGES_FD_PATH];
	size_t rl = fc->root_real_len;
	ssize_t n;

	if (fc->ino_fd >= 0 && fc->nwatches + e->path_len + 2 > FCACHE_MAX_WATCHES)
		renew_watches(fc);
	if (fc->ino_fd < 0 || rl + 1 + e->path_len >= sizeof(path))
		return false;
	memcpy(path, fc->root_real, rl);
	path[rl] = '/';
	memcpy(path + rl + 1, e->path, e->path_len + 1);
	if (!add_watch(fc, rl ? fc->root_real : "/", DIR_EVENTS))
		return false;
	for (size_t i = rl + 1; path[i]; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		bool ok = add_watch(fc, path, DIR_EVENTS);
		path[i] = '/';
		if (!ok)
			return false;
	}
	changes_fd_path(link, e->fd);
	if (!add_watch(fc, link, FILE_EVENTS))
		return false;
	/* The file reached through no symlink: its own name is the path. */
	n = readlink(link, got, sizeof(got) - 1);
	if (n <= 0)
		return false;
	got[n] = '\0';
	return strcmp(got, path) == 0;
}

static struct fcache_entry *lookup(struct fcache *fc, const char *rel, size_t len, uint64_t h)
{
	list_each(e, &fc->buckets[h & (FCACHE_BUCKETS - 1)], struct fcache_entry, hnode)
		if (e->hash == h && e->path_len == len && memcmp(e->path, rel, len) == 0)
			return e;
	return NULL;
}

/* fcache_get for rel[0..len), whose hash is h and whose entry (if any)
 * is e. */
static void count(atomic_uint_fast64_t *v)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static struct fcache_entry *get(struct fcache *fc, struct fcache_entry *e, const char *rel,
				size_t len, uint64_t h, time_t now, int *status)
{
	struct stat st;
	int fd;

	if (e) {
		/* Watched and nothing has changed since it was last checked,
		 * this second: no stat needed. The events are read after the
		 * request was, so a change finished before the client sent it
		 * is always seen. */
		drain_for_request(fc);
		if (e->watch_epoch == fc->epoch && e->gen == fc->gen && e->checked == now)
			goto hit;
		if (e->watch_epoch != fc->epoch && !e->unwatchable) {
			if (watch_entry(fc, e)) {
				e->watch_epoch = fc->epoch;
			} else {
				e->unwatchable = true;
			}
			drain_events(fc);
		}
		e->gen = fc->gen;
		/* By path, not by descriptor: a rename over the file, or of
		 * a directory on the way, changes what the path means while
		 * our descriptor still shows the old file unchanged. */
		if (fstatat(fc->rootfd, rel, &st, 0) == 0 && same_file(&st, &e->st)) {
			e->checked = now;
			goto hit;
		}
		evict(fc, e);
	}
	if (len == 0) { /* the root: a directory */
		*status = 0;
		return NULL;
	}
	count(&fc->misses);
	fd = path_open(fc->rootfd, rel, &st);
	if (fd < 0) {
		*status = fd;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		*status = 0;
		return NULL;
	}
	e = calloc(1, sizeof(*e) + len + 1);
	if (!e) {
		close(fd);
		*status = -500;
		return NULL;
	}
	e->fd = fd;
	e->st = st;
	e->type = mime_type_for(fc->mime, rel, len);
	e->compressible = mime_compressible(e->type);
	e->etag_len = cond_etag_make(e->etag, &st, NULL);
	httpdate_format(st.st_mtim.tv_sec, e->mtime_date);
	e->fc = fc;
	e->hash = h;
	e->path_len = len;
	memcpy(e->path, rel, len + 1);

	while (fc->count >= fc->max_entries)
		evict(fc, LRU_ENTRY(fc->lru.tail));
	list_push_front(&fc->buckets[h & (FCACHE_BUCKETS - 1)], &e->hnode);
	list_push_front(&fc->lru, &e->lru);
	fc->count++;
	e->cached = true;
	e->refs = 2; /* the cache's and the caller's */
	e->gen = fc->gen - 1; /* the next hit checks (and starts watching) */
	maybe_copy(fc, e, now);
	return e;

hit:
	count(&fc->hits);
	list_move_front(&fc->lru, &e->lru);
	maybe_copy(fc, e, now);
	e->refs++;
	return e;
}

struct fcache_entry *fcache_get(struct fcache *fc, const char *rel, time_t now, int *status)
{
	size_t len = strlen(rel);
	uint64_t h = hash_path(rel, len);

	return get(fc, lookup(fc, rel, len, h), rel, len, h, now, status);
}

/* The look itself: the name built on the stack, the cache, a stat. Kept
 * out of fcache_sidecar (noinline) so that its usual answer, known
 * missing, costs a few compares and not this frame of PATH_MAX bytes. */
__attribute__((noinline)) static struct fcache_entry *
sidecar_find(struct fcache *fc, struct fcache_entry *e, struct fcache_absent *a,
	     const char *suffix, time_t now)
{
	size_t slen = strlen(suffix), len = e->path_len + slen;
	char rel[PATH_MAX + NAME_MAX + 16];
	struct fcache_entry *s;
	struct stat st;
	uint64_t h;
	int status;

	a->absent = false;
	if (len >= sizeof(rel))
		return NULL; /* longer than any name the kernel takes */
	memcpy(rel, e->path, e->path_len);
	memcpy(rel + e->path_len, suffix, slen + 1);
	h = hash_path(rel, len);
	s = lookup(fc, rel, len, h);
	if (s)
		return get(fc, s, rel, len, h, now, &status);
	/* Remember "missing" only when the name is not there at all, not
	 * even as a dangling symlink, in a directory already watched (e's
	 * own): then anything that makes the name appear queues an event.
	 * The watches must predate this look, so they count only when e's
	 * were made in this instance before it. */
	unsigned epoch = e->watch_epoch;
	uint64_t gen = fc->gen;
	if (fstatat(fc->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT) {
			a->absent = true;
			a->watch_epoch = epoch;
			a->gen = gen;
			a->checked = now;
		}
		return NULL;
	}
	return get(fc, NULL, rel, len, h, now, &status);
}

struct fcache_entry *fcache_sidecar(struct fcache *fc, struct fcache_entry *e, unsigned slot,
				    const char *suffix, time_t now)
{
	struct fcache_absent *a = &e->side[slot];

	/* Known missing: the usual answer, for every request of a file
	 * without copies. */
	if (a->absent && a->watch_epoch == fc->epoch && a->gen == fc->gen && a->checked == now &&
	    e->cached)
		return NULL;
	return sidecar_find(fc, e, a, suffix, now);
}

void fcache_sweep(struct fcache *fc)
{
	struct fcache_entry *e, *next;
	struct stat st;

	drain_events(fc);
	/* Without events, only the entries no watch would report on. */
	bool all = fc->ino_fd < 0 || fc->gen != fc->swept_gen;

	fc->swept_gen = fc->gen;
	for (e = LRU_ENTRY(fc->lru.head); e; e = next) {
		next = LRU_ENTRY(e->lru.next);
		if (!all && e->watch_epoch == fc->epoch && !e->unwatchable)
			continue;
		if (fstat(e->fd, &st) != 0 || st.st_nlink == 0 || !same_file(&st, &e->st))
			evict(fc, e);
	}
}

void fcache_counts(const struct fcache *fc, uint64_t *hits, uint64_t *misses)
{
	*hits = atomic_load_explicit(&fc->hits, memory_order_relaxed);
	*misses = atomic_load_explicit(&fc->misses, memory_order_relaxed);
}
