/* step_backup_tree.c -- "backup-tree": directory trees to ARCHIVE (tar pax + zstd) and ARCHIVE.manifest. */
#include "step_backup_tree.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_check.h"
#include "archive_files.h"
#include "archive_params.h"
#include "archive_path.h"
#include "archive_writer.h"
#include "file_util.h"
#include "online_priority.h"
#include "online_state.h"
#include "path_policy.h"

#define BACKUP_TREES_MAX 16
#define BACKUP_MAX_MB_PER_S 100000
#define BACKUP_SETTLE_S_MAX 86400
#define BYTES_PER_MB (1024u * 1024u)

typedef struct backup_job {
    char *archive;
    char *roots[BACKUP_TREES_MAX];
    const char *names[BACKUP_TREES_MAX]; /* point into roots */
    archive_tree_stats_t stats[BACKUP_TREES_MAX];
    size_t count;
    archive_writer_options_t options;
    archive_online_counts_t online_counts;
} backup_job_t;

static void job_clear(backup_job_t *job)
{
    free(job->archive);
    for (size_t i = 0; i < job->count; i++)
        free(job->roots[i]);
}

/* Resolves and checks the i-th "tree" parameter. */
static step_status_t add_tree_param(step_context_t *ctx, backup_job_t *job, const char *value)
{
    char *root = NULL;
    step_status_t status = step_param_path(ctx, "tree", value, &root);
    if (status != STEP_SUCCEEDED)
        return status;
    job->roots[job->count] = root;
    const char *name = strrchr(root, '/') + 1; /* canonical and not "/": there is a name */
    job->names[job->count] = name;
    job->count++;
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
        return step_fail(ctx, STEP_REFUSED, "%s: tree %s is not an existing folder", ctx->step_id, root);
    if (!archive_path_is_safe(name) || strcmp(name, ".alfup") == 0)
        return step_fail(ctx, STEP_REFUSED, "%s: tree %s: its name cannot be used in an archive", ctx->step_id, root);
    for (size_t i = 0; i + 1 < job->count; i++)
        if (strcmp(job->names[i], name) == 0)
            return step_fail(ctx, STEP_REFUSED, "%s: trees %s and %s have the same name", ctx->step_id, job->roots[i],
                             root);
    if (path_is_within(job->archive, root))
        return step_fail(ctx, STEP_REFUSED, "%s: archive %s would lie inside tree %s", ctx->step_id, job->archive,
                         root);
    return STEP_SUCCEEDED;
}

static step_status_t read_params(step_context_t *ctx, backup_job_t *job)
{
    const char *archive = step_param_required(ctx, "archive");
    if (archive == NULL)
        return STEP_REFUSED;
    step_status_t status = step_param_backup_path(ctx, "archive", archive, &job->archive);
    if (status != STEP_SUCCEEDED)
        return status;
    size_t trees = kv_list_count_key(ctx->params, "tree");
    if (trees == 0 || trees > BACKUP_TREES_MAX)
        return step_fail(ctx, STEP_REFUSED, "%s: give 1 to %d 'tree' parameters", ctx->step_id, BACKUP_TREES_MAX);
    for (size_t i = 0; i < trees; i++) {
        status = add_tree_param(ctx, job, kv_list_get_nth(ctx->params, "tree", i));
        if (status != STEP_SUCCEEDED)
            return status;
    }
    if (archive_param_int(ctx, "zstd_level", ARCHIVE_ZSTD_LEVEL_DEFAULT, 1, ARCHIVE_ZSTD_LEVEL_MAX,
                          &job->options.zstd_level) != 0 ||
        archive_param_int(ctx, "threads", 0, 0, ARCHIVE_THREADS_MAX, &job->options.threads) != 0)
        return STEP_REFUSED;
    int max_mb_per_s = 0, settle_s = 0;
    if (archive_param_bool(ctx, "online", 0, &job->options.online) != 0 ||
        archive_param_int(ctx, "max_mb_per_s", 0, 0, BACKUP_MAX_MB_PER_S, &max_mb_per_s) != 0 ||
        archive_param_int(ctx, "settle_s", ONLINE_SETTLE_S_DEFAULT, ONLINE_RACY_MARGIN_S, BACKUP_SETTLE_S_MAX,
                          &settle_s) != 0)
        return STEP_REFUSED;
    if (!job->options.online && (kv_list_get(ctx->params, "max_mb_per_s") || kv_list_get(ctx->params, "settle_s")))
        return step_fail(ctx, STEP_REFUSED, "%s: max_mb_per_s and settle_s apply to online backups only", ctx->step_id);
    job->options.max_bytes_per_s = (uint64_t)max_mb_per_s * BYTES_PER_MB;
    job->options.settle_s = (unsigned)settle_s;
    return STEP_SUCCEEDED;
}

