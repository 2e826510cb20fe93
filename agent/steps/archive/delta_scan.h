/* delta_scan.h -- what changed in a tree since an online base: re-lists only the folders whose identity or change
 * times differ from the base manifest's record (or that it marked dirty), and new folders found there, writing
 * every added entry and every removed path to a delta archive. */
#ifndef ALFUP_DELTA_SCAN_H
#define ALFUP_DELTA_SCAN_H

#include <stdint.h>

#include "alfup_error.h"
#include "archive_progress.h"
#include "archive_writer.h"
#include "manifest.h"
#include "str_list.h"

typedef struct delta_counts {
    uint64_t files_added, bytes_added; /* regular files written to the delta */
    uint64_t others_added;             /* folders and symlinks written */
    uint64_t removed;                  /* paths recorded as removed (files, folders, symlinks) */
    uint64_t folders_total;            /* folder states of the tree in the base */
    uint64_t folders_relisted;         /* folders read again (changed, dirty, or new) */
} delta_counts_t;

/* Compares the tree at root (canonical folder, stored as "name/...") with the
 * base manifest (version 2, with folder states), and writes to writer every
 * entry that is new or differs (a file of another size or mode, an untrusted
 * one, another symlink target, a new folder and all below it, a folder whose
 * mode changed) and every base path that is gone or changed type (with all
 * base entries below a gone folder). Every base folder is checked with one
 * fstat; only the ones that differ are listed. Never follows a symlink inside
 * the tree. writer NULL: nothing is read or written, the changes are only
 * counted (the delta-scan step, before the cutover). counts are added to; relisted (may be NULL) gets every folder that
 * was listed ("name/rel"). 0, ARCHIVE_CANCELLED or ALFUP_ERR. */
int delta_scan_tree(manifest_t *base, const char *root, const char *name, archive_writer_t *writer,
                    archive_progress_t *progress, delta_counts_t *counts, str_list_t *relisted, str_list_t *log,
                    alfup_err_t *err);

#endif
