/* service_command.h -- run a service's start or stop argv while reporting progress every second. */
#ifndef ALFUP_SERVICE_COMMAND_H
#define ALFUP_SERVICE_COMMAND_H

#include "proc_run.h"
#include "step.h"

/* Runs spec with proc_run on a worker thread and, while it runs, reports
 * progress through ctx once a second ("SERVICE: running the WHAT command (N s)").
 * Same contract as proc_run: ALFUP_OK when the program ran (see *outcome,
 * which the caller clears with proc_outcome_clear), ALFUP_ERR with err when it
 * could not be started. Cancel goes through spec->cancel. */
int service_command_run(step_context_t *ctx, const char *service, const char *what,
                        const proc_spec_t *spec, proc_outcome_t *outcome, alfup_err_t *err);

#endif