static int add_outputs(step_context_t *ctx, const backup_job_t *job, const char *sha256)
{
    kv_list_t *out = &ctx->result->outputs;
    uint64_t files = 0, bytes = 0;
    int rc = 0;
    for (size_t i = 0; i < job->count; i++) {
        files += job->stats[i].files;
        bytes += job->stats[i].bytes;
        rc |= kv_list_add(out, "tree", job->names[i]);
        rc |= kv_list_addf(out, "tree_files", "%s=%llu", job->names[i], (unsigned long long)job->stats[i].files);
        rc |= kv_list_addf(out, "tree_bytes", "%s=%llu", job->names[i], (unsigned long long)job->stats[i].bytes);
    }
    rc |= kv_list_add(out, "archive", job->archive);
    rc |= kv_list_addf(out, "manifest", "%s%s", job->archive, ARCHIVE_MANIFEST_SUFFIX);
    rc |= kv_list_addf(out, "sha256_file", "%s%s", job->archive, ARCHIVE_SHA256_SUFFIX);
    rc |= kv_list_add(out, "archive_sha256", sha256);
    rc |= kv_list_addf(out, "files", "%llu", (unsigned long long)files);
    rc |= kv_list_addf(out, "bytes", "%llu", (unsigned long long)bytes);
    if (job->options.online) {
        const archive_online_counts_t *c = &job->online_counts;
        rc |= kv_list_add(out, "online", "yes");
        rc |= kv_list_addf(out, "folders", "%llu", (unsigned long long)c->folders);
        rc |= kv_list_addf(out, "folders_dirty", "%llu", (unsigned long long)c->folders_dirty);
        rc |= kv_list_addf(out, "files_left_out", "%llu", (unsigned long long)c->left_out);
        rc |= kv_list_addf(out, "files_untrusted", "%llu", (unsigned long long)c->untrusted);
        rc |= kv_list_addf(out, "files_recent", "%llu", (unsigned long long)c->recent);
    }
    return rc;
}

