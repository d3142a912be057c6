/* The per-worker open-file cache. See fcache.h. */
#include "fcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"
#include "path.h"

#define FCACHE_BUCKETS 1024 /* a power of two, twice FCACHE_MAX_ENTRIES */

struct fcache {
	int rootfd;
	const struct mime_table *mime;
	struct fcache_entry *buckets[FCACHE_BUCKETS];
	struct fcache_entry *lru_head, *lru_tail; /* head: most recent */
	unsigned count, max_entries;
	size_t mem_bytes;
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

static void lru_unlink(struct fcache *fc, struct fcache_entry *e)
{
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		fc->lru_head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		fc->lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void lru_push_head(struct fcache *fc, struct fcache_entry *e)
{
	e->lprev = NULL;
	e->lnext = fc->lru_head;
	if (fc->lru_head)
		fc->lru_head->lprev = e;
	else
		fc->lru_tail = e;
	fc->lru_head = e;
}

/* Out of the table; freed now unless a response still holds it. */
static void evict(struct fcache *fc, struct fcache_entry *e)
{
	struct fcache_entry **pp = &fc->buckets[e->hash & (FCACHE_BUCKETS - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(fc, e);
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
	while (fc->lru_head)
		evict(fc, fc->lru_head);
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

static struct fcache_entry *lookup(struct fcache *fc, const char *rel, size_t len, uint64_t h)
{
	struct fcache_entry *e = fc->buckets[h & (FCACHE_BUCKETS - 1)];

	for (; e; e = e->hnext)
		if (e->hash == h && e->path_len == len && memcmp(e->path, rel, len) == 0)
			return e;
	return NULL;
}

struct fcache_entry *fcache_get(struct fcache *fc, const char *rel, time_t now,
				int *status)
{
	size_t len = strlen(rel);
	uint64_t h = hash_path(rel, len);
	struct fcache_entry *e = lookup(fc, rel, len, h);
	struct stat st;
	int fd;

	if (e) {
		/* By path, not by descriptor: a rename over the file, or of
		 * a directory on the way, changes what the path means while
		 * our descriptor still shows the old file unchanged. */
		if (fstatat(fc->rootfd, rel, &st, 0) == 0 && same_file(&st, &e->st)) {
			if (fc->lru_head != e) {
				lru_unlink(fc, e);
				lru_push_head(fc, e);
			}
			maybe_copy(fc, e, now);
			e->refs++;
			return e;
		}
		evict(fc, e);
	}

	if (len == 0) { /* the root: a directory */
		*status = 0;
		return NULL;
	}
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
	e->fc = fc;
	e->hash = h;
	e->path_len = len;
	memcpy(e->path, rel, len + 1);

	while (fc->count >= fc->max_entries)
		evict(fc, fc->lru_tail);
	e->hnext = fc->buckets[h & (FCACHE_BUCKETS - 1)];
	fc->buckets[h & (FCACHE_BUCKETS - 1)] = e;
	lru_push_head(fc, e);
	fc->count++;
	e->cached = true;
	e->refs = 2; /* the cache's and the caller's */
	maybe_copy(fc, e, now);
	return e;
}
