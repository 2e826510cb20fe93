/* db_copy_dump.h -- db-copy's path for a new database on another server: db-backup of the source
 * (pg_dump -Fd -j, facts in its snapshot), then db-restore of that dump into the other server
 * (pg_restore -j, owner as db-restore gives it, schema number and every table's row count checked). */
#ifndef ALFUP_DB_COPY_DUMP_H
#define ALFUP_DB_COPY_DUMP_H

#include "db_server.h"
#include "step.h"

typedef struct db_copy_dump_request {
    const char *source, *target, *owner;
    const char *dump;  /* the dump folder (param "dump"): inside backup_dir, kept there */
    const char *jobs;  /* param "jobs" as given, or NULL (the steps' default) */
    const db_server_view_t *server; /* where the target goes */
} db_copy_dump_request_t;

/* Runs the two steps with ctx's id, cancel, progress and interrupted flag,
 * their log lines and errors into ctx->result; adds the outputs dump,
 * dump_bytes, tables, rows and schema. STEP_* as the steps return. */
step_status_t db_copy_dump_run(step_context_t *ctx, const db_copy_dump_request_t *req);

#endif
