/* step_decommission_tree.c -- remove the old installation, only when approved. */
#include "step_decommission_tree.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "layout_util.h"

static step_status_t decommission(step_context_t *ctx, const char *old_home)
{
    alfup_err_t err = {{0}};
    if (layout_check_protected(ctx->config, old_home, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_REFUSED, "%s: decommission: %s", ctx->step_id, err.msg);
    struct stat st;
    if (lstat(old_home, &st) != 0 || !S_ISDIR(st.st_mode))
        return step_fail(ctx, STEP_REFUSED, "%s: decommission %s: not an existing folder",
                         ctx->step_id, old_home);
    if (layout_output(ctx, "path", old_home) != 0 ||
        layout_output(ctx, "approval", ctx->approval) != 0)
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    tree_remove_stats_t stats = {0};
    int rc = layout_clear(ctx, old_home, 1, &stats, &err);
    if (kv_list_addf(&ctx->result->outputs, "files_removed", "%llu",
                     (unsigned long long)stats.files) != 0 ||
        kv_list_addf(&ctx->result->outputs, "folders_removed", "%llu",
                     (unsigned long long)stats.folders) != 0 ||
        kv_list_addf(&ctx->result->outputs, "bytes_removed", "%llu",
                     (unsigned long long)stats.bytes) != 0)
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    if (rc == LAYOUT_CANCELLED)
        return step_fail(ctx, STEP_CANCELLED, "%s: decommission %s cancelled part way",
                         ctx->step_id, old_home);
    if (rc != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: decommission: %s", ctx->step_id, err.msg);
    return STEP_SUCCEEDED;
}

step_status_t step_decommission_tree_run(step_context_t *ctx)
{
    if (ctx->approval == NULL || ctx->approval[0] == '\0')
        return step_fail(ctx, STEP_REFUSED,
                         "%s: decommission-tree needs an operator's approval; none recorded",
                         ctx->step_id);
    char *old_home = layout_param_path(ctx, "old_home");
    if (old_home == NULL)
        return STEP_REFUSED;
    step_status_t status = decommission(ctx, old_home);
    free(old_home);
    return status;
}
