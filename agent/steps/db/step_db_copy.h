/* step_db_copy.h -- the "db-copy" step: a new database as a template copy of the old one, same server. */
#ifndef ALFUP_STEP_DB_COPY_H
#define ALFUP_STEP_DB_COPY_H

#include "step.h"

/* Params: source (the old database; only read), database (the target),
 * owner (role that owns the copy and every object in it). Outputs: database,
 * owner, source, strategy, bytes, seconds, schema, tables, rows, reassigned,
 * terminated_sessions, recovered. See docs/steps-db.md. */
step_status_t step_db_copy_run(step_context_t *ctx);

#endif
