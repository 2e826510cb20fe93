/* step_service_stop.h -- the "service-stop" step kind: stop a configured service and make sure it is gone. */
#ifndef ALFUP_STEP_SERVICE_STOP_H
#define ALFUP_STEP_SERVICE_STOP_H

#include "step.h"

/* Grace between the agent's own SIGTERM and SIGKILL, and the wait after SIGKILL. */
#define SERVICE_STOP_TERM_GRACE_S 5u
#define SERVICE_STOP_KILL_WAIT_S 2u

/* Param `service` (a name in the agent's config). Runs its stop argv, waits
 * until the pid from its pidfile is gone and its ready_url no longer answers
 * 200, up to stop_timeout_s; then SIGTERM, SIGKILL. Outputs: pid, stop_ms,
 * killed (yes/no), already_stopped (yes/no). */
step_status_t step_service_stop_run(step_context_t *ctx);

/* Outcomes of stopping a service. */
enum { SERVICE_STOP_ERROR = -2, SERVICE_STOP_CANCELLED = -1, SERVICE_STILL_RUNNING = 0, SERVICE_STOPPED = 1 };

/* For service-start: stops service (configured, already looked up) the way
 * service-stop does when it still runs after a failed start, so a failed start
 * leaves nothing half-started behind. Adds a log line to ctx->result saying
 * what happened, never touches its error. Returns one of the outcomes above. */
int service_stop_after_failed_start(step_context_t *ctx, const agent_service_t *service);

#endif
