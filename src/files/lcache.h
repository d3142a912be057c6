/* The listing cache: each worker keeps the directories it listed, read and
 * sorted, with each page (HTML, JSON) rendered once, so a directory of
 * 100,000 entries costs one read per change instead of one per GET or
 * HEAD, and every connection sending its listing sends the same bytes
 * (held, not copied: 60 clients that stop reading a big page hold one
 * page between them).
 *
 * Never stale, like the file cache (fcache.h): the worker's inotify
 * instance watches every cached directory, added before the directory is
 * read, and the queue is read before each lookup (one ioctl), so any
 * change in the directory whose system call returned before the client
 * sent its request has been seen: an entry created, removed, renamed,
 * written (sizes) or touched (times). A lookup also compares the
 * directory's device, inode, mtime and ctime with the cached ones.
 * Without a watch, and for a listing that shows symlinks (their targets
 * are elsewhere), an entry is trusted within the second it was read only.
 * One exception: a subdirectory's own time is as of the last change seen
 * in the listed directory (what happens inside it is not watched).
 *
 * Keyed by the path under the root and the directory's identity (the same
 * directory reached by two paths has two pages: titles and links differ).
 * Bounded: LCACHE_MAX_ENTRIES directories and LCACHE_MEM_TOTAL bytes per
 * worker, least recently used out first; an entry dropped while a
 * response still sends from it lives on until that response lets go.
 * Single-threaded: one cache per worker. */
#ifndef EISD_LCACHE_H
#define EISD_LCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "util/list.h"

#define LCACHE_MAX_ENTRIES 32
#define LCACHE_MEM_TOTAL (32u << 20) /* lists and pages, per worker */
/* Renderings of one list: HTML and JSON, each in every order a listing
 * can be sorted in (listing.c: name, size, date; ascending, descending). */
#define LCACHE_PAGES 12
#define LCACHE_IDLE_SEC 10           /* an entry nobody asked for this long goes */

struct lcache;

struct lcache_entry {
	/* Filled by the user after lcache_lookup reserved the entry. */
	void *list;                  /* NULL: not read yet */
	void (*list_free)(void *list);
	bool links;                  /* lists symlinks: trusted within a second */
	char *page[LCACHE_PAGES];    /* malloc'd; NULL: not rendered yet */
	size_t page_len[LCACHE_PAGES];

	/* The cache's own. */
	struct lcache *lc;
	dev_t dev;
	ino_t ino;
	struct timespec mtime, ctime;
	int wd;                      /* inotify watch; -1: none */
	unsigned epoch;              /* the inotify instance of wd */
	bool stale;                  /* an event named it */
	bool cached;
	time_t built;                /* the second it was read */
	time_t used;                 /* the second it was last looked up */
	size_t mem;                  /* bytes accounted to LCACHE_MEM_TOTAL */
	unsigned refs;               /* the cache's (while cached) + one per user */
	struct list_node lru;        /* in lc->lru while cached */
	char rel[];
};

/* NULL when out of memory. */
struct lcache *lcache_new(void);
/* Drops every entry; entries still referenced are freed on release. */
void lcache_free(struct lcache *lc);

/* The entry for the directory open at dirfd (st: its fstat) whose path
 * under the root is rel, with a reference for the caller (lcache_release).
 * Either still valid (list set, pages perhaps), or a new empty one whose
 * watch was added before this returns, for the caller to read the
 * directory into (then lcache_filled) or give up on (lcache_drop). now:
 * the wall clock. NULL when out of memory. */
struct lcache_entry *lcache_lookup(struct lcache *lc, int dirfd, const struct stat *st,
				   const char *rel, time_t now);
/* The caller set e->list (of mem bytes) or a page (of mem bytes): counted,
 * and older entries go when the cache is over its bounds. */
void lcache_filled(struct lcache_entry *e, size_t mem);
/* The directory could not be read: e leaves the cache (the caller's
 * reference stays, to be released). */
void lcache_drop(struct lcache_entry *e);
/* Gives back a reference (a void * so it can be a response hold). */
void lcache_release(void *entry);
/* Reads the change events and lets go of the entries they name, and of
 * those not asked for in LCACHE_IDLE_SEC, so the pages of a directory
 * removed or no longer wanted do not stay in memory: about once a second.
 * now: the wall clock. Returns the bytes of the entries let go (0 for a
 * NULL cache: a server without listings has none). */
size_t lcache_sweep(struct lcache *lc, time_t now);

#endif
