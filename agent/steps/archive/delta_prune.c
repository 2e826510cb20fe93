/* delta_prune.c -- the copy's re-listed folders made to hold no more than the source's (see delta_prune.h). */
#include "delta_prune.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "folder_beneath.h"
#include "folder_names.h"
#include "tree_remove.h"
#include "tree_walk.h"

/* Removes name from the folder fd (at shown): a file or symlink, or a folder with its contents. */
static int remove_entry(int fd, const char *shown, const char *name, alfup_err_t *err)
{
    if (unlinkat(fd, name, 0) == 0 || errno == ENOENT)
        return ALFUP_OK;
    if (errno != EISDIR)
        return alfup_err_errno(err, errno, "remove %s/%s", shown, name);
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", shown, name) >= (int)sizeof path)
        return alfup_err_set(err, "%s/%s: path too long", shown, name);
    return tree_remove_all(path, NULL, err);
}

/* One folder: target's entries that the source's lacks are removed. */
static int prune_folder(int source_root, int target_root, const char *target_shown, const char *rel, uint64_t *pruned,
                        alfup_err_t *err)
{
    int source = folder_beneath_open(source_root, rel), copy = folder_beneath_open(target_root, rel);
    str_list_t have = {0}, extra = {0};
    char shown[PATH_MAX];
    int rc = ALFUP_OK;
    if (snprintf(shown, sizeof shown, "%s%s%s", target_shown, rel[0] ? "/" : "", rel) >= (int)sizeof shown)
        rc = alfup_err_set(err, "%s/%s: path too long", target_shown, rel);
    if (rc == ALFUP_OK && source >= 0 && copy >= 0) {
        rc = folder_names_list(source, rel, &have, err);
        if (rc == ALFUP_OK)
            rc = folder_names_list(copy, shown, &extra, err);
    }
    for (size_t i = 0; rc == ALFUP_OK && i < extra.count; i++) {
        if (str_list_sorted_has(&have, extra.items[i]))
            continue;
        rc = remove_entry(copy, shown, extra.items[i], err);
        *pruned += rc == ALFUP_OK;
    }
    str_list_clear(&have);
    str_list_clear(&extra);
    if (source >= 0)
        close(source);
    if (copy >= 0)
        close(copy);
    return rc;
}

int delta_prune_target(const char *target, const char *root, const char *name, const str_list_t *folders,
                       uint64_t *pruned, alfup_err_t *err)
{
    char target_tree[PATH_MAX];
    if (snprintf(target_tree, sizeof target_tree, "%s/%s", target, name) >= (int)sizeof target_tree)
        return alfup_err_set(err, "%s/%s: path too long", target, name);
    int source_root = tree_walk_open(root, O_DIRECTORY);
    if (source_root < 0)
        return alfup_err_errno(err, errno, "open %s", root);
    int target_root = tree_walk_open(target_tree, O_DIRECTORY);
    int rc = target_root >= 0 ? ALFUP_OK : alfup_err_errno(err, errno, "open %s", target_tree);
    size_t name_len = strlen(name);
    for (size_t i = 0; rc == ALFUP_OK && i < folders->count; i++) {
        const char *folder = folders->items[i];
        const char *rel = folder[name_len] == '/' ? folder + name_len + 1 : "";
        rc = prune_folder(source_root, target_root, target_tree, rel, pruned, err);
    }
    close(source_root);
    if (target_root >= 0)
        close(target_root);
    return rc;
}
