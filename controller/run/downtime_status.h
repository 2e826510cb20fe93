/* downtime_status.h -- the downtime estimate and the measured downtime as `status`, `status --json` and
 * `plan show` print them (docs/runs.md, "The downtime estimate"). */
#ifndef ALFUP_DOWNTIME_STATUS_H
#define ALFUP_DOWNTIME_STATUS_H

#include <stdint.h>
#include <stdio.h>

#include "downtime_estimate.h"
#include "run_model.h"

/* Writes `,"downtime":{"estimate":{...},"estimate_at_count":{...},"actual_ms":N|null}` (null estimates when
 * the workflow stops nothing): "estimate" as of now_unix_ms (downtime_estimate_at: the changes extrapolated to
 * now while the run waits, to the cutover's start once it started), "estimate_at_count" as the changes were
 * counted (downtime_estimate_for_run). */
void downtime_status_json(const run_t *run, int64_t now_unix_ms, FILE *out);

/* Writes the estimate as of now_unix_ms (and the one at the count when they differ; once the cutover finished,
 * the measured downtime against the estimate at the cutover's start) as a few lines; nothing when the workflow
 * stops nothing. */
void downtime_status_human(const run_t *run, int64_t now_unix_ms, FILE *out);

/* Writes est as "LABEL: 61.2 s = stop 4.0 s + max(database 16.0 s, delta 2.3 s) + start 40.2 s" (or
 * "LABEL: unknown ...") and its basis, each line starting with indent. */
void downtime_estimate_print(const downtime_estimate_t *est, const char *label, const char *indent, FILE *out);

/* Writes est as a JSON object: known, total_ms, stop_ms, db_copy_ms, delta_ms, start_ms, counted_unix_ms and
 * at_unix_ms (null when 0), basis. */
void downtime_estimate_json(const downtime_estimate_t *est, FILE *out);

#endif
