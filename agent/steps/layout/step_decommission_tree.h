/* step_decommission_tree.h -- the "decommission-tree" step kind: remove the old home. */
#ifndef ALFUP_STEP_DECOMMISSION_TREE_H
#define ALFUP_STEP_DECOMMISSION_TREE_H

#include "step.h"

/* Params: old_home. Runs only when ctx->approval is non-empty (the operator
 * approved the gate). Refused: no approval; "/" or outside allowed_roots;
 * old_home equal to or containing backup_dir or state_dir; not a folder.
 * Removes old_home and everything below it (symlinks removed, not followed).
 * Outputs: path, approval, files_removed, folders_removed, bytes_removed. */
step_status_t step_decommission_tree_run(step_context_t *ctx);

#endif
