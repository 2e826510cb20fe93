/* step_verify_archive.c -- "verify-archive": every file of ARCHIVE against ARCHIVE.manifest. */
#include "step_verify_archive.h"

#include <stdlib.h>
#include <string.h>

#include "archive_check.h"
#include "archive_params.h"

step_status_t step_verify_archive_run(step_context_t *ctx)
{
    const char *param = step_param_required(ctx, "archive");
    if (param == NULL)
        return STEP_REFUSED;
    const char *expected = kv_list_get(ctx->params, "sha256");
    if (expected != NULL && strlen(expected) != ARCHIVE_DIGEST_HEX_LEN)
        return step_fail(ctx, STEP_REFUSED, "%s: parameter sha256 is not a sha-256 in hex", ctx->step_id);
    char *archive = NULL;
    step_status_t status = step_param_path(ctx, "archive", param, &archive);
    if (status != STEP_SUCCEEDED)
        return status;
    alfup_err_t err = {{0}};
    archive_progress_t progress;
    archive_progress_init(&progress, ctx, "verify");
    archive_check_options_t options = {.expected_sha256 = expected};
    archive_check_result_t checked;
    int rc = archive_check_run(archive, &options, &progress, &checked, &err);
    if (rc == ARCHIVE_CANCELLED)
        status = step_fail(ctx, STEP_CANCELLED, "%s: cancelled", ctx->step_id);
    else if (rc != ALFUP_OK)
        status = step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    else if (kv_list_add(&ctx->result->outputs, "archive", archive) != 0 ||
             kv_list_add(&ctx->result->outputs, "archive_sha256", checked.archive_sha256) != 0 ||
             kv_list_addf(&ctx->result->outputs, "files", "%llu", (unsigned long long)checked.files) != 0 ||
             kv_list_addf(&ctx->result->outputs, "bytes", "%llu", (unsigned long long)checked.bytes) != 0)
        status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    free(archive);
    return status;
}
