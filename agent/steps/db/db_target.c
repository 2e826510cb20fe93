/* db_target.c -- a step's target database: the guard's check before replacing it, leftovers. */
#include "db_target.h"

#include <stdio.h>
#include <time.h>

#include "db_admin.h"
#include "db_guard.h"
#include "message.h"

step_status_t db_target_replaceable(step_context_t *ctx, db_conn_t *admin, const char *target,
                                    const char *action, int *exists)
{
    alfup_err_t err;
    int found = db_admin_database_exists(admin, target, &err);
    int recorded = found == 1 ? db_guard_is_recorded(ctx->config, target, &err) : 0;
    *exists = 0;
    if (found < 0 || recorded < 0)
        return step_fail(ctx, STEP_FAILED, "%s: %s %s: %s", ctx->step_id, action, target,
                         err.msg);
    if (found == 0)
        return STEP_SUCCEEDED;
    if (recorded == 0)
        return step_fail(ctx, STEP_REFUSED,
                         "%s: database %s exists and was not created by alfup on this agent "
                         "(no record in %s/%s); refusing to drop it",
                         ctx->step_id, target, ctx->config->state_dir, DB_GUARD_FOLDER);
    *exists = 1;
    return STEP_SUCCEEDED;
}

/* A new admin session once the server answers again (see db_target_remove_leftover).
 * Replaces *admin and returns ALFUP_OK, or ALFUP_ERR with err. */
static int reconnect_admin(step_context_t *ctx, db_conn_t **admin, const char *target,
                           const char *what, alfup_err_t *err)
{
    unsigned tries = step_cancelled(ctx) ? 1 : DB_TARGET_RECONNECT_S;
    for (unsigned i = 0; i < tries; i++) {
        if (i > 0) {
            char message[256];
            snprintf(message, sizeof message,
                     "waiting for the database server to remove the %s %s", what, target);
            step_progress_t progress = {.message = message};
            step_report(ctx, &progress);
            nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
        }
        db_conn_t *fresh = db_conn_open(ctx->config, DB_MAINTENANCE_DATABASE, NULL, err);
        if (fresh != NULL) {
            db_conn_destroy(admin);
            *admin = fresh;
            return ALFUP_OK;
        }
    }
    return ALFUP_ERR;
}

void db_target_remove_leftover(step_context_t *ctx, db_conn_t **admin, const char *target,
                               const char *what)
{
    alfup_err_t err;
    db_conn_ignore_cancel(*admin);
    int exists = db_admin_database_exists(*admin, target, &err);
    if (exists < 0 && reconnect_admin(ctx, admin, target, what, &err) == ALFUP_OK)
        exists = db_admin_database_exists(*admin, target, &err);
    if (exists == 1 && db_admin_drop_database(*admin, target, NULL, &err) == ALFUP_OK)
        str_list_addf(&ctx->result->log_lines, "removed the %s %s", what, target);
    else if (exists != 0) {
        str_list_addf(&ctx->result->log_lines, "%s %s not removed: %s", what, target, err.msg);
        return;
    }
    if (db_guard_forget(ctx->config, target, &err) != ALFUP_OK)
        str_list_addf(&ctx->result->log_lines, "%s", err.msg);
}
