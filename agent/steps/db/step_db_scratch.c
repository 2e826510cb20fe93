/* step_db_scratch.c -- create and drop scratch databases alfup recorded (on the agent's server, or
 * on postgres.servers.NAME given param server). */
#include "step_db_scratch.h"

#include <inttypes.h>
#include <string.h>

#include "db_admin.h"
#include "db_guard.h"
#include "db_ident.h"
#include "db_params.h"
#include "db_server.h"

/* database (and optional source) from the params, checked. NULL when refused. */
static const char *scratch_target(step_context_t *ctx)
{
    int bad = 0;
    if (!db_param_config_ready(ctx))
        return NULL;
    const char *target = db_param_ident(ctx, "database");
    const char *source = target ? db_param_ident_optional(ctx, "source", &bad) : NULL;
    if (target == NULL || bad)
        return NULL;
    if (source != NULL && strcmp(source, target) == 0)
        return step_fail(ctx, STEP_REFUSED, "%s: %s is the source database; refusing", ctx->step_id,
                         target),
               NULL;
    if (db_ident_is_system_database(target))
        return step_fail(ctx, STEP_REFUSED, "%s: %s is a system database", ctx->step_id, target),
               NULL;
    return target;
}

/* When target exists: drops it if recorded (*dropped = 1), refuses if not. */
static step_status_t drop_if_recorded(step_context_t *ctx, db_conn_t *admin, const char *target,
                                      int *dropped, int64_t *terminated)
{
    alfup_err_t err;
    *dropped = 0;
    int exists = db_admin_database_exists(admin, target, &err);
    if (exists < 0)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    if (exists == 0)
        return STEP_SUCCEEDED;
    int recorded = db_guard_is_recorded(ctx->config, target, &err);
    if (recorded < 0)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    if (recorded == 0)
        return step_fail(ctx, STEP_REFUSED,
                         "%s: database %s exists and was not created by alfup on this agent; "
                         "refusing to drop it",
                         ctx->step_id, target);
    if (db_admin_drop_database(admin, target, terminated, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    *dropped = 1;
    return STEP_SUCCEEDED;
}

static step_status_t create_scratch(step_context_t *ctx, db_conn_t *admin, const char *target,
                                    const char *owner)
{
    alfup_err_t err;
    int role = db_admin_role_exists(admin, owner, &err);
    if (role != 1)
        return step_fail(ctx, STEP_FAILED, "%s: owner role %s: %s", ctx->step_id, owner,
                         role == 0 ? "does not exist" : err.msg);
    int recreated = 0;
    int64_t terminated = 0;
    step_status_t status = drop_if_recorded(ctx, admin, target, &recreated, &terminated);
    if (status != STEP_SUCCEEDED)
        return status;
    if (db_guard_record(ctx->config, target, ctx->step_id, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    if (db_admin_create_database(admin, target, owner, &err) != ALFUP_OK) {
        alfup_err_t ignored;
        if (db_admin_database_exists(admin, target, &ignored) == 0)
            db_guard_forget(ctx->config, target, &ignored);
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    }
    if (kv_list_add(&ctx->result->outputs, "database", target) ||
        kv_list_add(&ctx->result->outputs, "owner", owner) ||
        kv_list_add(&ctx->result->outputs, "recreated", recreated ? "yes" : "no"))
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

static step_status_t create_on_server(step_context_t *ctx)
{
    const char *target = scratch_target(ctx);
    const char *owner = target ? db_param_ident(ctx, "owner") : NULL;
    if (owner == NULL)
        return STEP_REFUSED;
    alfup_err_t err;
    db_conn_t *admin = db_conn_open(ctx->config, DB_MAINTENANCE_DATABASE, ctx->cancel, &err);
    if (admin == NULL)
        return step_fail(ctx, STEP_FAILED, "%s: create %s: %s", ctx->step_id, target, err.msg);
    step_status_t status = create_scratch(ctx, admin, target, owner);
    db_conn_destroy(&admin);
    return status;
}

static step_status_t drop_on_server(step_context_t *ctx)
{
    const char *target = scratch_target(ctx);
    if (target == NULL)
        return STEP_REFUSED;
    alfup_err_t err;
    db_conn_t *admin = db_conn_open(ctx->config, DB_MAINTENANCE_DATABASE, ctx->cancel, &err);
    if (admin == NULL)
        return step_fail(ctx, STEP_FAILED, "%s: drop %s: %s", ctx->step_id, target, err.msg);
    int dropped = 0;
    int64_t terminated = 0;
    step_status_t status = drop_if_recorded(ctx, admin, target, &dropped, &terminated);
    db_conn_destroy(&admin);
    if (status != STEP_SUCCEEDED)
        return status;
    if (db_guard_forget(ctx->config, target, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    if (kv_list_add(&ctx->result->outputs, "database", target) ||
        kv_list_add(&ctx->result->outputs, "dropped", dropped ? "yes" : "no") ||
        kv_list_addf(&ctx->result->outputs, "terminated_sessions", "%" PRId64, terminated))
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

step_status_t step_db_create_scratch_run(step_context_t *ctx)
{
    db_server_view_t view;
    step_context_t on_server;
    step_status_t status = db_server_step_context(ctx, &view, &on_server);
    return status == STEP_SUCCEEDED ? create_on_server(&on_server) : status;
}

step_status_t step_db_drop_scratch_run(step_context_t *ctx)
{
    db_server_view_t view;
    step_context_t on_server;
    step_status_t status = db_server_step_context(ctx, &view, &on_server);
    return status == STEP_SUCCEEDED ? drop_on_server(&on_server) : status;
}
