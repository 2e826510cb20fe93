/* step_db_scratch.h -- "db-create-scratch" / "db-drop-scratch": empty databases. */
#ifndef ALFUP_STEP_DB_SCRATCH_H
#define ALFUP_STEP_DB_SCRATCH_H

#include "step.h"

/* Params: database, owner (role), source (optional; must differ). Creates an
 * empty database owned by owner and records it as alfup's; an existing one is
 * recreated only when recorded. Outputs: database, owner, recreated. */
step_status_t step_db_create_scratch_run(step_context_t *ctx);

/* Params: database, source (optional; must differ). Drops the database when
 * alfup recorded it (terminating its sessions); an absent one succeeds.
 * Outputs: database, dropped (yes/no), terminated_sessions. */
step_status_t step_db_drop_scratch_run(step_context_t *ctx);

#endif
