/* step_decommission_database.c -- drop the old database once the operator approved it. */
#include "step_decommission_database.h"

#include <inttypes.h>
#include <string.h>

#include "db_admin.h"
#include "db_guard.h"
#include "db_ident.h"
#include "db_params.h"

#define APPROVAL_MAX 256u

/* Drops database unless keep is given and missing (then nothing is dropped). */
static step_status_t drop_old(step_context_t *ctx, db_conn_t *admin, const char *database,
                              const char *keep)
{
    alfup_err_t err;
    if (keep != NULL) {
        int kept = db_admin_database_exists(admin, keep, &err);
        if (kept != 1)
            return step_fail(ctx, STEP_FAILED, "%s: database %s to keep %s; not dropping %s",
                             ctx->step_id, keep, kept == 0 ? "does not exist" : err.msg, database);
    }
    int exists = db_admin_database_exists(admin, database, &err);
    if (exists < 0)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    int64_t terminated = 0;
    if (exists == 1 && db_admin_drop_database(admin, database, &terminated, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    if (db_guard_forget(ctx->config, database, &err) != ALFUP_OK)
        str_list_addf(&ctx->result->log_lines, "%s", err.msg);
    str_list_addf(&ctx->result->log_lines, "database %s %s with approval '%s'", database,
                  exists ? "dropped" : "already absent", ctx->approval);
    kv_list_t *out = &ctx->result->outputs;
    if (kv_list_add(out, "database", database) || kv_list_add(out, "approval", ctx->approval) ||
        kv_list_add(out, "dropped", exists ? "yes" : "no") ||
        kv_list_addf(out, "terminated_sessions", "%" PRId64, terminated))
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

step_status_t step_decommission_database_run(step_context_t *ctx)
{
    int bad = 0;
    if (!db_param_config_ready(ctx))
        return STEP_REFUSED;
    const char *database = db_param_ident(ctx, "database");
    const char *keep = database ? db_param_ident_optional(ctx, "keep", &bad) : NULL;
    if (database == NULL || bad)
        return STEP_REFUSED;
    if (ctx->approval == NULL || ctx->approval[0] == '\0')
        return step_fail(ctx, STEP_REFUSED,
                         "%s: dropping database %s needs an operator's approval; none recorded",
                         ctx->step_id, database);
    if (strlen(ctx->approval) > APPROVAL_MAX)
        return step_fail(ctx, STEP_REFUSED, "%s: approval longer than %u bytes", ctx->step_id,
                         APPROVAL_MAX);
    if (db_ident_is_system_database(database))
        return step_fail(ctx, STEP_REFUSED, "%s: %s is a system database", ctx->step_id, database);
    if (keep != NULL && strcmp(keep, database) == 0)
        return step_fail(ctx, STEP_REFUSED, "%s: keep and database are both %s", ctx->step_id,
                         database);
    alfup_err_t err;
    db_conn_t *admin = db_conn_open(ctx->config, DB_MAINTENANCE_DATABASE, ctx->cancel, &err);
    if (admin == NULL)
        return step_fail(ctx, STEP_FAILED, "%s: decommission %s: %s", ctx->step_id, database,
                         err.msg);
    step_status_t status = drop_old(ctx, admin, database, keep);
    db_conn_destroy(&admin);
    return status;
}
