/* See schedule.h. */
#include "acme/schedule.h"

time_t acme_renew_at(time_t not_before, time_t not_after)
{
	if (not_after <= not_before)
		return not_before; /* nonsense validity: renew now */
	return not_before + (not_after - not_before) / 3 * 2;
}

long acme_backoff(unsigned attempt, long retry_after, double jitter_unit)
{
	long wait = ACME_BACKOFF_FIRST;

	for (unsigned i = 1; i < attempt && wait < ACME_BACKOFF_MAX; i++)
		wait *= 2;
	if (wait > ACME_BACKOFF_MAX)
		wait = ACME_BACKOFF_MAX;
	if (retry_after > wait)
		wait = retry_after;
	if (jitter_unit > 0 && jitter_unit < 1)
		wait += (long)((double)wait * 0.1 * jitter_unit);
	return wait;
}
