/* run_metrics.h -- the runs' part of the Prometheus metrics (docs/api.md, GET /metrics): runs by state,
 * step durations by kind, bytes backed up and restored, the last cutover's downtime. */
#ifndef ALFUP_RUN_METRICS_H
#define ALFUP_RUN_METRICS_H

#include <stdio.h>

#include "journal.h"
#include "run_model.h"

/* The phase of the workflow whose span is the downtime (deploy/workflows/alfresco-upgrade-prestaged.yaml). */
#define RUN_METRICS_CUTOVER_PHASE "cutover"

/* Writes the metric families in Prometheus text format 0.0.4 to out: runs (the engine's list,
 * newest first) by state, and from the journal's steps table the step durations by kind (a
 * histogram of sent to finished), the bytes backed up and restored by kind (their results'
 * outputs), and the downtime of the newest run whose cutover phase finished. ALFUP_ERR with err
 * when SQLite failed (what was written stays written). */
int run_metrics_write(journal_t *journal, const run_t *runs, FILE *out, alfup_err_t *err);

#endif
