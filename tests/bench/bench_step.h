/* bench_step.h -- runs one agent step function directly and prints its outputs, for the benchmark drivers. */
#ifndef ALFUP_BENCH_STEP_H
#define ALFUP_BENCH_STEP_H

#include "agent_config.h"
#include "kv_list.h"

/* Runs step kind with params under config (step id "bench"); prints the
 * outputs as key=value lines on stdout and the log lines and any error on
 * stderr. Returns 0 only when the step succeeded. */
int bench_step_run(const agent_config_t *config, const char *kind, const kv_list_t *params);

/* The end of a driver's main: runs kind (when it is not NULL) as bench_step_run
 * does, or says "bad arguments" under prog; then frees params and *config.
 * The exit code: 0 when the step succeeded, 1 when it did not, 2 for bad arguments. */
int bench_step_finish(const char *prog, agent_config_t **config, const char *kind, kv_list_t *params);

#endif
