/* step_backup_delta.c -- "backup-delta": the files added, moved or removed since an online base, as a delta archive
 * chained to it, optionally applied to the copy laid from the base. */
#include "step_backup_delta.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive_check.h"
#include "archive_files.h"
#include "archive_params.h"
#include "archive_path.h"
#include "archive_writer.h"
#include "delta_apply.h"
#include "delta_prune.h"
#include "delta_scan.h"
#include "file_util.h"
#include "path_policy.h"

#define DELTA_TREES_MAX 16

typedef struct delta_job {
    char *base, *archive, *target; /* target may be NULL */
    char *roots[DELTA_TREES_MAX];
    const char *names[DELTA_TREES_MAX]; /* point into roots */
    size_t count;
    manifest_t *base_manifest;
    char base_sha256[ARCHIVE_DIGEST_HEX_LEN + 1];
    char archive_sha256[ARCHIVE_DIGEST_HEX_LEN + 1];
    archive_writer_options_t options;
    delta_counts_t counts;
    str_list_t relisted[DELTA_TREES_MAX]; /* per tree: the folders the scan listed */
    uint64_t pruned;
    delta_apply_result_t applied;
    int recovered;
} delta_job_t;

static void job_clear(delta_job_t *job)
{
    free(job->base);
    free(job->archive);
    free(job->target);
    for (size_t i = 0; i < job->count; i++) {
        free(job->roots[i]);
        str_list_clear(&job->relisted[i]);
    }
    manifest_destroy(&job->base_manifest);
}

/* A tree: an existing folder the base holds under the same name, not holding the archive or the target. */
static step_status_t add_tree_param(step_context_t *ctx, delta_job_t *job, const char *value)
{
    char *root = NULL;
    step_status_t status = step_param_path(ctx, "tree", value, &root);
    if (status != STEP_SUCCEEDED)
        return status;
    job->roots[job->count] = root;
    const char *name = strrchr(root, '/') + 1;
    job->names[job->count++] = name;
    struct stat st;
    if (lstat(root, &st) != 0 || !S_ISDIR(st.st_mode))
        return step_fail(ctx, STEP_REFUSED, "%s: tree %s is not an existing folder", ctx->step_id, root);
    manifest_entry_t *in_base = manifest_find(job->base_manifest, name);
    if (in_base == NULL || in_base->type != MANIFEST_DIR || manifest_folder_find(job->base_manifest, name) == NULL)
        return step_fail(ctx, STEP_REFUSED, "%s: the base %s has no online copy of tree '%s'", ctx->step_id, job->base,
                         name);
    for (size_t i = 0; i + 1 < job->count; i++)
        if (strcmp(job->names[i], name) == 0)
            return step_fail(ctx, STEP_REFUSED, "%s: trees %s and %s have the same name", ctx->step_id, job->roots[i],
                             root);
    if (path_is_within(job->archive, root) ||
        (job->target != NULL && (path_is_within(job->target, root) || path_is_within(root, job->target))))
        return step_fail(ctx, STEP_REFUSED, "%s: the delta archive or the target would overlap tree %s", ctx->step_id,
                         root);
    return STEP_SUCCEEDED;
}

