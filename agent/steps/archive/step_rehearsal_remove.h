/* step_rehearsal_remove.h -- the "rehearsal-remove" step kind: the rehearsal's dir.root removed after it. */
#ifndef ALFUP_STEP_REHEARSAL_REMOVE_H
#define ALFUP_STEP_REHEARSAL_REMOVE_H

#include "step.h"

/* Params: path (the rehearsal's dir.root), keep (repeatable: the old and new dir.root, homes... that path
 * must not overlap). Removes path and everything below it through the tree walker (symlinks removed, never
 * followed); a missing path is done already. Refused: path outside allowed_roots, overlapping a keep path,
 * backup_dir or state_dir. Outputs: path, files_removed, folders_removed, bytes_removed. */
step_status_t step_rehearsal_remove_run(step_context_t *ctx);

#endif
