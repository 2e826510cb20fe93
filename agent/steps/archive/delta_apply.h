/* delta_apply.h -- apply a delta archive (backup-delta) to a tree laid from its base: check the delta, remove what
 * it records as removed, then write every added entry, checked against its sha-256 while written. */
#ifndef ALFUP_DELTA_APPLY_H
#define ALFUP_DELTA_APPLY_H

#include <stdint.h>

#include "alfup_error.h"
#include "archive_check.h"
#include "archive_progress.h"
#include "manifest.h"

/* Reads and parses ARCHIVE.manifest. A new manifest, or NULL with err. */
manifest_t *delta_read_manifest(const char *archive, alfup_err_t *err);

typedef struct delta_apply_result {
    uint64_t removed;             /* removed paths that were present in target */
    archive_check_result_t added; /* entries written */
} delta_apply_result_t;

/* Applies delta to target (a canonical existing folder holding the trees as
 * NAME/..., or with tree, that one tree's contents). base_sha256 (may be NULL)
 * must be the base the delta names. First the whole delta is checked as
 * verify-archive does; then the removed paths are removed below target
 * (deepest first; never through a symlink: a path whose parent cannot be
 * opened without one is refused; an absent path is fine, so applying twice is
 * harmless); then the added entries are written, replacing what is there.
 * 0, ARCHIVE_CANCELLED or ALFUP_ERR; on failure target is partly applied. */
int delta_apply_run(const char *delta, const char *target, const char *tree, const char *base_sha256,
                    archive_progress_t *progress, delta_apply_result_t *result, alfup_err_t *err);

#endif
