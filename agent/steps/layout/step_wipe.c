/* step_wipe.c -- the "wipe" step: empty a folder of the new installation, never the old one. */
#include "step_wipe.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "layout_util.h"

static step_status_t wipe(step_context_t *ctx, const char *path, const char *old_home)
{
    alfup_err_t err = {{0}};
    if (layout_overlaps(path, old_home))
        return step_fail(ctx, STEP_REFUSED,
                         "%s: wipe %s: it overlaps the old installation %s; refusing",
                         ctx->step_id, path, old_home);
    if (layout_check_protected(ctx->config, path, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_REFUSED, "%s: wipe: %s", ctx->step_id, err.msg);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return step_fail(ctx, STEP_REFUSED, "%s: wipe %s: not an existing folder", ctx->step_id,
                         path);
    tree_remove_stats_t stats = {0};
    int rc = layout_clear(ctx, path, 0, &stats, &err);
    if (layout_output(ctx, "path", path) != 0 || layout_output_removed(ctx, &stats) != 0)
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    if (rc == LAYOUT_CANCELLED)
        return step_fail(ctx, STEP_CANCELLED, "%s: wipe %s cancelled", ctx->step_id, path);
    if (rc != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: wipe: %s", ctx->step_id, err.msg);
    return STEP_SUCCEEDED;
}

step_status_t step_wipe_run(step_context_t *ctx)
{
    char *path = layout_param_path(ctx, "path");
    char *old_home = path ? layout_param_path(ctx, "old_home") : NULL;
    step_status_t status = STEP_REFUSED;
    if (path != NULL && old_home != NULL)
        status = wipe(ctx, path, old_home);
    free(path);
    free(old_home);
    return status;
}
