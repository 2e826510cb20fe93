/* run_params.h -- a planned step's parameters made concrete when it is sent. */
#ifndef ALFUP_RUN_PARAMS_H
#define ALFUP_RUN_PARAMS_H

#include "alfup_error.h"
#include "kv_list.h"
#include "run_model.h"

#define RUN_PARAM_RUN_ID "{run.id}"

/* Fills out with the parameters of main step index (rollback 0) or rollback step
 * index (rollback 1): "{run.id}" becomes the run's id, and "${STEP.KEY}" the
 * output KEY of the succeeded step STEP (a workflow step id) on the same agent.
 * Fails naming the reference when that output does not exist. */
int run_params_resolve(const run_t *run, int rollback, size_t index, kv_list_t *out, alfup_err_t *err);

#endif
