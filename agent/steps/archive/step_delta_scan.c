/* step_delta_scan.c -- "delta-scan": what changed since an online base, counted (no archive), at idle priority. */
#include "step_delta_scan.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive_check.h"
#include "archive_params.h"
#include "delta_apply.h"
#include "delta_scan.h"
#include "online_priority.h"

#define SCAN_TREES_MAX 16
#define NS_PER_MS 1000000L

typedef struct scan_job {
    char *base;
    char *roots[SCAN_TREES_MAX];
    size_t count;
    manifest_t *base_manifest;
    delta_counts_t counts;
} scan_job_t;

static void job_clear(scan_job_t *job)
{
    free(job->base);
    for (size_t i = 0; i < job->count; i++)
        free(job->roots[i]);
    manifest_destroy(&job->base_manifest);
}

/* The base: an online, full archive with folder states; its digest as expected when base_sha256 is given. */
static step_status_t load_base(step_context_t *ctx, scan_job_t *job)
{
    alfup_err_t err = {{0}};
    char sha256[ARCHIVE_DIGEST_HEX_LEN + 1];
    job->base_manifest = delta_read_manifest(job->base, &err);
    if (job->base_manifest == NULL || archive_check_read_sha256(job->base, sha256, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: base: %s", ctx->step_id, err.msg);
    if (manifest_base(job->base_manifest) != NULL || manifest_folder_count(job->base_manifest) == 0)
        return step_fail(ctx, STEP_REFUSED, "%s: %s is not a full online base (backup-tree with online=true)",
                         ctx->step_id, job->base);
    const char *expected = kv_list_get(ctx->params, "base_sha256");
    if (expected != NULL && strcmp(expected, sha256) != 0)
        return step_fail(ctx, STEP_FAILED, "%s: base %s has sha-256 %s, expected %s", ctx->step_id, job->base, sha256,
                         expected);
    return STEP_SUCCEEDED;
}

/* A tree: an existing folder whose name the base holds as an online copy. */
static step_status_t add_tree(step_context_t *ctx, scan_job_t *job, const char *value)
{
    char *root = NULL;
    step_status_t status = step_param_path(ctx, "tree", value, &root);
    if (status != STEP_SUCCEEDED)
        return status;
    job->roots[job->count++] = root;
    const char *name = strrchr(root, '/') + 1;
    struct stat st;
    if (lstat(root, &st) != 0 || !S_ISDIR(st.st_mode))
        return step_fail(ctx, STEP_REFUSED, "%s: tree %s is not an existing folder", ctx->step_id, root);
    if (manifest_folder_find(job->base_manifest, name) == NULL)
        return step_fail(ctx, STEP_REFUSED, "%s: the base %s has no online copy of tree '%s'", ctx->step_id, job->base,
                         name);
    return STEP_SUCCEEDED;
}

static step_status_t read_params(step_context_t *ctx, scan_job_t *job)
{
    const char *base = step_param_required(ctx, "base");
    if (base == NULL)
        return STEP_REFUSED;
    step_status_t status = step_param_path(ctx, "base", base, &job->base);
    if (status == STEP_SUCCEEDED)
        status = load_base(ctx, job);
    size_t trees = kv_list_count_key(ctx->params, "tree");
    if (status == STEP_SUCCEEDED && (trees == 0 || trees > SCAN_TREES_MAX))
        status = step_fail(ctx, STEP_REFUSED, "%s: give 1 to %d 'tree' parameters", ctx->step_id, SCAN_TREES_MAX);
    for (size_t i = 0; status == STEP_SUCCEEDED && i < trees; i++)
        status = add_tree(ctx, job, kv_list_get_nth(ctx->params, "tree", i));
    return status;
}

static uint64_t mono_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)(now.tv_nsec / NS_PER_MS);
}

static int add_outputs(step_context_t *ctx, const scan_job_t *job, uint64_t elapsed_ms)
{
    kv_list_t *out = &ctx->result->outputs;
    const delta_counts_t *c = &job->counts;
    int rc = 0;
    rc |= kv_list_addf(out, "changed_files", "%llu", (unsigned long long)c->files_added);
    rc |= kv_list_addf(out, "changed_bytes", "%llu", (unsigned long long)c->bytes_added);
    rc |= kv_list_addf(out, "removed", "%llu", (unsigned long long)c->removed);
    rc |= kv_list_addf(out, "folders_relisted", "%llu", (unsigned long long)c->folders_relisted);
    rc |= kv_list_addf(out, "folders_total", "%llu", (unsigned long long)c->folders_total);
    rc |= kv_list_addf(out, "seconds", "%llu.%03llu", (unsigned long long)(elapsed_ms / 1000u),
                       (unsigned long long)(elapsed_ms % 1000u));
    return rc;
}

/* Every tree scanned against the base with no writer: only counted. */
static step_status_t scan_trees(step_context_t *ctx, scan_job_t *job)
{
    uint64_t started = mono_ms();
    archive_progress_t progress;
    archive_progress_init(&progress, ctx, "delta scan");
    alfup_err_t err = {{0}};
    int rc = ALFUP_OK;
    for (size_t i = 0; rc == ALFUP_OK && i < job->count; i++)
        rc = delta_scan_tree(job->base_manifest, job->roots[i], strrchr(job->roots[i], '/') + 1, NULL, &progress,
                             &job->counts, NULL, &ctx->result->log_lines, &err);
    if (rc == ARCHIVE_CANCELLED || step_cancelled(ctx))
        return step_fail(ctx, STEP_CANCELLED, "%s: cancelled", ctx->step_id);
    if (rc != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    archive_progress_tick(&progress, 1);
    if (add_outputs(ctx, job, mono_ms() - started) != 0)
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

step_status_t step_delta_scan_run(step_context_t *ctx)
{
    scan_job_t job = {0};
    step_status_t status = read_params(ctx, &job);
    online_priority_t priority = {0};
    alfup_err_t err = {{0}};
    if (status == STEP_SUCCEEDED && online_priority_enter(&priority, &err) != ALFUP_OK)
        status = step_fail(ctx, STEP_FAILED, "%s: idle priority: %s", ctx->step_id, err.msg);
    if (status == STEP_SUCCEEDED)
        status = scan_trees(ctx, &job);
    if (online_priority_leave(&priority, &err) != ALFUP_OK)
        str_list_addf(&ctx->result->log_lines, "delta scan: %s", err.msg);
    job_clear(&job);
    return status;
}
