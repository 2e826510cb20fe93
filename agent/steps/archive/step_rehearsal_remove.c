/* step_rehearsal_remove.c -- "rehearsal-remove": the rehearsal's folder removed, never what it must keep. */
#include "step_rehearsal_remove.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "path_policy.h"
#include "path_within.h"
#include "tree_remove.h"

static int overlaps(const char *a, const char *b)
{
    return b != NULL && (path_is_within(a, b) || path_is_within(b, a));
}

/* STEP_SUCCEEDED when path overlaps none of the keep params, backup_dir or state_dir. */
static step_status_t check_apart(step_context_t *ctx, const char *path)
{
    size_t keeps = kv_list_count_key(ctx->params, "keep");
    for (size_t i = 0; i < keeps; i++) {
        alfup_err_t err;
        char *keep = path_policy_resolve(ctx->config, kv_list_get_nth(ctx->params, "keep", i), &err);
        int bad = keep != NULL && overlaps(path, keep);
        if (bad)
            step_fail(ctx, STEP_REFUSED, "%s: %s overlaps %s, which is kept", ctx->step_id, path, keep);
        free(keep);
        if (bad)
            return STEP_REFUSED;
    }
    const char *own[] = {ctx->config->backup_dir, ctx->config->state_dir};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        char *real = own[i] ? realpath(own[i], NULL) : NULL;
        int bad = real != NULL && overlaps(path, real);
        free(real);
        if (bad)
            return step_fail(ctx, STEP_REFUSED, "%s: %s overlaps the agent's %s", ctx->step_id, path, own[i]);
    }
    return STEP_SUCCEEDED;
}

step_status_t step_rehearsal_remove_run(step_context_t *ctx)
{
    const char *param = step_param_required(ctx, "path");
    if (param == NULL)
        return STEP_REFUSED;
    alfup_err_t err = {{0}};
    char *path = path_policy_resolve(ctx->config, param, &err);
    if (path == NULL)
        return step_fail(ctx, STEP_REFUSED, "%s: path: %s", ctx->step_id, err.msg);
    step_status_t status = check_apart(ctx, path);
    tree_remove_stats_t stats = {0};
    if (status == STEP_SUCCEEDED) {
        int rc = tree_remove(ctx, path, 1, &stats, &err);
        if (rc == TREE_WALK_CANCELLED)
            status = step_fail(ctx, STEP_CANCELLED, "%s: removing %s cancelled", ctx->step_id, path);
        else if (rc != ALFUP_OK)
            status = step_fail(ctx, STEP_FAILED, "%s: removing %s: %s", ctx->step_id, path, err.msg);
    }
    kv_list_t *out = &ctx->result->outputs;
    if (status == STEP_SUCCEEDED &&
        (kv_list_add(out, "path", path) || kv_list_addf(out, "files_removed", "%" PRIu64, stats.files) ||
         kv_list_addf(out, "folders_removed", "%" PRIu64, stats.folders) ||
         kv_list_addf(out, "bytes_removed", "%" PRIu64, stats.bytes)))
        status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    free(path);
    return status;
}
