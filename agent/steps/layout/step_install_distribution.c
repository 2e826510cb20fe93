/* step_install_distribution.c -- "install-distribution": unpack a zip or tar.* into an empty new home. */
#include "step_install_distribution.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "archive_extract.h"
#include "archive_params.h"
#include "archive_path.h"
#include "archive_progress.h"
#include "path_policy.h"

#define INSTALL_READ_BLOCK (1024 * 1024)
#define INSTALL_ENTRIES_MAX 1000000u /* a distribution has tens of thousands at most */

/* What the first pass learnt about the distribution. */
typedef struct dist_scan {
    char *top; /* the single top-level folder to strip, or NULL */
    int mixed; /* entries under more than one top-level name */
    uint64_t entries;
} dist_scan_t;

static struct archive *open_distribution(const char *path, alfup_err_t *err)
{
    struct archive *a = archive_read_new();
    if (a == NULL)
        return alfup_err_set(err, "%s: out of memory", path), NULL;
    archive_read_support_format_all(a);
    archive_read_support_filter_all(a);
    if (archive_read_open_filename(a, path, INSTALL_READ_BLOCK) != ARCHIVE_OK) {
        alfup_err_set(err, "distribution %s: %s", path, archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

/* Records name's first component; notes when two entries disagree. */
static int scan_name(dist_scan_t *scan, const char *name, alfup_err_t *err)
{
    size_t first = strcspn(name, "/");
    if (scan->top == NULL && !scan->mixed) {
        scan->top = strndup(name, first);
        if (scan->top == NULL)
            return alfup_err_set(err, "out of memory");
    } else if (!scan->mixed && (strlen(scan->top) != first || strncmp(scan->top, name, first) != 0)) {
        scan->mixed = 1;
    }
    return ALFUP_OK;
}

/* First pass: every name safe, and is there one top-level folder holding everything? */
static int scan_distribution(const char *path, dist_scan_t *scan, archive_progress_t *progress, alfup_err_t *err)
{
    struct archive *a = open_distribution(path, err);
    if (a == NULL)
        return ALFUP_ERR;
    int rc = ALFUP_OK, top_is_file = 0;
    struct archive_entry *entry;
    int r;
    while (rc == ALFUP_OK && (r = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
        const char *raw = archive_entry_pathname(entry);
        const char *name = raw ? archive_path_skip_dot(raw) : NULL;
        if (name != NULL && name[0] == '\0')
            continue; /* the archive's "./" itself */
        if (name == NULL || !archive_path_is_safe(name))
            rc = alfup_err_set(err, "distribution %s: entry '%s': absolute path, '..' or empty component; refused",
                               path, name ? name : "");
        else if (++scan->entries > INSTALL_ENTRIES_MAX)
            rc = alfup_err_set(err, "distribution %s: more than %u entries", path, INSTALL_ENTRIES_MAX);
        else
            rc = scan_name(scan, name, err);
        if (rc == ALFUP_OK && strchr(name, '/') == NULL && archive_entry_filetype(entry) != AE_IFDIR)
            top_is_file = 1; /* "X" as a file: nothing to strip */
        if (rc == ALFUP_OK && archive_entry_filetype(entry) == AE_IFREG && archive_entry_size_is_set(entry)) {
            progress->counts.files_total++;
            progress->counts.bytes_total += (uint64_t)archive_entry_size(entry);
        }
        if (rc == ALFUP_OK && archive_progress_tick(progress, 0) == ARCHIVE_CANCELLED)
            rc = ARCHIVE_CANCELLED;
    }
    if (rc == ALFUP_OK && r != ARCHIVE_EOF)
        rc = alfup_err_set(err, "distribution %s: %s", path, archive_error_string(a));
    if (rc == ALFUP_OK && (scan->mixed || top_is_file || scan->entries == 0)) {
        free(scan->top);
        scan->top = NULL;
    }
    archive_read_free(a);
    return rc;
}

/* name without the stripped top folder: "" for the folder itself; NULL when
 * name is not under it (the file changed between the two passes). */
static const char *strip_top(const dist_scan_t *scan, const char *name)
{
    if (scan->top == NULL)
        return name;
    size_t len = strlen(scan->top);
    if (strncmp(name, scan->top, len) != 0 || (name[len] != '/' && name[len] != '\0'))
        return NULL;
    return name[len] == '/' ? name + len + 1 : name + len;
}

/* Copies the current entry's data through the extractor. */
static int copy_entry_data(struct archive *a, archive_extract_t *extract, const char *name,
                           archive_progress_t *progress, alfup_err_t *err)
{
    for (;;) {
        const void *block;
        size_t len;
        la_int64_t offset;
        int r = archive_read_data_block(a, &block, &len, &offset);
        if (r == ARCHIVE_EOF)
            return ALFUP_OK;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return alfup_err_set(err, "entry '%s': %s", name, archive_error_string(a));
        if (archive_extract_data(extract, block, len, offset, name, err) != ALFUP_OK)
            return ALFUP_ERR;
        progress->counts.bytes_done += len;
        if (archive_progress_tick(progress, 0) == ARCHIVE_CANCELLED)
            return ARCHIVE_CANCELLED;
    }
}

/* Extracts one entry, re-rooted and stripped. */
static int install_entry(struct archive *a, struct archive_entry *entry, const dist_scan_t *scan,
                         archive_extract_t *extract, archive_progress_t *progress, alfup_err_t *err)
{
    const char *raw = archive_entry_pathname(entry);
    const char *name = raw ? archive_path_skip_dot(raw) : NULL;
    if (name != NULL && name[0] == '\0')
        return ALFUP_OK;
    if (name == NULL || !archive_path_is_safe(name))
        return alfup_err_set(err, "entry '%s': absolute path, '..' or empty component; refused", raw ? raw : "");
    const char *rel = strip_top(scan, name);
    if (rel == NULL)
        return alfup_err_set(err, "entry '%s' is outside '%s': the distribution changed while it was read", name,
                             scan->top);
    if (rel[0] == '\0' || strcmp(rel, "/") == 0)
        return ALFUP_OK;
    const char *link = archive_entry_hardlink(entry);
    const char *link_rel = NULL;
    if (link != NULL) {
        link = archive_path_skip_dot(link);
        if (!archive_path_is_safe(link))
            return alfup_err_set(err, "entry '%s': hardlink to '%s' points outside; refused", name, link);
        link_rel = strip_top(scan, link);
        if (link_rel == NULL)
            return alfup_err_set(err, "entry '%s': hardlink to '%s' points outside '%s'; refused", name, link,
                                 scan->top);
    }
    char *shown = strdup(name); /* the entry's path is rewritten below */
    if (shown == NULL)
        return alfup_err_set(err, "out of memory");
    int rc = archive_extract_header(extract, entry, rel, link_rel, shown, err);
    if (rc == ALFUP_OK && link == NULL && archive_entry_filetype(entry) == AE_IFREG)
        rc = copy_entry_data(a, extract, shown, progress, err);
    if (rc == ALFUP_OK)
        rc = archive_extract_finish_entry(extract, shown, err);
    if (rc == ALFUP_OK && archive_entry_filetype(entry) == AE_IFREG)
        progress->counts.files_done++;
    free(shown);
    return rc;
}

/* Second pass: every entry into target. */
static int install_all(const char *path, const char *target, const dist_scan_t *scan, archive_progress_t *progress,
                       alfup_err_t *err)
{
    archive_extract_options_t options = {.keep_owner = 0, .allow_hardlinks = 1};
    archive_extract_t *extract = archive_extract_new(target, &options, err);
    struct archive *a = extract ? open_distribution(path, err) : NULL;
    int rc = a ? ALFUP_OK : ALFUP_ERR;
    struct archive_entry *entry;
    int r = ARCHIVE_OK;
    while (rc == ALFUP_OK && (r = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
        rc = install_entry(a, entry, scan, extract, progress, err);
        if (rc == ALFUP_OK && archive_progress_tick(progress, 0) == ARCHIVE_CANCELLED)
            rc = ARCHIVE_CANCELLED;
    }
    if (rc == ALFUP_OK && r != ARCHIVE_EOF)
        rc = alfup_err_set(err, "%s", archive_error_string(a));
    if (rc == ALFUP_OK)
        rc = archive_extract_close(extract, err);
    if (rc == ALFUP_OK && archive_extract_report(extract, progress->ctx) != 0)
        rc = alfup_err_set(err, "out of memory");
    if (rc != ALFUP_OK && rc != ARCHIVE_CANCELLED)
        alfup_err_prefix(err, "distribution %s", path);
    if (a != NULL)
        archive_read_free(a);
    archive_extract_destroy(&extract);
    return rc;
}

/* Resolves the three paths and refuses an overlap with the old installation. */
static step_status_t read_paths(step_context_t *ctx, char **dist, char **target, char **old_home)
{
    const char *dist_param = step_param_required(ctx, "distribution");
    const char *target_param = dist_param ? step_param_required(ctx, "target") : NULL;
    const char *old_param = target_param ? step_param_required(ctx, "old_home") : NULL;
    if (old_param == NULL)
        return STEP_REFUSED;
    step_status_t status = step_param_path(ctx, "distribution", dist_param, dist);
    if (status == STEP_SUCCEEDED)
        status = step_param_path(ctx, "target", target_param, target);
    if (status == STEP_SUCCEEDED)
        status = step_param_path(ctx, "old_home", old_param, old_home);
    if (status != STEP_SUCCEEDED)
        return status;
    if (path_is_within(*target, *old_home) || path_is_within(*old_home, *target))
        return step_fail(ctx, STEP_REFUSED, "%s: target %s overlaps the old installation %s", ctx->step_id, *target,
                         *old_home);
    if (path_is_within(*dist, *target))
        return step_fail(ctx, STEP_REFUSED, "%s: distribution %s lies inside target %s", ctx->step_id, *dist, *target);
    return STEP_SUCCEEDED;
}

step_status_t step_install_distribution_run(step_context_t *ctx)
{
    char *dist = NULL, *target = NULL, *old_home = NULL;
    dist_scan_t scan = {0};
    int created = 0;
    alfup_err_t err = {{0}};
    archive_progress_t progress;
    archive_progress_init(&progress, ctx, "install");
    step_status_t status = read_paths(ctx, &dist, &target, &old_home);
    if (status != STEP_SUCCEEDED)
        goto out;
    int rc = scan_distribution(dist, &scan, &progress, &err);
    if (rc == ARCHIVE_CANCELLED) {
        status = step_fail(ctx, STEP_CANCELLED, "%s: cancelled", ctx->step_id);
        goto out;
    }
    if (rc != ALFUP_OK) {
        status = step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
        goto out;
    }
    if ((status = archive_target_prepare(ctx, target, &created)) != STEP_SUCCEEDED)
        goto out;
    rc = install_all(dist, target, &scan, &progress, &err);
    if (rc != ALFUP_OK) {
        archive_target_discard(ctx, target, created);
        status = rc == ARCHIVE_CANCELLED
                     ? step_fail(ctx, STEP_CANCELLED, "%s: cancelled; %s emptied", ctx->step_id, target)
                     : step_fail(ctx, STEP_FAILED, "%s: %s; nothing was left in %s", ctx->step_id, err.msg, target);
        goto out;
    }
    archive_progress_tick(&progress, 1);
    if (kv_list_add(&ctx->result->outputs, "target", target) != 0 ||
        kv_list_add(&ctx->result->outputs, "stripped", scan.top ? scan.top : "") != 0 ||
        kv_list_addf(&ctx->result->outputs, "files", "%llu", (unsigned long long)progress.counts.files_done) != 0)
        status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
out:
    free(scan.top);
    free(dist);
    free(target);
    free(old_home);
    return status;
}
