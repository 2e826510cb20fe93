/* db_target.h -- a step's target database: may alfup replace it, removing what a failed step left. */
#ifndef ALFUP_DB_TARGET_H
#define ALFUP_DB_TARGET_H

#include "db_conn.h"
#include "step.h"

/* How long removing a leftover waits for a restarting server to answer again. */
#define DB_TARGET_RECONNECT_S 30u

/* Whether target may be replaced: STEP_SUCCEEDED with *exists 0 (absent) or 1
 * (present and recorded by alfup, so the guard lets it be dropped);
 * STEP_REFUSED when it exists without a record (never dropped); STEP_FAILED
 * when either lookup fails. The step's error names the step, action and
 * target ("t-1: restore of alfresco_v2: ..."): the admin session's own errors
 * name only the maintenance database. */
step_status_t db_target_replaceable(step_context_t *ctx, db_conn_t *admin, const char *target,
                                    const char *action, int *exists);

/* After a failure or cancel once the step may have created target (recorded
 * before the CREATE): drops target when it exists, then forgets its record.
 * what names it in the log lines and progress ("half-restored database",
 * "unfinished copy"): "removed the <what> <target>", or "<what> <target> not
 * removed: <why>" and the record stays, so a later step or db-drop-scratch
 * may remove it. When *admin's session died with the failure (the server
 * restarted), a new one is tried once a second for up to
 * DB_TARGET_RECONNECT_S (once when the step was cancelled) and replaces
 * *admin. The step's cancel is ignored from here on. */
void db_target_remove_leftover(step_context_t *ctx, db_conn_t **admin, const char *target,
                               const char *what);

#endif
