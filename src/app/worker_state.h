/* What each worker keeps above core/ (the file cache of the root and of
 * every vhost, the listing cache, the Date string) and the compressed-file
 * cache the workers share: the engine's hooks for them (core/server.h),
 * set on every server the program starts. */
#ifndef EISD_WORKER_STATE_H
#define EISD_WORKER_STATE_H

#include "core/server.h"

extern const struct server_hooks worker_state_hooks;

#endif
