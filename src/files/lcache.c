/* The per-worker listing cache. See lcache.h. */
#include "files/lcache.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files/changes.h"

/* Everything that changes what a listing shows: entries created, removed
 * or renamed, and an entry's size or times (events "inside" a watched
 * directory, inotify(7)); the directory itself going away. */
#define DIR_WATCH (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | \
		   IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)

/* The entry a node of the LRU list is in (NULL at the end). */
#define LRU_ENTRY(node) list_item((node), struct lcache_entry, lru)

struct lcache {
	struct list lru; /* of lcache_entry.lru; head: most recent */
	unsigned count;
	size_t mem;
	int ino_fd;     /* -1: none; every entry is trusted within its second */
	unsigned epoch; /* of ino_fd, so a wd from another instance never matches */
};

struct lcache *lcache_new(void)
{
	struct lcache *lc = calloc(1, sizeof(*lc));

	if (!lc)
		return NULL;
	lc->ino_fd = changes_open();
	lc->epoch = 1;
	return lc;
}

static void entry_free(struct lcache_entry *e)
{
	if (e->list && e->list_free)
		e->list_free(e->list);
	for (int i = 0; i < LCACHE_PAGES; i++)
		free(e->page[i]);
	free(e);
}

void lcache_release(void *entry)
{
	struct lcache_entry *e = entry;

	if (--e->refs == 0)
		entry_free(e);
}

static bool watched(const struct lcache *lc, const struct lcache_entry *e)
{
	return e->wd >= 0 && e->epoch == lc->epoch && lc->ino_fd >= 0;
}

/* Out of the cache; the watch goes unless another entry (the same
 * directory under another path) shares it. */
static void uncache(struct lcache *lc, struct lcache_entry *e)
{
	bool shared = false;

	list_unlink(&lc->lru, &e->lru);
	lc->count--;
	lc->mem -= e->mem;
	e->cached = false;
	list_each(o, &lc->lru, struct lcache_entry, lru)
		shared = shared || (o->wd == e->wd && o->epoch == e->epoch);
	if (watched(lc, e) && !shared)
		inotify_rm_watch(lc->ino_fd, e->wd);
	e->wd = -1;
	lcache_release(e);
}

void lcache_free(struct lcache *lc)
{
	if (!lc)
		return;
	while (!list_empty(&lc->lru))
		uncache(lc, LRU_ENTRY(lc->lru.head));
	changes_close(lc->ino_fd);
	free(lc);
}

static void mark_stale(struct lcache *lc, int wd, bool all)
{
	list_each(e, &lc->lru, struct lcache_entry, lru)
		if (all || (e->wd == wd && e->epoch == lc->epoch))
			e->stale = true;
}

static void on_event(void *arg, const struct inotify_event *ev)
{
	mark_stale(arg, ev->wd, ev->mask & IN_Q_OVERFLOW);
}

/* Reads the queued events (one ioctl when there are none) and marks the
 * entries they name. */
static void drain_events(struct lcache *lc)
{
	changes_drain(lc->ino_fd, on_event, lc);
}

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static bool valid(const struct lcache *lc, const struct lcache_entry *e, const struct stat *st,
		  time_t now)
{
	if (e->stale || !e->list || e->dev != st->st_dev || e->ino != st->st_ino ||
	    !same_time(e->mtime, st->st_mtim) || !same_time(e->ctime, st->st_ctim))
		return false;
	if (!watched(lc, e) || e->links)
		return e->built == now;
	return true;
}

static void evict_over(struct lcache *lc, const struct lcache_entry *keep)
{
	while ((lc->count > LCACHE_MAX_ENTRIES || lc->mem > LCACHE_MEM_TOTAL) &&
	       lc->lru.tail && lc->lru.tail != &keep->lru)
		uncache(lc, LRU_ENTRY(lc->lru.tail));
}

struct lcache_entry *lcache_lookup(struct lcache *lc, int dirfd, const struct stat *st,
				   const char *rel, time_t now)
{
	size_t len = strlen(rel);
	struct lcache_entry *e;
	struct stat now_st;
	char link[CHANGES_FD_PATH];

	drain_events(lc);
	for (e = LRU_ENTRY(lc->lru.head); e; e = LRU_ENTRY(e->lru.next))
		if (strcmp(e->rel, rel) == 0)
			break;
	if (e && valid(lc, e, st, now)) {
		list_move_front(&lc->lru, &e->lru);
		e->used = now;
		e->refs++;
		return e;
	}
	if (e)
		uncache(lc, e);

	e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	memcpy(e->rel, rel, len + 1);
	e->lc = lc;
	e->wd = -1;
	e->built = e->used = now;
	if (lc->ino_fd >= 0) {
		changes_fd_path(link, dirfd);
		e->wd = inotify_add_watch(lc->ino_fd, link, DIR_WATCH);
		e->epoch = lc->epoch;
	}
	/* The caller's stat may be older than the watch: a change between
	 * the two would queue no event, so take the key after the watch
	 * (the directory is read after this, too). */
	if (fstat(dirfd, &now_st) == 0)
		st = &now_st;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->mtime = st->st_mtim;
	e->ctime = st->st_ctim;
	e->cached = true;
	e->refs = 2; /* the cache's and the caller's */
	list_push_front(&lc->lru, &e->lru);
	lc->count++;
	evict_over(lc, e);
	return e;
}

void lcache_filled(struct lcache_entry *e, size_t mem)
{
	if (!e->cached)
		return;
	e->mem += mem;
	e->lc->mem += mem;
	evict_over(e->lc, e);
}

void lcache_drop(struct lcache_entry *e)
{
	if (e->cached)
		uncache(e->lc, e);
}

size_t lcache_sweep(struct lcache *lc, time_t now)
{
	struct lcache_entry *e, *next;
	size_t freed = 0;

	if (!lc)
		return 0; /* no --listing */
	drain_events(lc);
	for (e = LRU_ENTRY(lc->lru.head); e; e = next) {
		next = LRU_ENTRY(e->lru.next);
		/* An idle entry still being sent stays until it is not, so
		 * that its memory really goes when it leaves. */
		if (e->stale || (e->refs == 1 && now - e->used >= LCACHE_IDLE_SEC)) {
			freed += e->mem;
			uncache(lc, e);
		}
	}
	return freed;
}
