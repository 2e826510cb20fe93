/* archive_writer.h -- write directory trees to a tar (pax) + zstd archive with a sha-256 manifest. */
#ifndef ALFUP_ARCHIVE_WRITER_H
#define ALFUP_ARCHIVE_WRITER_H

#include <stdint.h>
#include <sys/stat.h>

#include "alfup_error.h"
#include "archive_digest.h"
#include "archive_progress.h"
#include "str_list.h"

#define ARCHIVE_MANIFEST_ENTRY ".alfup/manifest" /* reserved name, the archive's last entry */
#define ARCHIVE_MANIFEST_SUFFIX ".manifest"      /* the copy beside the archive */
#define ARCHIVE_SHA256_SUFFIX ".sha256"          /* the archive file's digest, sha256sum format */
#define ARCHIVE_ZSTD_LEVEL_DEFAULT 3
#define ARCHIVE_ZSTD_LEVEL_MAX 19
#define ARCHIVE_THREADS_MAX 64

typedef struct archive_writer_options {
    int zstd_level;           /* 1..ARCHIVE_ZSTD_LEVEL_MAX */
    int threads;              /* zstd worker threads; 0 = as many as online CPUs */
    int online;               /* the trees change while they are read: see archive_writer_add_tree */
    uint64_t max_bytes_per_s; /* online only: cap on file reads; 0 = none */
    unsigned settle_s;        /* online only: files written this recently are archived untrusted */
} archive_writer_options_t;

/* What an online backup found (all 0 offline). */
typedef struct archive_online_counts {
    uint64_t folders;       /* folder states recorded */
    uint64_t folders_dirty; /* of them, marked dirty: a delta lists them again */
    uint64_t left_out;      /* files not archived: vanished, replaced, or changed too recently */
    uint64_t untrusted;     /* files archived but changed while read: recorded as "x", folder dirty */
    uint64_t recent;        /* files archived but written within settle_s: recorded as "x" */
} archive_online_counts_t;

typedef struct archive_tree_stats {
    uint64_t files;  /* regular files */
    uint64_t bytes;  /* their sizes */
    uint64_t others; /* folders and symlinks */
} archive_tree_stats_t;

typedef struct archive_writer archive_writer_t;

/* Counts the regular files and bytes below root (symlinks not followed) into
 * progress->counts.files_total / bytes_total. With online, entries that vanish
 * while counted are not an error (the totals are an estimate then). 0,
 * ARCHIVE_CANCELLED, or ALFUP_ERR. */
int archive_tree_scan(const char *root, int online, archive_progress_t *progress, alfup_err_t *err);

/* Starts an archive that will be called path (which must not exist yet): the
 * bytes go to a temporary file beside it. NULL with err on failure. log
 * (may be NULL) receives notes such as a zstd option that was not accepted. */
archive_writer_t *archive_writer_new(const char *path, const archive_writer_options_t *options,
                                     archive_progress_t *progress, str_list_t *log, alfup_err_t *err);

/* Adds the tree at root (canonical, a folder) as entries "name/..." with the
 * sha-256 of every regular file in the manifest. The tree is read through
 * tree_walk: descriptors only, no symlink followed (even one swapped in while
 * it is read), each file opened relative to its folder and refused when it is
 * not the file the walk stat'ed; mount points inside are followed. Offline,
 * an entry that vanishes or is replaced while the tree is read fails the
 * backup (online: see archive_writer_online_counts). Symlinks are stored as
 * symlinks; sockets, fifos and devices are skipped with a log line. Returns 0,
 * ARCHIVE_CANCELLED or ALFUP_ERR; stats (may be NULL) gets this tree's counts. */
int archive_writer_add_tree(archive_writer_t *writer, const char *root, const char *name, archive_tree_stats_t *stats,
                            alfup_err_t *err);

/* Adds one entry read from name_in_dir inside the open folder dirfd (never
 * following a symlink there), as entry_name; listed is its lstat from the
 * listing (the type decides what is written; a file that is not the listed
 * one, or changes while read, fails). Folders are written as a header only:
 * the caller adds what is inside. shown names it in messages. stats is
 * updated. 0, ARCHIVE_CANCELLED or ALFUP_ERR. */
int archive_writer_add_at(archive_writer_t *writer, int dirfd, const char *name_in_dir, const char *shown,
                          const struct stat *listed, const char *entry_name, archive_tree_stats_t *stats,
                          alfup_err_t *err);

/* Records a path removed since the base ("r" in the manifest). 0 or ALFUP_ERR. */
int archive_writer_add_removed(archive_writer_t *writer, const char *entry_name, alfup_err_t *err);

/* Names the base archive's sha-256 in the manifest (a delta). 0 or ALFUP_ERR. */
int archive_writer_set_base(archive_writer_t *writer, const char *base_sha256, alfup_err_t *err);

/* Online mode (options.online): every folder's identity and change times are
 * recorded (manifest version 2) from an lstat taken before the folder is
 * listed, dirty when not safely older than that (online_state.h); a file or
 * folder that vanishes, is replaced, or whose times are too recent is left out
 * and its folder marked dirty; a file that changes while it is read is
 * archived as read (cut or zero-padded to its header size), recorded as
 * untrusted, and its folder marked dirty; a file written within
 * options.settle_s is archived and recorded untrusted (its folder stays
 * clean). A delta (backup-delta) picks all of them up. */
void archive_writer_online_counts(const archive_writer_t *writer, archive_online_counts_t *counts);

/* Appends the manifest entry, flushes and fsyncs the temporary file, writes
 * PATH.manifest and PATH.sha256 (the archive file's digest) and renames the archive to PATH (never over an existing
 * file). sha256 receives the archive file's digest. 0 or ALFUP_ERR. */
int archive_writer_finish(archive_writer_t *writer, char sha256[ARCHIVE_DIGEST_HEX_LEN + 1], alfup_err_t *err);

/* Frees the writer; when it did not finish, the temporary file is removed.
 * Sets *writer_p to NULL; tolerates NULL. */
void archive_writer_destroy(archive_writer_t **writer_p);

#endif
