/* tree_remove.h -- delete a folder's contents or a whole tree without following symlinks. */
#ifndef ALFUP_TREE_REMOVE_H
#define ALFUP_TREE_REMOVE_H

#include "alfup_error.h"
#include "step.h"
#include "tree_walk.h"

/* files: non-folders removed (files, symlinks, others); bytes: sizes of removed regular files. */
typedef tree_walk_stats_t tree_remove_stats_t;

/* Every path below is canonical (path_policy_resolve or realpath). It is
 * opened one component at a time without following symlinks (tree_walk_open)
 * and everything below it is removed through descriptors (tree_walk): a
 * symlink is removed, never followed, whenever it is swapped in; the walk
 * never leaves path's file system. stats may be NULL; counts are added. */

/* Removes what is below path (and path itself when remove_self), reporting
 * through ctx (progress, "removing") and stopping between entries when ctx
 * is cancelled (ctx may be NULL). Returns ALFUP_OK, TREE_WALK_CANCELLED, or
 * ALFUP_ERR with err. A missing path is not an error; a path that is not a
 * folder is removed when remove_self, an error otherwise. */
int tree_remove(step_context_t *ctx, const char *path, int remove_self, tree_remove_stats_t *stats,
                alfup_err_t *err);

/* Removes everything below path, keeping path itself (an emptied folder). */
int tree_remove_contents(const char *path, tree_remove_stats_t *stats, alfup_err_t *err);

/* Removes path and everything below it. */
int tree_remove_all(const char *path, tree_remove_stats_t *stats, alfup_err_t *err);

#define TREE_NOT_EMPTY 0
#define TREE_EMPTY 1
#define TREE_MISSING 2

/* TREE_EMPTY when path is a folder with no entries, TREE_NOT_EMPTY when it has
 * entries, TREE_MISSING when it does not exist, ALFUP_ERR otherwise. */
int tree_is_empty(const char *path, alfup_err_t *err);

#endif
