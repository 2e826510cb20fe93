/* step_backup_tree.h -- the "backup-tree" step kind. */
#ifndef ALFUP_STEP_BACKUP_TREE_H
#define ALFUP_STEP_BACKUP_TREE_H

#include "step.h"

/* Backs up directory trees to a tar+zstd archive with a sha-256 manifest (docs/steps-archive.md).
 * Parameters and outputs: docs/steps-archive.md. */
step_status_t step_backup_tree_run(step_context_t *ctx);

#endif
