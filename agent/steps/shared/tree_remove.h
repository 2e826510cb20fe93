/* tree_remove.h -- delete a folder's contents or a whole tree without following symlinks. */
#ifndef ALFUP_TREE_REMOVE_H
#define ALFUP_TREE_REMOVE_H

#include <stdint.h>

#include "alfup_error.h"

typedef struct tree_remove_stats {
    uint64_t files;     /* non-folders removed (files, symlinks, others) */
    uint64_t folders;
    uint64_t bytes;     /* sizes of removed regular files */
} tree_remove_stats_t;

/* Removes everything below path, keeping path itself (an emptied folder).
 * Symlinks are removed, never followed; the walk never leaves path's file
 * system. The caller has checked path with path_policy. stats may be NULL.
 * A missing path is not an error. */
int tree_remove_contents(const char *path, tree_remove_stats_t *stats, alfup_err_t *err);

/* Removes path and everything below it. Same rules as tree_remove_contents. */
int tree_remove_all(const char *path, tree_remove_stats_t *stats, alfup_err_t *err);

#define TREE_NOT_EMPTY 0
#define TREE_EMPTY 1
#define TREE_MISSING 2

/* TREE_EMPTY when path is a folder with no entries, TREE_NOT_EMPTY when it has
 * entries, TREE_MISSING when it does not exist, ALFUP_ERR otherwise. */
int tree_is_empty(const char *path, alfup_err_t *err);

#endif
