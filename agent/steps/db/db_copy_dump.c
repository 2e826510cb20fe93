/* db_copy_dump.c -- the database copy by dump and restore, for a new database on another server. */
#include "db_copy_dump.h"

#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "step_db_backup.h"
#include "step_db_restore.h"

/* Runs kind's function as a part of ctx's step: its own params and config, and
 * a result whose log lines and error are carried over to ctx's (outputs into
 * *outputs). */
static step_status_t run_part(step_context_t *ctx, step_run_fn run, const agent_config_t *config,
                              const kv_list_t *params, kv_list_t *outputs)
{
    msg_step_result_t part = {0};
    step_context_t sub = *ctx;
    sub.config = config;
    sub.params = params;
    sub.result = &part;
    step_status_t status = run(&sub);
    for (size_t i = 0; i < part.log_lines.count; i++)
        str_list_add(&ctx->result->log_lines, part.log_lines.items[i]);
    if (status != STEP_SUCCEEDED)
        step_fail(ctx, status, "%s", part.error ? part.error : "failed without a message");
    for (size_t i = 0; i < part.outputs.count; i++)
        kv_list_add(outputs, part.outputs.items[i].key, part.outputs.items[i].value);
    msg_step_result_clear(&part);
    return status;
}

/* list's key, or "" when absent. */
static const char *value_of(const kv_list_t *list, const char *key)
{
    const char *value = kv_list_get(list, key);
    return value ? value : "";
}

static int add_jobs(kv_list_t *params, const char *jobs)
{
    return jobs != NULL ? kv_list_add(params, "jobs", jobs) : 0;
}

step_status_t db_copy_dump_run(step_context_t *ctx, const db_copy_dump_request_t *req)
{
    kv_list_t dump_params = {0}, restore_params = {0}, dumped = {0}, restored = {0};
    step_status_t status = STEP_FAILED;
    if (kv_list_add(&dump_params, "database", req->source) ||
        kv_list_add(&dump_params, "dest", req->dump) || add_jobs(&dump_params, req->jobs) ||
        kv_list_add(&restore_params, "dump", req->dump) ||
        kv_list_add(&restore_params, "database", req->target) ||
        kv_list_add(&restore_params, "source", req->source) ||
        kv_list_add(&restore_params, "owner", req->owner) || add_jobs(&restore_params, req->jobs)) {
        step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
        goto out;
    }
    status = run_part(ctx, step_db_backup_run, ctx->config, &dump_params, &dumped);
    if (status == STEP_SUCCEEDED)
        status = run_part(ctx, step_db_restore_run, &req->server->config, &restore_params,
                          &restored);
    if (status != STEP_SUCCEEDED)
        goto out;
    kv_list_t *out = &ctx->result->outputs;
    if (kv_list_add(out, "dump", value_of(&dumped, "dump")) ||
        kv_list_add(out, "dump_bytes", value_of(&dumped, "dump_bytes")) ||
        kv_list_add(out, "tables", value_of(&restored, "tables")) ||
        kv_list_add(out, "rows", value_of(&restored, "total_rows")) ||
        kv_list_add(out, "schema", value_of(&restored, "schema")))
        status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
out:
    kv_list_clear(&dump_params);
    kv_list_clear(&restore_params);
    kv_list_clear(&dumped);
    kv_list_clear(&restored);
    return status;
}
