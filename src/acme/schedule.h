/* When to renew and how long to wait after a failure: pure, so the
 * policy is unit-tested without a clock or a CA. */
#ifndef EISD_ACME_SCHEDULE_H
#define EISD_ACME_SCHEDULE_H

#include <time.h>

/* Renew at two thirds of the lifetime (a 90-day certificate: 30 days
 * before it expires), as Let's Encrypt advises. */
time_t acme_renew_at(time_t not_before, time_t not_after);

/* The wait before retry number attempt (1, 2, ...) after a failure:
 * exponential from 60 s, capped at 12 h, never less than the CA's
 * Retry-After (retry_after < 0: none), plus up to 10% jitter from
 * jitter_unit in [0, 1) so many servers do not retry in step. */
long acme_backoff(unsigned attempt, long retry_after, double jitter_unit);

#define ACME_BACKOFF_FIRST 60L
#define ACME_BACKOFF_MAX (12L * 3600)

#endif
