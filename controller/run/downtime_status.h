/* downtime_status.h -- the downtime estimate and the measured downtime as `status`, `status --json` and
 * `plan show` print them (docs/runs.md, "The downtime estimate"). */
#ifndef ALFUP_DOWNTIME_STATUS_H
#define ALFUP_DOWNTIME_STATUS_H

#include <stdio.h>

#include "downtime_estimate.h"
#include "run_model.h"

/* Writes `,"downtime":{"estimate":{...},"actual_ms":N|null}` (null estimate when the workflow
 * stops nothing). */
void downtime_status_json(const run_t *run, FILE *out);

/* Writes the estimate (and, once the cutover finished, the measured downtime against it) as a few
 * lines; nothing when the workflow stops nothing. */
void downtime_status_human(const run_t *run, FILE *out);

/* Writes est as "LABEL: 61.2 s = stop 4.0 s + max(database 16.0 s, delta 2.3 s) + start 40.2 s" (or
 * "LABEL: unknown ...") and its basis, each line starting with indent. */
void downtime_estimate_print(const downtime_estimate_t *est, const char *label, const char *indent, FILE *out);

/* Writes est as a JSON object: known, total_ms, stop_ms, db_copy_ms, delta_ms, start_ms, basis. */
void downtime_estimate_json(const downtime_estimate_t *est, FILE *out);

#endif
