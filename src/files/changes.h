/* The change queue the per-worker caches learn of changes on disk from:
 * an inotify instance, read without blocking. The file cache (fcache.h)
 * and the listing cache (lcache.h) each keep one and read it before they
 * trust an entry, so what they add here is how it is opened and read;
 * what an event means stays with each cache. */
#ifndef EISD_CHANGES_H
#define EISD_CHANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/inotify.h>

/* Room for "/proc/self/fd/N": a name for what a descriptor is open on,
 * which inotify_add_watch and readlink take where they want a path. */
#define CHANGES_FD_PATH 32

/* A new instance (non-blocking, close-on-exec), or -1. */
int changes_open(void);
/* Closes fd (from changes_open; -1: none), dropping its watches. */
void changes_close(int fd);
/* Reads every queued event, handing each to on_event when it is not NULL.
 * Returns whether anything was queued (an overflow included). One ioctl
 * when nothing is: the price of a cache hit. */
bool changes_drain(int fd, void (*on_event)(void *arg, const struct inotify_event *ev),
		   void *arg);
/* Writes fd's /proc name into out (CHANGES_FD_PATH bytes). */
void changes_fd_path(char *out, int fd);

#endif
