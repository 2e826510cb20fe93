/* step_decommission_tree.c -- remove the old installation, only when approved. */
#include "step_decommission_tree.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "layout_util.h"

/* The required parameter key names a path of the NEW installation (new_home,
 * new_dir_root): refused unless absolute and apart from old_home (neither
 * contains the other, compared after realpath when it exists). It need not
 * lie inside allowed_roots: it is never touched. */
static step_status_t refuse_new(step_context_t *ctx, const char *key, const char *old_home)
{
    const char *raw = step_param_required(ctx, key);
    if (raw == NULL)
        return STEP_REFUSED;
    if (raw[0] != '/' || strlen(raw) >= PATH_MAX)
        return step_fail(ctx, STEP_REFUSED, "%s: %s '%s' is not an absolute path", ctx->step_id,
                         key, raw);
    char resolved[PATH_MAX];
    const char *canonical = realpath(raw, resolved) ? resolved : raw;
    if (layout_overlaps(old_home, canonical))
        return step_fail(ctx, STEP_REFUSED,
                         "%s: decommission %s: it overlaps the new installation's %s %s; refusing",
                         ctx->step_id, old_home, key, canonical);
    return STEP_SUCCEEDED;
}

static step_status_t decommission(step_context_t *ctx, const char *old_home)
{
    alfup_err_t err = {{0}};
    step_status_t status = refuse_new(ctx, "new_home", old_home);
    if (status == STEP_SUCCEEDED)
        status = refuse_new(ctx, "new_dir_root", old_home);
    if (status != STEP_SUCCEEDED)
        return status;
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
    if (layout_output_removed(ctx, &stats) != 0)
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
