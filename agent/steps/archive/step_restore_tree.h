/* step_restore_tree.h -- the "restore-tree" step kind. */
#ifndef ALFUP_STEP_RESTORE_TREE_H
#define ALFUP_STEP_RESTORE_TREE_H

#include "step.h"

/* Restores an archive (or one tree of it) into an empty or absent folder, checking every file.
 * Parameters and outputs: docs/steps-archive.md. */
step_status_t step_restore_tree_run(step_context_t *ctx);

#endif
