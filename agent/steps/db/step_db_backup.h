/* step_db_backup.h -- the "db-backup" step: pg_dump -Fd plus the database facts. */
#ifndef ALFUP_STEP_DB_BACKUP_H
#define ALFUP_STEP_DB_BACKUP_H

#include "step.h"

/* Params: database (identifier), dest (dump folder inside backup_dir, must
 * not exist), jobs (1..16, default 2), timeout_s. Outputs: dump, facts, database,
 * schema, tables, total_rows, db_size, dump_bytes. See docs/steps-db.md. */
step_status_t step_db_backup_run(step_context_t *ctx);

#endif
