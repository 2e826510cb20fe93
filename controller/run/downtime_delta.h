/* downtime_delta.h -- the delta part of the downtime estimate (downtime_estimate.c): the changes the
 * count-changes phase counted since the base copy, extrapolated to a moment at the rate they came in, at the base
 * copy's throughput. Internal to controller/run; pure (reads run_t, no I/O). */
#ifndef ALFUP_DOWNTIME_DELTA_H
#define ALFUP_DOWNTIME_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "run_model.h"

#define DOWNTIME_GUESS_BASIS_MAX 256

typedef struct downtime_delta_guess {
    int known;                /* 0: the base copy or the count is not measured; basis says which */
    int64_t ms;               /* the delta step's guess */
    uint64_t counted_unix_ms; /* when the changes were counted (0: not counted) */
    int extrapolated;         /* 1: the counted changes were grown to at_unix_ms */
    char basis[DOWNTIME_GUESS_BASIS_MAX];
} downtime_delta_guess_t;

/* Guesses the backup-delta step `index` of run's plan from the steps before `from` (the downtime's first): its
 * base copy's files, bytes and time, the delta-scan of the same base (changed_files, changed_bytes) grown by
 * their rate since the base copy's end for the time from the count to at_unix_ms (none when at_unix_ms is 0 or
 * not after the count), plus the scan's time and an archive step's fixed cost. */
void downtime_guess_delta(const run_t *run, size_t from, size_t index, uint64_t at_unix_ms, downtime_delta_guess_t *g);

#endif