/* The base: an online, full (not delta) archive; its digest from BASE.sha256, as the caller expects. */
static step_status_t load_base(step_context_t *ctx, delta_job_t *job)
{
    alfup_err_t err = {{0}};
    job->base_manifest = delta_read_manifest(job->base, &err);
    if (job->base_manifest == NULL || archive_check_read_sha256(job->base, job->base_sha256, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: base: %s", ctx->step_id, err.msg);
    if (manifest_base(job->base_manifest) != NULL)
        return step_fail(ctx, STEP_REFUSED,
                         "%s: %s is itself a delta; a delta is taken against a full online base only", ctx->step_id,
                         job->base);
    if (manifest_folder_count(job->base_manifest) == 0)
        return step_fail(ctx, STEP_REFUSED, "%s: %s records no folder states: back it up with online=true",
                         ctx->step_id, job->base);
    const char *expected = kv_list_get(ctx->params, "base_sha256");
    if (expected != NULL && strcmp(expected, job->base_sha256) != 0)
        return step_fail(ctx, STEP_FAILED, "%s: base %s has sha-256 %s, expected %s", ctx->step_id, job->base,
                         job->base_sha256, expected);
    return STEP_SUCCEEDED;
}

static step_status_t read_params(step_context_t *ctx, delta_job_t *job)
{
    const char *base = step_param_required(ctx, "base");
    const char *archive = base ? step_param_required(ctx, "archive") : NULL;
    if (archive == NULL)
        return STEP_REFUSED;
    const char *target = kv_list_get(ctx->params, "target");
    step_status_t status = step_param_path(ctx, "base", base, &job->base);
    if (status == STEP_SUCCEEDED)
        status = step_param_backup_path(ctx, "archive", archive, &job->archive);
    if (status == STEP_SUCCEEDED && target != NULL)
        status = step_param_path(ctx, "target", target, &job->target);
    if (status == STEP_SUCCEEDED && strcmp(job->base, job->archive) == 0)
        status = step_fail(ctx, STEP_REFUSED, "%s: the delta archive cannot be the base", ctx->step_id);
    if (status == STEP_SUCCEEDED)
        status = load_base(ctx, job);
    size_t trees = kv_list_count_key(ctx->params, "tree");
    if (status == STEP_SUCCEEDED && (trees == 0 || trees > DELTA_TREES_MAX))
        status = step_fail(ctx, STEP_REFUSED, "%s: give 1 to %d 'tree' parameters", ctx->step_id, DELTA_TREES_MAX);
    for (size_t i = 0; status == STEP_SUCCEEDED && i < trees; i++)
        status = add_tree_param(ctx, job, kv_list_get_nth(ctx->params, "tree", i));
    if (status == STEP_SUCCEEDED &&
        (archive_param_int(ctx, "zstd_level", ARCHIVE_ZSTD_LEVEL_DEFAULT, 1, ARCHIVE_ZSTD_LEVEL_MAX,
                           &job->options.zstd_level) != 0 ||
         archive_param_int(ctx, "threads", 0, 0, ARCHIVE_THREADS_MAX, &job->options.threads) != 0))
        status = STEP_REFUSED;
    return status;
}

/* Scans every tree into the delta archive and finishes it. */
static int write_delta(step_context_t *ctx, delta_job_t *job, archive_progress_t *progress, alfup_err_t *err)
{
    char *parent = strdup(job->archive);
    int rc = parent ? file_mkdir_p(dirname(parent), 0700, err) : alfup_err_set(err, "out of memory");
    free(parent);
    archive_writer_t *writer = NULL;
    if (rc == ALFUP_OK) {
        writer = archive_writer_new(job->archive, &job->options, progress, &ctx->result->log_lines, err);
        rc = writer ? ALFUP_OK : ALFUP_ERR;
    }
    if (rc == ALFUP_OK)
        rc = archive_writer_set_base(writer, job->base_sha256, err);
    for (size_t i = 0; rc == ALFUP_OK && i < job->count; i++)
        rc = delta_scan_tree(job->base_manifest, job->roots[i], job->names[i], writer, progress, &job->counts,
                             &job->relisted[i], &ctx->result->log_lines, err);
    if (rc == ALFUP_OK)
        rc = archive_writer_finish(writer, job->archive_sha256, err);
    archive_writer_destroy(&writer); /* removes the temporary file unless finished */
    return rc;
}

/* After an agent restart (ctx->interrupted): the attempt's temporary files are
 * removed; a complete delta archive of this base is kept (and applied again:
 * applying is idempotent); anything else of the attempt is removed, so the
 * delta is written again. 1 when kept, 0 when it is to be written, -1 on failure. */
static int recover_delta(step_context_t *ctx, delta_job_t *job, archive_progress_t *progress)
{
    size_t removed = 0;
    alfup_err_t err = {{0}};
    if (archive_files_remove_stale_temps(job->archive, &removed, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg), -1;
    if (removed > 0)
        str_list_addf(&ctx->result->log_lines, "removed %zu temporary file(s) of the interrupted attempt", removed);
    struct stat st;
    if (lstat(job->archive, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    archive_check_options_t options = {0};
    archive_check_result_t checked;
    manifest_t *kept = delta_read_manifest(job->archive, &err);
    int complete = kept != NULL && manifest_base(kept) != NULL && strcmp(manifest_base(kept), job->base_sha256) == 0 &&
                   archive_check_run(job->archive, &options, progress, &checked, &err) == ALFUP_OK;
    manifest_destroy(&kept);
    if (complete) {
        memcpy(job->archive_sha256, checked.archive_sha256, sizeof job->archive_sha256);
        job->counts.files_added = checked.files;
        job->counts.bytes_added = checked.bytes;
        str_list_addf(&ctx->result->log_lines, "%s was complete before the agent restarted: verified, kept",
                      job->archive);
        return 1;
    }
    str_list_addf(&ctx->result->log_lines, "%s from before the agent restarted is incomplete (%s): written again",
                  job->archive, err.msg);
    archive_files_unlink(job->archive);
    return 0;
}

static int add_outputs(step_context_t *ctx, const delta_job_t *job, double seconds)
{
    kv_list_t *out = &ctx->result->outputs;
    const delta_counts_t *c = &job->counts;
    int rc = 0;
    rc |= kv_list_add(out, "archive", job->archive);
    rc |= kv_list_addf(out, "manifest", "%s%s", job->archive, ARCHIVE_MANIFEST_SUFFIX);
    rc |= kv_list_addf(out, "sha256_file", "%s%s", job->archive, ARCHIVE_SHA256_SUFFIX);
    rc |= kv_list_add(out, "archive_sha256", job->archive_sha256);
    rc |= kv_list_add(out, "base_sha256", job->base_sha256);
    rc |= kv_list_addf(out, "files_added", "%llu", (unsigned long long)c->files_added);
    rc |= kv_list_addf(out, "bytes_added", "%llu", (unsigned long long)c->bytes_added);
    if (!job->recovered) {
        rc |= kv_list_addf(out, "files_removed", "%llu", (unsigned long long)c->removed);
        rc |= kv_list_addf(out, "folders_relisted", "%llu", (unsigned long long)c->folders_relisted);
        rc |= kv_list_addf(out, "folders_total", "%llu", (unsigned long long)c->folders_total);
    }
    if (job->target != NULL) {
        rc |= kv_list_add(out, "target", job->target);
        rc |= kv_list_addf(out, "target_removed", "%llu", (unsigned long long)job->applied.removed);
        rc |= kv_list_addf(out, "target_files_written", "%llu", (unsigned long long)job->applied.added.files);
        rc |= kv_list_addf(out, "target_pruned", "%llu", (unsigned long long)job->pruned);
    }
    rc |= kv_list_addf(out, "seconds", "%.3f", seconds);
    if (job->recovered)
        rc |= kv_list_add(out, "recovered", "yes");
    return rc;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Writes (or recovers) the delta, then applies it to target when given. */
static step_status_t run_job(step_context_t *ctx, delta_job_t *job)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    archive_progress_t progress;
    archive_progress_init(&progress, ctx, "delta");
    alfup_err_t err = {{0}};
    int rc = ALFUP_OK;
    if (ctx->interrupted) {
        int kept = recover_delta(ctx, job, &progress);
        if (kept < 0)
            return STEP_FAILED;
        job->recovered = kept;
    }
    if (!job->recovered)
        rc = write_delta(ctx, job, &progress, &err);
    if (rc == ALFUP_OK && job->target != NULL)
        rc = delta_apply_run(job->archive, job->target, NULL, job->base_sha256, &progress, &job->applied, &err);
    for (size_t i = 0; rc == ALFUP_OK && job->target != NULL && i < job->count; i++)
        rc = delta_prune_target(job->target, job->roots[i], job->names[i], &job->relisted[i], &job->pruned, &err);
    if (rc == ALFUP_OK && job->target != NULL)
        rc = archive_target_sync(job->target, &err);
    if (rc == ARCHIVE_CANCELLED)
        return step_fail(ctx, STEP_CANCELLED, "%s: cancelled", ctx->step_id);
    if (rc != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    archive_progress_tick(&progress, 1);
    if (add_outputs(ctx, job, seconds_since(&start)) != 0)
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

step_status_t step_backup_delta_run(step_context_t *ctx)
{
    delta_job_t job = {0};
    step_status_t status = read_params(ctx, &job);
    if (status == STEP_SUCCEEDED)
        status = run_job(ctx, &job);
    job_clear(&job);
    return status;
}
