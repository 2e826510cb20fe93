/* step_decommission_database.h -- drop the old database, only when approved. */
#ifndef ALFUP_STEP_DECOMMISSION_DATABASE_H
#define ALFUP_STEP_DECOMMISSION_DATABASE_H

#include "step.h"

/* Params: database (the old one), keep (optional: a database that must still
 * exist, e.g. the new one). Refused unless ctx->approval is non-empty.
 * Terminates sessions, drops. Outputs: database, approval, dropped (yes/no),
 * terminated_sessions. */
step_status_t step_decommission_database_run(step_context_t *ctx);

#endif
