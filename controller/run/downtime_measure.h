/* downtime_measure.h -- the measurements a run made before its cutover, looked up for the downtime
 * estimate (downtime_estimate.c): step wall times, numeric outputs, the steps that measured a stop, a
 * start, the database's size and copy rate, the base copy's throughput and the changes since it.
 * Internal to controller/run; pure (reads run_t, no I/O). */
#ifndef ALFUP_DOWNTIME_MEASURE_H
#define ALFUP_DOWNTIME_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "run_model.h"

/* The phase id of the rehearsal (issue 12); its steps are not staging counterparts of the cutover's. */
#define DOWNTIME_REHEARSAL_PHASE "rehearse"
/* The rehearsal start step's output: its start to ready, the schema upgrade of production data included. */
#define DOWNTIME_START_TO_READY "start_to_ready_ms"

/* The downtime's steps: [*from, *to) of plan->steps, from the first step that stops an old service
 * (plan->rollback_from) to the last service-start before the new version serves for good
 * (plan->rollback_until). Returns 0, or -1 when the plan stops nothing. */
int downtime_span(const run_plan_t *plan, size_t *from, size_t *to);

/* The controller's wall time of a succeeded step (sent to result), in ms; -1 otherwise. */
int64_t downtime_step_wall_ms(const run_step_t *step);

/* The output key of a finished step as a non-negative integer: 0, or -1 when absent or malformed.
 * "1.250" (seconds with a fraction) reads as 1. */
int downtime_output_i64(const run_step_t *step, const char *key, int64_t *value);

/* 1 when step index of the plan belongs to the rehearsal (its phase, or it reported start to ready). */
int downtime_is_rehearsal(const run_t *run, size_t index);

/* The latest succeeded step before `before` that reported key (any agent): its index, or -1. */
long downtime_find_output(const run_t *run, size_t before, const char *key);

/* The latest succeeded step of kind before `before`, on agent (NULL: any): its index, or -1. */
long downtime_find_kind(const run_t *run, size_t before, const char *kind, const char *agent);

/* The fastest succeeded step of kind on agent before `before`: its index and *ms (its wall time), or -1
 * with *ms 0. */
long downtime_fastest_kind(const run_t *run, size_t before, const char *kind, const char *agent, int64_t *ms);

/* The slowest succeeded service-stop on agent before `before` that stopped a running service:
 * its index, or -1. */
long downtime_slowest_stop(const run_t *run, size_t before, const char *agent);

/* The staging counterpart of the cutover's service-start step `index`: when `index` is the k-th last
 * service-start of agent in [from, to), the k-th last succeeded service-start of that agent before
 * `from` outside the rehearsal (or the earliest there is). Its index, or -1. */
long downtime_staging_start(const run_t *run, size_t from, size_t to, size_t index);

#endif
