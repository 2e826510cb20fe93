/* layout_util.h -- for the layout steps: checked paths, guarded and cancellable removal. */
#ifndef ALFUP_LAYOUT_UTIL_H
#define ALFUP_LAYOUT_UTIL_H

#include <sys/types.h>

#include "step.h"
#include "tree_remove.h"

/* layout_clear's return when the step was cancelled part way. */
#define LAYOUT_CANCELLED TREE_WALK_CANCELLED

/* The required path parameter key, resolved with path_policy_resolve. Returns
 * a new canonical path (caller frees), or NULL with ctx->result->error set
 * (the step should return STEP_REFUSED). */
char *layout_param_path(step_context_t *ctx, const char *key);

/* base + "/" + suffix, resolved with path_policy_resolve (so a symlink inside
 * base cannot lead outside allowed_roots). New string, or NULL with err. */
char *layout_join_resolve(const agent_config_t *config, const char *base, const char *suffix,
                          alfup_err_t *err);

/* 1 when canonical paths a and b are equal or one lies inside the other. */
int layout_overlaps(const char *a, const char *b);

/* When the optional parameter key (a path of the OLD installation) is given:
 * STEP_REFUSED with ctx->result->error set when it is not absolute or when
 * it overlaps path (canonical) -- the old installation is never modified.
 * Else STEP_SUCCEEDED. The old path need not be inside allowed_roots. */
step_status_t layout_refuse_old(step_context_t *ctx, const char *key, const char *path);

/* ALFUP_ERR with err when path equals or contains the agent's backup_dir or
 * state_dir (either would be destroyed with it), else ALFUP_OK. */
int layout_check_protected(const agent_config_t *config, const char *path, alfup_err_t *err);

/* Removes what is below the canonical path (and path itself when
 * remove_self) with tree_remove: through descriptors, never following a
 * symlink, even one swapped in during the walk or above path; reports files
 * done through ctx->progress and stops between entries when ctx is
 * cancelled. Adds to *stats. Returns ALFUP_OK, LAYOUT_CANCELLED, or
 * ALFUP_ERR with err. A missing path is OK. */
int layout_clear(step_context_t *ctx, const char *path, int remove_self, tree_remove_stats_t *stats,
                 alfup_err_t *err);

/* Copies what in reads (an opened regular file) to name in the folder open
 * as dir_fd, with mode's permission bits only (setuid, setgid and sticky
 * are dropped): durably, through a temporary file created with O_EXCL in
 * dir_fd, fsync, renameat2. replace: an existing name is replaced, else it
 * is an error (EEXIST). shown names the destination in messages. ALFUP_OK,
 * or ALFUP_ERR with err (no temporary file left behind). */
int layout_copy_fd(int in, int dir_fd, const char *name, mode_t mode, int replace,
                   const char *shown, alfup_err_t *err);

/* Copies the regular file at canonical path src to canonical path dst with
 * layout_copy_fd (replacing dst), both opened without following any
 * symlink in their paths (tree_walk_open). ALFUP_OK, or ALFUP_ERR with err. */
int layout_copy_file(const char *src, const char *dst, mode_t mode, alfup_err_t *err);

/* Adds "key=value" to the step's outputs; -1 when out of memory. */
int layout_output(step_context_t *ctx, const char *key, const char *value);

/* Adds files_removed, folders_removed and bytes_removed (from stats) to the
 * step's outputs; -1 when out of memory. */
int layout_output_removed(step_context_t *ctx, const tree_remove_stats_t *stats);

#endif
