/* step_wipe.h -- the "wipe" step kind: empty a new contentstore or a scratch folder. */
#ifndef ALFUP_STEP_WIPE_H
#define ALFUP_STEP_WIPE_H

#include "step.h"

/* Params: path (the folder to empty; it is kept), old_home (the old
 * installation, which must not overlap path). Refused: path equal to, inside
 * or containing old_home; "/" or outside allowed_roots (after resolving
 * symlinks); path equal to or containing backup_dir or state_dir; path not a
 * folder. Outputs: path, files_removed, folders_removed, bytes_removed. */
step_status_t step_wipe_run(step_context_t *ctx);

#endif