/* Scans for totals, writes every tree, finishes the archive. */
static step_status_t write_archive(step_context_t *ctx, backup_job_t *job)
{
    alfup_err_t err = {{0}};
    archive_progress_t progress;
    archive_progress_init(&progress, ctx, "backup");
    int rc = ALFUP_OK;
    for (size_t i = 0; rc == ALFUP_OK && i < job->count; i++)
        rc = archive_tree_scan(job->roots[i], job->options.online, &progress, &err);
    archive_progress_tick(&progress, 1);
    char *parent = strdup(job->archive);
    if (rc == ALFUP_OK && (parent == NULL || file_mkdir_p(dirname(parent), 0700, &err) != ALFUP_OK))
        rc = parent ? ALFUP_ERR : alfup_err_set(&err, "out of memory");
    free(parent);
    archive_writer_t *writer = NULL;
    if (rc == ALFUP_OK) {
        writer = archive_writer_new(job->archive, &job->options, &progress, &ctx->result->log_lines, &err);
        rc = writer ? ALFUP_OK : ALFUP_ERR;
    }
    for (size_t i = 0; rc == ALFUP_OK && i < job->count; i++)
        rc = archive_writer_add_tree(writer, job->roots[i], job->names[i], &job->stats[i], &err);
    char sha256[ARCHIVE_DIGEST_HEX_LEN + 1] = "";
    if (rc == ALFUP_OK)
        rc = archive_writer_finish(writer, sha256, &err);
    if (rc == ALFUP_OK)
        archive_writer_online_counts(writer, &job->online_counts);
    archive_writer_destroy(&writer); /* removes the temporary file unless finished */
    if (rc == ARCHIVE_CANCELLED)
        return step_fail(ctx, STEP_CANCELLED, "%s: cancelled; no archive was left", ctx->step_id);
    if (rc != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    archive_progress_tick(&progress, 1);
    if (add_outputs(ctx, job, sha256) != 0)
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

/* The same step ran before the agent restarted and may have finished its archive
 * without recording the result. A complete archive (it verifies against its
 * manifest and digest) is kept: RECOVERED. Anything else of that attempt is
 * removed -- it is this step's own output -- so the archive is written again. */
#define RECOVERED 1

/* The temporary files the cut-off attempt was writing (ARCHIVE.tmp.*, and the
 * manifest's and digest's) are its own: removed, so they hold no space. */
static int remove_attempt_temps(step_context_t *ctx, const backup_job_t *job)
{
    size_t removed = 0;
    alfup_err_t err = {{0}};
    if (archive_files_remove_stale_temps(job->archive, &removed, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg), -1;
    if (removed > 0)
        str_list_addf(&ctx->result->log_lines, "removed %zu temporary file(s) of the interrupted attempt beside %s",
                      removed, job->archive);
    return 0;
}

static int recover_archive(step_context_t *ctx, backup_job_t *job)
{
    struct stat st;
    if (!ctx->interrupted)
        return 0;
    if (remove_attempt_temps(ctx, job) != 0)
        return -1;
    if (lstat(job->archive, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    archive_progress_t progress;
    archive_progress_init(&progress, ctx, "verify the archive of the interrupted attempt");
    archive_check_options_t options = {0};
    archive_check_result_t checked;
    alfup_err_t err = {{0}};
    if (archive_check_run(job->archive, &options, &progress, &checked, &err) == ALFUP_OK) {
        str_list_addf(&ctx->result->log_lines, "%s was complete before the agent restarted: verified, kept",
                      job->archive);
        kv_list_t *out = &ctx->result->outputs;
        int rc = 0;
        for (size_t i = 0; i < job->count; i++)
            rc |= kv_list_add(out, "tree", job->names[i]);
        rc |= kv_list_add(out, "archive", job->archive);
        rc |= kv_list_addf(out, "manifest", "%s%s", job->archive, ARCHIVE_MANIFEST_SUFFIX);
        rc |= kv_list_addf(out, "sha256_file", "%s%s", job->archive, ARCHIVE_SHA256_SUFFIX);
        rc |= kv_list_add(out, "archive_sha256", checked.archive_sha256);
        rc |= kv_list_addf(out, "files", "%llu", (unsigned long long)checked.files);
        rc |= kv_list_addf(out, "bytes", "%llu", (unsigned long long)checked.bytes);
        rc |= kv_list_add(out, "recovered", "yes");
        if (rc)
            return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id), -1;
        return RECOVERED;
    }
    str_list_addf(&ctx->result->log_lines, "%s from before the agent restarted is incomplete (%s): written again",
                  job->archive, err.msg);
    archive_files_unlink(job->archive);
    return 0;
}

/* Online: the step's thread (and the zstd workers it starts) run at idle I/O
 * priority and the lowest CPU priority, so production keeps the machine. */
static step_status_t enter_online_priority(step_context_t *ctx, online_priority_t *priority)
{
    alfup_err_t err = {{0}};
    if (online_priority_enter(priority, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: online backup: %s", ctx->step_id, err.msg);
    str_list_addf(&ctx->result->log_lines, "online backup: idle I/O class and nice %d for this step", ONLINE_NICE);
    return STEP_SUCCEEDED;
}

static void leave_online_priority(step_context_t *ctx, online_priority_t *priority)
{
    alfup_err_t err = {{0}};
    if (online_priority_leave(priority, &err) != ALFUP_OK)
        str_list_addf(&ctx->result->log_lines, "online backup: %s", err.msg);
}

step_status_t step_backup_tree_run(step_context_t *ctx)
{
    backup_job_t job = {0};
    online_priority_t priority = {0};
    step_status_t status = read_params(ctx, &job);
    if (status == STEP_SUCCEEDED && job.options.online)
        status = enter_online_priority(ctx, &priority);
    if (status == STEP_SUCCEEDED) {
        int recovered = recover_archive(ctx, &job);
        if (recovered < 0)
            status = STEP_FAILED; /* recover_archive set the error */
        else if (recovered != RECOVERED)
            status = write_archive(ctx, &job);
    }
    leave_online_priority(ctx, &priority);
    job_clear(&job);
    return status;
}
