/* step_db_rehearsal_copy.c -- "db-rehearsal-copy": db-backup then db-restore, timed, the dump removed. */
#include "step_db_rehearsal_copy.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_params.h"
#include "step_db_backup.h"
#include "step_db_restore.h"
#include "step_params.h"
#include "tree_remove.h"

typedef struct rehearsal_copy {
    const char *source, *target, *owner, *jobs;
    char *dump;       /* canonical, inside backup_dir */
    uint64_t dump_ms, restore_ms;
} rehearsal_copy_t;

/* Runs kind with params on a result of its own; its log lines and error move into ctx's result. */
static step_status_t run_part(step_context_t *ctx, step_run_fn run, const kv_list_t *params,
                              kv_list_t *outputs, uint64_t *elapsed_ms)
{
    msg_step_result_t part = {0};
    step_context_t sub = *ctx;
    sub.params = params;
    sub.result = &part;
    sub.interrupted = 0;
    uint64_t started = alfup_now_mono_ms();
    step_status_t status = run(&sub);
    *elapsed_ms = alfup_now_mono_ms() - started;
    for (size_t i = 0; i < part.log_lines.count; i++)
        str_list_add(&ctx->result->log_lines, part.log_lines.items[i]);
    for (size_t i = 0; i < part.outputs.count; i++)
        kv_list_add(outputs, part.outputs.items[i].key, part.outputs.items[i].value);
    if (status != STEP_SUCCEEDED)
        step_fail(ctx, status, "%s", part.error ? part.error : "failed");
    msg_step_result_clear(&part);
    return status;
}

static step_status_t read_params(step_context_t *ctx, rehearsal_copy_t *copy)
{
    if (db_param_target_source_owner(ctx, &copy->target, &copy->source, &copy->owner) != 0)
        return STEP_REFUSED;
    unsigned jobs;
    if (db_param_uint(ctx, "jobs", DB_JOBS_MIN, DB_JOBS_MAX, DB_JOBS_DEFAULT, &jobs) != 0)
        return STEP_REFUSED;
    copy->jobs = kv_list_get(ctx->params, "jobs");
    const char *dump = step_param_required(ctx, "dump");
    if (dump == NULL)
        return STEP_REFUSED;
    step_status_t status = step_param_backup_path(ctx, "dump", dump, &copy->dump);
    if (status != STEP_SUCCEEDED)
        return status;
    return STEP_SUCCEEDED;
}

/* Removes the dump folder and its partial twin (an earlier attempt's, or this one's once restored). */
static int remove_dump(step_context_t *ctx, const rehearsal_copy_t *copy, int quiet)
{
    char partial[PATH_MAX];
    alfup_err_t err;
    snprintf(partial, sizeof partial, "%s.partial", copy->dump);
    if (tree_remove_all(copy->dump, NULL, &err) != ALFUP_OK || tree_remove_all(partial, NULL, &err) != ALFUP_OK) {
        if (quiet) {
            str_list_addf(&ctx->result->log_lines, "rehearsal dump %s not removed: %s", copy->dump, err.msg);
            return -1;
        }
        step_fail(ctx, STEP_FAILED, "%s: removing the rehearsal dump: %s", ctx->step_id, err.msg);
        return -1;
    }
    return 0;
}

static step_status_t copy_database(step_context_t *ctx, rehearsal_copy_t *copy, kv_list_t *parts)
{
    kv_list_t dump_params = {0}, restore_params = {0};
    step_status_t status = STEP_FAILED;
    if (kv_list_add(&dump_params, "database", copy->source) || kv_list_add(&dump_params, "dest", copy->dump) ||
        (copy->jobs && kv_list_add(&dump_params, "jobs", copy->jobs)) ||
        kv_list_add(&restore_params, "database", copy->target) ||
        kv_list_add(&restore_params, "source", copy->source) || kv_list_add(&restore_params, "owner", copy->owner) ||
        kv_list_add(&restore_params, "dump", copy->dump) ||
        (copy->jobs && kv_list_add(&restore_params, "jobs", copy->jobs))) {
        step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
        goto out;
    }
    status = run_part(ctx, step_db_backup_run, &dump_params, parts, &copy->dump_ms);
    if (status == STEP_SUCCEEDED)
        status = run_part(ctx, step_db_restore_run, &restore_params, parts, &copy->restore_ms);
out:
    kv_list_clear(&dump_params);
    kv_list_clear(&restore_params);
    return status;
}

static step_status_t add_outputs(step_context_t *ctx, const rehearsal_copy_t *copy, const kv_list_t *parts)
{
    const char *db_size = kv_list_get(parts, "db_size"), *dump_bytes = kv_list_get(parts, "dump_bytes");
    const char *rows = kv_list_get(parts, "total_rows");
    kv_list_t *out = &ctx->result->outputs;
    if (kv_list_add(out, "database", copy->target) || kv_list_add(out, "source", copy->source) ||
        kv_list_add(out, "db_bytes", db_size ? db_size : "0") ||
        kv_list_add(out, "dump_bytes", dump_bytes ? dump_bytes : "0") ||
        kv_list_addf(out, "copy_ms", "%llu", (unsigned long long)(copy->dump_ms + copy->restore_ms)) ||
        kv_list_addf(out, "dump_ms", "%llu", (unsigned long long)copy->dump_ms) ||
        kv_list_addf(out, "restore_ms", "%llu", (unsigned long long)copy->restore_ms) ||
        kv_list_add(out, "total_rows", rows ? rows : "0"))
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

step_status_t step_db_rehearsal_copy_run(step_context_t *ctx)
{
    rehearsal_copy_t copy = {0};
    kv_list_t parts = {0};
    step_status_t status = read_params(ctx, &copy);
    if (status == STEP_SUCCEEDED && remove_dump(ctx, &copy, 0) != 0)
        status = STEP_FAILED;
    if (status == STEP_SUCCEEDED)
        status = copy_database(ctx, &copy, &parts);
    if (copy.dump != NULL && remove_dump(ctx, &copy, status != STEP_SUCCEEDED) != 0 && status == STEP_SUCCEEDED)
        status = STEP_FAILED;
    if (status == STEP_SUCCEEDED)
        status = add_outputs(ctx, &copy, &parts);
    kv_list_clear(&parts);
    free(copy.dump);
    return status;
}
