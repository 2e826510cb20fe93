/* step_service_start.h -- the "service-start" step kind: start a configured service and watch it come up. */
#ifndef ALFUP_STEP_SERVICE_START_H
#define ALFUP_STEP_SERVICE_START_H

#include "step.h"

/* Log lines kept for the result: the lines up to and including the deciding one. */
#define SERVICE_START_TAIL_LINES 20u

/* Param `service` (a name in the agent's config). Runs its start argv, then
 * follows its log from the size it had before the start and succeeds when the
 * `started` regex has been seen and ready_url answers 200; fails at the first
 * `failed` regex line, when the pidfile's process exits, or after
 * start_timeout_s. Already running (pid alive and probe 200): succeeds at once.
 * Outputs: pid, started_line, ready_after_ms, already_running (yes/no).
 * Cancel stops the watching only; the service is left running. */
step_status_t step_service_start_run(step_context_t *ctx);

#endif
