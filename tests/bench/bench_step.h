/* bench_step.h -- runs one agent step function directly and prints its outputs, for the benchmark drivers. */
#ifndef ALFUP_BENCH_STEP_H
#define ALFUP_BENCH_STEP_H

#include "agent_config.h"
#include "kv_list.h"

/* Runs step kind with params under config (step id "bench"); prints the
 * outputs as key=value lines on stdout and the log lines and any error on
 * stderr. Returns 0 only when the step succeeded. */
int bench_step_run(const agent_config_t *config, const char *kind, const kv_list_t *params);

#endif
