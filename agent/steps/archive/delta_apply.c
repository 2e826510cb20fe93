/* delta_apply.c -- a delta archive applied to a tree laid from its base (see delta_apply.h). */
#include "delta_apply.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_writer.h"
#include "file_util.h"
#include "folder_beneath.h"
#include "str_list.h"
#include "tree_remove.h"
#include "tree_walk.h"

manifest_t *delta_read_manifest(const char *archive, alfup_err_t *err)
{
    char *path = NULL;
    uint8_t *text = NULL;
    size_t len = 0;
    if (asprintf(&path, "%s%s", archive, ARCHIVE_MANIFEST_SUFFIX) < 0)
        return alfup_err_set(err, "%s: out of memory", archive), NULL;
    manifest_t *manifest = NULL;
    int rc = file_read_all(path, MANIFEST_MAX_BYTES, &text, &len, err);
    if (rc == FILE_MISSING)
        alfup_err_set(err, "manifest %s is missing", path);
    if (rc == ALFUP_OK && (manifest = manifest_parse((const char *)text, len, err)) == NULL)
        alfup_err_prefix(err, "%s", path);
    free(text);
    free(path);
    return manifest;
}

/* "tree/x" -> "x"; other trees and the tree root itself -> NULL. Everything when tree is NULL. */
static const char *selected_rel(const char *path, const char *tree)
{
    if (tree == NULL)
        return path;
    size_t len = strlen(tree);
    return strncmp(path, tree, len) == 0 && path[len] == '/' ? path + len + 1 : NULL;
}

static int compare_desc(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

/* Removes rel below rootfd: a file or symlink, an empty folder, or (when the
 * target holds more than the base had) a folder and its contents. 1 when
 * something was removed, 0 when absent, ALFUP_ERR. */
static int remove_one(int rootfd, const char *target, const char *rel, alfup_err_t *err)
{
    char name[NAME_MAX + 1];
    int parent = folder_beneath_open_parent(rootfd, rel, name);
    if (parent < 0 && (errno == ENOENT || errno == ENOTDIR))
        return 0;
    if (parent < 0)
        return alfup_err_errno(err, errno, "remove %s/%s: its folder", target, rel);
    int rc = 1;
    if (unlinkat(parent, name, 0) != 0) {
        if (errno == ENOENT)
            rc = 0;
        else if (errno != EISDIR)
            rc = alfup_err_errno(err, errno, "remove %s/%s", target, rel);
        else if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", target, rel);
            rc = errno == ENOTEMPTY || errno == EEXIST ? (tree_remove_all(path, NULL, err) == ALFUP_OK ? 1 : ALFUP_ERR)
                                                       : alfup_err_errno(err, errno, "remove folder %s", path);
        }
    }
    close(parent);
    return rc;
}

/* The removed paths of the delta (of the chosen tree), deepest first. */
static int apply_removals(const manifest_t *delta, const char *target, const char *tree, uint64_t *removed,
                          alfup_err_t *err)
{
    str_list_t rels = {0};
    int rc = ALFUP_OK;
    for (size_t i = 0; rc == ALFUP_OK && i < manifest_removed_count(delta); i++) {
        const char *rel = selected_rel(manifest_removed_at(delta, i), tree);
        if (rel != NULL && str_list_add(&rels, rel) != 0)
            rc = alfup_err_set(err, "out of memory");
    }
    if (rels.count > 1)
        qsort(rels.items, rels.count, sizeof *rels.items, compare_desc);
    int rootfd = rc == ALFUP_OK ? tree_walk_open(target, O_DIRECTORY) : -1;
    if (rc == ALFUP_OK && rootfd < 0)
        rc = alfup_err_errno(err, errno, "open %s", target);
    for (size_t i = 0; rc == ALFUP_OK && i < rels.count; i++) {
        int one = remove_one(rootfd, target, rels.items[i], err);
        if (one < 0)
            rc = ALFUP_ERR;
        else
            *removed += (uint64_t)one;
    }
    if (rootfd >= 0)
        close(rootfd);
    str_list_clear(&rels);
    return rc;
}

/* The delta names a base, and the one asked for. */
static int check_chain(const char *delta_path, const manifest_t *delta, const char *base_sha256, alfup_err_t *err)
{
    const char *base = manifest_base(delta);
    if (base == NULL)
        return alfup_err_set(err, "%s is not a delta archive (its manifest names no base)", delta_path);
    if (base_sha256 != NULL && strcmp(base, base_sha256) != 0)
        return alfup_err_set(err, "delta %s applies to the base with sha-256 %s, not to %s", delta_path, base,
                             base_sha256);
    return ALFUP_OK;
}

/* One pass over the delta through the checker, extracting into target. */
static int write_added(const char *delta, const char *target, const char *tree, archive_progress_t *progress,
                       archive_check_result_t *added, alfup_err_t *err)
{
    archive_extract_options_t extract_options = {.keep_owner = 1, .allow_hardlinks = 0};
    archive_extract_t *extract = archive_extract_new(target, &extract_options, err);
    if (extract == NULL)
        return ALFUP_ERR;
    archive_check_options_t options = {.tree = tree, .extract = extract, .tree_may_be_absent = 1};
    int rc = archive_check_run(delta, &options, progress, added, err);
    if (rc == ALFUP_OK)
        rc = archive_extract_close(extract, err);
    archive_extract_destroy(&extract);
    return rc;
}

int delta_apply_run(const char *delta, const char *target, const char *tree, const char *base_sha256,
                    archive_progress_t *progress, delta_apply_result_t *result, alfup_err_t *err)
{
    *result = (delta_apply_result_t){0};
    manifest_t *manifest = delta_read_manifest(delta, err);
    if (manifest == NULL)
        return ALFUP_ERR;
    int rc = check_chain(delta, manifest, base_sha256, err);
    archive_check_options_t check_only = {0};
    archive_check_result_t checked;
    if (rc == ALFUP_OK) /* the whole delta verifies before anything in target is touched */
        rc = archive_check_run(delta, &check_only, progress, &checked, err);
    if (rc == ALFUP_OK)
        rc = apply_removals(manifest, target, tree, &result->removed, err);
    if (rc == ALFUP_OK)
        rc = write_added(delta, target, tree, progress, &result->added, err);
    manifest_destroy(&manifest);
    return rc;
}
