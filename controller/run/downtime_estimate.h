/* downtime_estimate.h -- the cutover's estimated downtime, part by part, computed from what this
 * deployment measured while production served (the rehearsal's start to ready, the database's size
 * and the copy rate, the changes since the base copy and the delta's throughput) and the stop times
 * seen so far. Pure: reads the run's step results, does no I/O. The fleet scheduler's fit rule and
 * the console's downtime clock use it; `status`, `plan show` and the run's report print it. */
#ifndef ALFUP_DOWNTIME_ESTIMATE_H
#define ALFUP_DOWNTIME_ESTIMATE_H

#include <stdint.h>

#include "run_model.h"

#define DOWNTIME_BASIS_MAX 640

typedef struct downtime_estimate {
    int known;                      /* 0: an input is not measured yet; basis says which */
    int64_t total_ms;               /* stop + max(database copy, delta) + start, as the cutover runs them */
    int64_t stop_ms;                /* stopping the old repository and Solr */
    int64_t db_copy_ms;             /* template copy, or dump and restore on another server */
    int64_t delta_ms;               /* contentstore and Solr deltas */
    int64_t start_ms;               /* the new Solr and repository, start to ready */
    uint64_t counted_unix_ms;       /* when the changes since the base were counted (0: not counted) */
    uint64_t at_unix_ms;            /* the delta is extrapolated to this moment (0: taken as counted) */
    char basis[DOWNTIME_BASIS_MAX]; /* the inputs in words, e.g. "db 1.0 GiB at 310 MB/s; ..." */
} downtime_estimate_t;

/* Fills est from run's step results so far, the delta as counted (what the measurements said at the count:
 * the estimate a finished cutover's measured downtime is compared with when nothing waited in between).
 * Returns 0; est->known tells whether it is complete. */
int downtime_estimate_for_run(const run_t *run, downtime_estimate_t *est);

/* The estimate as of now_unix_ms: the changes counted since the base copy grow at the rate they came in
 * (counted changes over the time from the base copy's end to the count) for the time from the count to
 * now_unix_ms, or to the cutover's first step when it was sent before that (production stops writing then).
 * What a decision taken at now_unix_ms must use: a prepared run may wait at its gate for days. The basis says
 * when the count was and the rate. now_unix_ms at or before the count: as downtime_estimate_for_run(). Pure. */
int downtime_estimate_at(const run_t *run, int64_t now_unix_ms, downtime_estimate_t *est);

/* The measured downtime of a run whose cutover finished: from sending the step that stops the old
 * repository to the result of the last start of the new version (ready). 0 with *ms, or -1 when the
 * cutover has not finished (or the workflow stops nothing). */
int downtime_actual_for_run(const run_t *run, int64_t *ms);

#endif
