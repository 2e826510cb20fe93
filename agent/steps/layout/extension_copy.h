/* extension_copy.h -- copy the extension files the new folder lacks, never overwriting. */
#ifndef ALFUP_EXTENSION_COPY_H
#define ALFUP_EXTENSION_COPY_H

#include "step.h"

#define EXTENSION_COPY_DEPTH 16
#define EXTENSION_COPY_FILES 20000u

/* What a copy did, as paths relative to the folders. */
typedef struct extension_copy_outcome {
    str_list_t copied;      /* files the new folder lacked, now copied (permission bits kept) */
    str_list_t conflicts;   /* files both have with different contents: left alone */
    str_list_t skipped;     /* symlinks and special files: not copied */
} extension_copy_outcome_t;

/* Copies every regular file below src_dir that dst_dir lacks into dst_dir
 * (creating folders with the source's permission bits; setuid, setgid and
 * sticky are dropped), recursively, through tree_walk: every file and
 * folder is opened relative to its folder's descriptor without following a
 * symlink (even one swapped in during the copy), a file is judged by what
 * was opened (fstat), and nothing in dst_dir is replaced (O_EXCL,
 * RENAME_NOREPLACE). src_dir missing copies
 * nothing; dst_dir is created when missing. Both are canonical paths already
 * checked with path_policy. Reports files done through ctx; stops between
 * files when cancelled. Returns ALFUP_OK, LAYOUT_CANCELLED, or ALFUP_ERR with
 * err. The caller clears outcome with extension_copy_outcome_clear. */
int extension_copy(step_context_t *ctx, const char *src_dir, const char *dst_dir,
                   extension_copy_outcome_t *outcome, alfup_err_t *err);

void extension_copy_outcome_clear(extension_copy_outcome_t *outcome);

#endif
