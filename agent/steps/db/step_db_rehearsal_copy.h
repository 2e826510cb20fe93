/* step_db_rehearsal_copy.h -- the "db-rehearsal-copy" step kind: production's database copied while it serves. */
#ifndef ALFUP_STEP_DB_REHEARSAL_COPY_H
#define ALFUP_STEP_DB_REHEARSAL_COPY_H

#include "step.h"

/* Params: source (the production database, read only), database (the rehearsal's; alfup's to drop and
 * recreate), owner (the new db_user), dump (a folder inside backup_dir for the dump, removed at the end),
 * jobs (1..16, default 2). pg_dump -Fd -j of one snapshot (db-backup, row counts recorded in that
 * snapshot), then pg_restore -j into a freshly created database owned by owner, checked against those
 * counts (db-restore). A rehearsal database left by an earlier attempt is dropped first (it must be
 * recorded by alfup's guard). Outputs: database, source, db_bytes (the source's size in the snapshot),
 * dump_bytes, copy_ms (dump + restore), dump_ms, restore_ms, total_rows. */
step_status_t step_db_rehearsal_copy_run(step_context_t *ctx);

#endif
