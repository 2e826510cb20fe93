/* step_ping.h -- the "ping" step kind: a round trip through the agent. */
#ifndef ALFUP_STEP_PING_H
#define ALFUP_STEP_PING_H

#include "step.h"

/* Echoes param "payload" and the agent's name as outputs. */
step_status_t step_ping_run(step_context_t *ctx);

#endif
