/* step_restore_tree.c -- "restore-tree": an archive into an empty or absent folder, every file checked. */
#include "step_restore_tree.h"

#include <stdlib.h>
#include <string.h>

#include "archive_check.h"
#include "archive_params.h"
#include "archive_path.h"
#include "delta_apply.h"

/* Extracts archive into target (prepared and empty) through the checker. online: production serves, so the
 * archive's and the written files' pages leave the page cache once done with (page_cache.h). */
static int restore_into(step_context_t *ctx, const char *archive, const char *target, const char *tree, int online,
                        archive_check_result_t *checked, alfup_err_t *err)
{
    archive_extract_options_t extract_options = {.keep_owner = 1, .allow_hardlinks = 0, .drop_cache = online};
    archive_extract_t *extract = archive_extract_new(target, &extract_options, err);
    if (extract == NULL)
        return ALFUP_ERR;
    archive_progress_t progress;
    archive_progress_init(&progress, ctx, "restore");
    archive_check_options_t options = {
        .tree = tree, .extract = extract, .expected_sha256 = kv_list_get(ctx->params, "sha256"), .drop_cache = online};
    int rc = archive_check_run(archive, &options, &progress, checked, err);
    if (rc == ALFUP_OK)
        rc = archive_extract_close(extract, err);
    if (rc == ALFUP_OK && archive_extract_report(extract, ctx) != 0)
        rc = alfup_err_set(err, "out of memory");
    archive_extract_destroy(&extract);
    if (rc == ALFUP_OK)
        rc = archive_target_sync(target, err);
    return rc;
}

/* With a delta: applies it (chained to the base just restored) to the restored tree, then syncs again. */
static int apply_delta(step_context_t *ctx, const char *delta, const char *target, const char *tree,
                       const char *base_sha256, delta_apply_result_t *applied, alfup_err_t *err)
{
    archive_progress_t progress;
    archive_progress_init(&progress, ctx, "restore the delta");
    int rc = delta_apply_run(delta, target, tree, base_sha256, &progress, applied, err);
    const char *expected = kv_list_get(ctx->params, "delta_sha256");
    if (rc == ALFUP_OK && expected != NULL && strcmp(expected, applied->added.archive_sha256) != 0)
        rc = alfup_err_set(err, "delta %s has sha-256 %s, expected %s", delta, applied->added.archive_sha256, expected);
    if (rc == ALFUP_OK)
        rc = archive_target_sync(target, err);
    return rc;
}

static step_status_t add_outputs(step_context_t *ctx, const char *target, const archive_check_result_t *checked,
                                 const delta_apply_result_t *applied)
{
    kv_list_t *out = &ctx->result->outputs;
    if (kv_list_add(out, "target", target) != 0 || kv_list_add(out, "archive_sha256", checked->archive_sha256) != 0 ||
        kv_list_addf(out, "files", "%llu", (unsigned long long)checked->files) != 0 ||
        kv_list_addf(out, "bytes", "%llu", (unsigned long long)checked->bytes) != 0)
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    if (applied != NULL && (kv_list_add(out, "delta_sha256", applied->added.archive_sha256) != 0 ||
                            kv_list_addf(out, "delta_files", "%llu", (unsigned long long)applied->added.files) != 0 ||
                            kv_list_addf(out, "delta_removed", "%llu", (unsigned long long)applied->removed) != 0))
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

step_status_t step_restore_tree_run(step_context_t *ctx)
{
    const char *archive_param = step_param_required(ctx, "archive");
    const char *target_param = archive_param ? step_param_required(ctx, "target") : NULL;
    if (target_param == NULL)
        return STEP_REFUSED;
    const char *tree = kv_list_get(ctx->params, "tree");
    if (tree != NULL && (!archive_path_is_safe(tree) || strchr(tree, '/') != NULL))
        return step_fail(ctx, STEP_REFUSED, "%s: parameter tree must be one folder name", ctx->step_id);
    const char *delta_param = kv_list_get(ctx->params, "delta");
    int online = 0;
    if (archive_param_bool(ctx, "online", 0, &online) != 0)
        return STEP_REFUSED;
    char *archive = NULL, *target = NULL, *delta = NULL;
    int created = 0;
    step_status_t status = step_param_path(ctx, "archive", archive_param, &archive);
    if (status == STEP_SUCCEEDED)
        status = step_param_path(ctx, "target", target_param, &target);
    if (status == STEP_SUCCEEDED && delta_param != NULL)
        status = step_param_path(ctx, "delta", delta_param, &delta);
    if (status == STEP_SUCCEEDED)
        status = archive_target_prepare(ctx, target, &created);
    if (status != STEP_SUCCEEDED)
        goto out;
    alfup_err_t err = {{0}};
    archive_check_result_t checked;
    delta_apply_result_t applied;
    int rc = restore_into(ctx, archive, target, tree, online, &checked, &err);
    if (rc == ALFUP_OK && delta != NULL)
        rc = apply_delta(ctx, delta, target, tree, checked.archive_sha256, &applied, &err);
    if (rc == ALFUP_OK) {
        status = add_outputs(ctx, target, &checked, delta ? &applied : NULL);
        goto out;
    }
    archive_target_discard(ctx, target, created);
    if (rc == ARCHIVE_CANCELLED)
        status = step_fail(ctx, STEP_CANCELLED, "%s: cancelled; %s was emptied again", ctx->step_id, target);
    else
        status = step_fail(ctx, STEP_FAILED, "%s: %s; nothing was left in %s", ctx->step_id, err.msg, target);
out:
    free(archive);
    free(target);
    free(delta);
    return status;
}
