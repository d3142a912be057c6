/* The compressed-file cache and its helper thread. See zcache.h. */
#include "files/zcache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/list.h"

#define ZCACHE_BUCKETS 1024 /* a power of two */

enum zstate { Z_QUEUED, Z_BUSY, Z_READY, Z_FAILED };

struct zent {
	struct zcache_entry pub; /* first: a released pointer is the entry */
	atomic_uint refs;        /* the cache's (while cached), the queue's, users' */
	enum zstate state;       /* under the lock */
	bool cached;             /* in the table and the LRU list */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	enum codec_kind k;
	uint64_t hash;
	int fd;                  /* the duplicate, while queued or busy */
	size_t cost;             /* counted in zc->bytes */
	struct list_node hnode;  /* in its bucket of zc->table while cached */
	struct list_node lru;    /* in zc->lru while cached */
	struct list_node queue;  /* in zc->queue while queued */
};

/* The entry a node of the LRU list is in (NULL at the end). */
#define LRU_ENTRY(node) list_item((node), struct zent, lru)

struct zcache {
	pthread_mutex_t lock;
	pthread_cond_t work, idle;
	pthread_t thread;
	bool started, stop;
	size_t mem_max, bytes;
	unsigned entries, busy;
	uint64_t compressed, evicted;
	struct list lru;   /* of zent.lru, most recently used first */
	struct list queue; /* of zent.queue, for the helper, oldest first */
	unsigned queued;
	struct list table[ZCACHE_BUCKETS]; /* of zent.hnode, by key_hash */
};

static uint64_t key_hash(const struct stat *st, enum codec_kind k)
{
	uint64_t h = 0x9e3779b97f4a7c15u;
	const uint64_t parts[] = { (uint64_t)st->st_dev, (uint64_t)st->st_ino,
				   (uint64_t)st->st_size, (uint64_t)st->st_mtim.tv_sec,
				   (uint64_t)st->st_mtim.tv_nsec, (uint64_t)k };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		h ^= parts[i];
		h *= 0xbf58476d1ce4e5b9u;
		h ^= h >> 31;
	}
	return h;
}

static bool key_eq(const struct zent *e, const struct stat *st, enum codec_kind k)
{
	return e->k == k && e->ino == st->st_ino && e->dev == st->st_dev &&
	       e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
	       e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

struct zcache *zcache_new(size_t mem_max)
{
	struct zcache *zc = calloc(1, sizeof(*zc));

	if (!zc)
		return NULL;
	if (pthread_mutex_init(&zc->lock, NULL)) {
		free(zc);
		return NULL;
	}
	pthread_cond_init(&zc->work, NULL);
	pthread_cond_init(&zc->idle, NULL);
	zc->mem_max = mem_max;
	return zc;
}

static void ent_unref(struct zent *e)
{
	if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1) {
		free((void *)e->pub.data);
		free(e);
	}
}

void zcache_release(void *entry)
{
	if (entry)
		ent_unref(entry);
}

/* Out of the table and the list; the cache's reference goes (under the
 * lock; the entry itself may live on in a response). */
static void ent_drop(struct zcache *zc, struct zent *e)
{
	list_unlink(&zc->table[e->hash & (ZCACHE_BUCKETS - 1)], &e->hnode);
	list_unlink(&zc->lru, &e->lru);
	e->cached = false;
	zc->bytes -= e->cost;
	zc->entries--;
	ent_unref(e);
}

/* Least recently used first, until the bytes fit; a file still waiting
 * for the helper stays (it costs its bookkeeping only). */
static void evict(struct zcache *zc)
{
	struct zent *e = LRU_ENTRY(zc->lru.tail), *prev;

	for (; e && zc->bytes > zc->mem_max; e = prev) {
		prev = LRU_ENTRY(e->lru.prev);
		if (e->state == Z_QUEUED || e->state == Z_BUSY)
			continue;
		ent_drop(zc, e);
		zc->evicted++;
	}
}

/* Reads the whole file and compresses it; false when it changed, could
 * not be read, or did not shrink. */
