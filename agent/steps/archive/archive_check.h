/* archive_check.h -- read a tree archive and check every entry against its manifest, optionally extracting. */
#ifndef ALFUP_ARCHIVE_CHECK_H
#define ALFUP_ARCHIVE_CHECK_H

#include <stdint.h>

#include "alfup_error.h"
#include "archive_digest.h"
#include "archive_extract.h"
#include "archive_progress.h"

typedef struct archive_check_options {
    const char *tree;            /* only this tree ("name" of backup-tree); NULL = every entry */
    archive_extract_t *extract;  /* NULL: check only; else selected entries are written through it,
                                    re-rooted: with a tree, "tree/x" goes to "x" */
    const char *expected_sha256; /* the archive file's digest to insist on, or NULL */
    int tree_may_be_absent;      /* a delta need not hold the tree's root entry (nor any entry of it) */
    int drop_cache;              /* online: the archive's pages are dropped behind the reads (page_cache.h) */
} archive_check_options_t;

typedef struct archive_check_result {
    uint64_t files, bytes, others; /* selected entries checked */
    char archive_sha256[ARCHIVE_DIGEST_HEX_LEN + 1];
} archive_check_result_t;

/* Reads the archive file's digest that backup-tree wrote to ARCHIVE.sha256 (sha256sum format) into sha256,
 * NUL-terminated. 0, or ALFUP_ERR when the file is missing, unreadable or holds no sha-256 at its start. */
int archive_check_read_sha256(const char *archive, char sha256[ARCHIVE_DIGEST_HEX_LEN + 1], alfup_err_t *err);

/* Reads archive_path (tar + zstd as backup-tree writes it) and the manifest
 * beside it (ARCHIVE.manifest). Checks, failing at the first problem with the
 * entry named: every entry is in the manifest with the same type, mode, size,
 * symlink target and content sha-256; no entry is duplicated, missing or
 * extra; no hardlinks or special files; the manifest inside the archive equals
 * the one beside it; the archive file's sha-256 equals ARCHIVE.sha256 (so a
 * flipped byte in a part of the tar stream that no entry check covers, such
 * as a pax header's own name, is caught too). Returns 0, ARCHIVE_CANCELLED or ALFUP_ERR with err. On
 * failure whatever was extracted stays: the caller removes it. */
int archive_check_run(const char *archive_path, const archive_check_options_t *options, archive_progress_t *progress,
                      archive_check_result_t *result, alfup_err_t *err);

#endif
