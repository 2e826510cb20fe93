/* step_rehearsal_tree.h -- the "rehearsal-tree" step kind: the rehearsal's contentstore, hard links where it can. */
#ifndef ALFUP_STEP_REHEARSAL_TREE_H
#define ALFUP_STEP_REHEARSAL_TREE_H

#include "step.h"

/* Params (paths checked against allowed_roots; target must not overlap source or base):
 *   source  the production contentstore (old dir.root/contentstore): walked, read only;
 *   base    the base copy laid into the new dir.root (new dir.root/contentstore): never written;
 *   target  the rehearsal's contentstore (rehearsal dir.root/contentstore): removed when it exists (an
 *           earlier attempt's), then rebuilt.
 * Every regular file of source appears at the same place under target: as a hard link to base's file of
 * that name when base has it with the same size (the files are write-once: the rehearsal repository writes
 * new files, never into these), copied from base when a link is not possible (another file system, EPERM,
 * EMLINK), copied from source when base lacks it (written since the base copy; a file moved away by
 * production's orphan cleaner meanwhile is skipped). The walk enters mount points, as the base copy's
 * does. Folders are created (0750), files copied get 0640. Outputs: target, files_linked, files_copied,
 * bytes_linked, bytes_copied. */
step_status_t step_rehearsal_tree_run(step_context_t *ctx);

#endif