static bool compress_file(struct zent *e, void **out, size_t *out_len)
{
	size_t n = (size_t)e->size, got = 0;
	char *in = malloc(n ? n : 1);
	struct stat st;
	bool ok = false;

	if (!in)
		return false;
	while (got < n) {
		ssize_t r = pread(e->fd, in + got, n - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	/* Written to while we read: the bytes may be a mix of versions. */
	if (fstat(e->fd, &st) || !key_eq(e, &st, e->k))
		goto out;
	if (codec_compress(e->k, in, n, out, out_len))
		goto out;
	if (*out_len >= n) {
		free(*out);
		goto out;
	}
	ok = true;
out:
	free(in);
	return ok;
}

static void *helper_main(void *arg)
{
	struct zcache *zc = arg;

	/* Compression is background work: a worker with a request to answer
	 * comes first (a thread's own nice value on Linux). */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
	pthread_mutex_lock(&zc->lock);
	for (;;) {
		struct zent *e;
		void *out = NULL;
		size_t out_len = 0;
		bool ok;

		while (list_empty(&zc->queue) && !zc->stop)
			pthread_cond_wait(&zc->work, &zc->lock);
		if (zc->stop)
			break;
		e = list_item(zc->queue.head, struct zent, queue);
		list_unlink(&zc->queue, &e->queue);
		zc->queued--;
		e->state = Z_BUSY;
		zc->busy++;
		pthread_mutex_unlock(&zc->lock);

		ok = compress_file(e, &out, &out_len);
		close(e->fd);
		e->fd = -1;

		pthread_mutex_lock(&zc->lock);
		zc->busy--;
		zc->compressed++;
		if (ok) {
			e->pub.data = out;
			e->pub.len = out_len;
			e->state = Z_READY;
			if (e->cached) {
				e->cost += out_len;
				zc->bytes += out_len;
			}
		} else {
			e->state = Z_FAILED;
		}
		evict(zc);
		if (list_empty(&zc->queue))
			pthread_cond_broadcast(&zc->idle);
		ent_unref(e); /* the queue's */
	}
	pthread_mutex_unlock(&zc->lock);
	return NULL;
}

/* A new entry for st/k, queued for the helper (under the lock). */
static void enqueue(struct zcache *zc, const struct stat *st, enum codec_kind k, uint64_t h,
		    int fd)
{
	struct zent *e;
	int dfd;

	if (zc->queued >= ZCACHE_QUEUE_MAX || zc->stop)
		return;
	if (!zc->started) {
		if (pthread_create(&zc->thread, NULL, helper_main, zc))
			return;
		zc->started = true;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0) {
		free(e);
		return;
	}
	atomic_init(&e->refs, 2); /* the cache's and the queue's */
	e->state = Z_QUEUED;
	e->cached = true;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->k = k;
	e->hash = h;
	e->fd = dfd;
	e->cost = sizeof(*e);
	list_push_front(&zc->table[h & (ZCACHE_BUCKETS - 1)], &e->hnode);
	list_push_front(&zc->lru, &e->lru);
	zc->bytes += e->cost;
	zc->entries++;
	list_push_back(&zc->queue, &e->queue);
	zc->queued++;
	pthread_cond_signal(&zc->work);
	evict(zc);
}

struct zcache_entry *zcache_get(struct zcache *zc, const struct stat *st, enum codec_kind k,
				int fd)
{
	uint64_t h = key_hash(st, k);
	struct zent *e = NULL;

	pthread_mutex_lock(&zc->lock);
	list_each(it, &zc->table[h & (ZCACHE_BUCKETS - 1)], struct zent, hnode)
		if (it->hash == h && key_eq(it, st, k)) {
			e = it;
			break;
		}
	if (!e) {
		enqueue(zc, st, k, h, fd);
		pthread_mutex_unlock(&zc->lock);
		return NULL;
	}
	list_move_front(&zc->lru, &e->lru);
	if (e->state != Z_READY) {
		pthread_mutex_unlock(&zc->lock);
		return NULL;
	}
	atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&zc->lock);
	return &e->pub;
}

void zcache_drain(struct zcache *zc)
{
	pthread_mutex_lock(&zc->lock);
	while ((!list_empty(&zc->queue) || zc->busy) && zc->started && !zc->stop)
		pthread_cond_wait(&zc->idle, &zc->lock);
	pthread_mutex_unlock(&zc->lock);
}

void zcache_get_stats(struct zcache *zc, struct zcache_stats *out)
{
	pthread_mutex_lock(&zc->lock);
	out->bytes = zc->bytes;
	out->entries = zc->entries;
	out->compressed = zc->compressed;
	out->evicted = zc->evicted;
	pthread_mutex_unlock(&zc->lock);
}

void zcache_free(struct zcache *zc)
{
	if (!zc)
		return;
	pthread_mutex_lock(&zc->lock);
	zc->stop = true;
	pthread_cond_broadcast(&zc->work);
	pthread_cond_broadcast(&zc->idle);
	pthread_mutex_unlock(&zc->lock);
	if (zc->started)
		pthread_join(zc->thread, NULL);
	while (!list_empty(&zc->queue)) {
		struct zent *e = list_item(zc->queue.head, struct zent, queue);

		list_unlink(&zc->queue, &e->queue);
		close(e->fd);
		ent_unref(e);
	}
	while (!list_empty(&zc->lru))
		ent_drop(zc, LRU_ENTRY(zc->lru.head));
	pthread_cond_destroy(&zc->work);
	pthread_cond_destroy(&zc->idle);
	pthread_mutex_destroy(&zc->lock);
	free(zc);
}
