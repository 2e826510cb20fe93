/* step_backup_delta.h -- the "backup-delta" step kind. */
#ifndef ALFUP_STEP_BACKUP_DELTA_H
#define ALFUP_STEP_BACKUP_DELTA_H

#include "step.h"

/* Writes what changed in the trees since an online base (backup-tree with
 * online=true) to a delta archive chained to the base, and optionally applies
 * it to a tree laid from the base. Parameters and outputs: docs/steps-archive.md. */
step_status_t step_backup_delta_run(step_context_t *ctx);

#endif
