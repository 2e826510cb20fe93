/* run_status.h -- a run as operators and consoles read it: a table, or one JSON object. */
#ifndef ALFUP_RUN_STATUS_H
#define ALFUP_RUN_STATUS_H

#include <stdio.h>

#include "run_model.h"

/* Writes the run: phases, each step's host, kind, state, times, progress, error
 * and log lines, and what the rollback did. JSON keys: run, state, phases,
 * rollback, error, failed_step, waiting_for, paused (docs/status.md). */
void run_status_print(const run_t *run, int json, FILE *out);

/* One line per run, newest first. */
void run_status_list(const run_t *runs, int json, FILE *out);

#endif
