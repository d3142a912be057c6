/* The request duration histogram (core/stats.h). */
#include "core/stats.h"

/* Prometheus' default buckets from 0.5 ms to 10 s, with 25 us and 100 us
 * below them: a small file from memory is answered in tens of
 * microseconds, and that is the part worth seeing move. */
const uint64_t stats_duration_bounds_us[STATS_DURATION_BUCKETS] = {
	25, 100, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	1000000, 2500000, 10000000,
};

void stats_observe_duration(struct stats *s, uint64_t us)
{
	unsigned i = 0;

	while (i < STATS_DURATION_BUCKETS && us > stats_duration_bounds_us[i])
		i++;
	stat_add(&s->duration[i], 1);
	stat_add(&s->duration_sum_us, us);
}
