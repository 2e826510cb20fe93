/* step_db_restore.h -- the "db-restore" step: recreate a database from a dump. */
#ifndef ALFUP_STEP_DB_RESTORE_H
#define ALFUP_STEP_DB_RESTORE_H

#include "step.h"

/* Params: dump (a db-backup folder), database (target), source (the run's
 * source database; never touched), owner (role), jobs (1..16, default 2),
 * timeout_s. Outputs: database, owner, source, dump, schema, tables, total_rows,
 * terminated_sessions. See docs/steps-db.md. */
step_status_t step_db_restore_run(step_context_t *ctx);

#endif
