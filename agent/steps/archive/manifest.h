/* manifest.h -- the per-file sha-256 manifest of a tree archive: build, format, parse, look up.
 *
 * Text format (UTF-8 agnostic, one record per line, fields separated by one space):
 *   alfup-manifest 1
 *   f SIZE SHA256 MODE PATH          a regular file: byte size, lowercase hex sha-256, octal mode
 *   d - - MODE PATH                  a folder
 *   l - - MODE PATH TARGET           a symlink and its target (stored, never followed)
 *   end COUNT                        the number of records above; anything after it is an error
 * Version 2 ("alfup-manifest 2", written only when one of these is present) adds:
 *   base SHA256                      first record only: the base archive a delta applies to
 *   s DEV INO MTIME CTIME STATE PATH a folder's identity and change times when it was listed
 *                                    (MTIME, CTIME: SEC.NNNNNNNNN; STATE: clean or dirty)
 *   x PATH                           a file whose entry is not trusted (it changed while read)
 *   r PATH                           a path removed since the base (deltas)
 * PATH and TARGET are escaped: every byte outside '!'..'~', and '%' itself,
 * is written as %XX (two uppercase hex digits), so spaces, newlines and
 * non-ASCII names survive. PATH is relative ("tree/sub/file"), never absolute,
 * never with "." or ".." components. See docs/steps-archive.md. */
#ifndef ALFUP_MANIFEST_H
#define ALFUP_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "alfup_error.h"
#include "archive_digest.h"

#define MANIFEST_MAX_BYTES (1024u * 1024u * 1024u) /* parse refuses longer text */
#define MANIFEST_MAGIC "alfup-manifest 1"
#define MANIFEST_MAGIC_V2 "alfup-manifest 2"

typedef enum manifest_type { MANIFEST_FILE = 'f', MANIFEST_DIR = 'd', MANIFEST_SYMLINK = 'l' } manifest_type_t;

typedef struct manifest_entry {
    manifest_type_t type;
    uint64_t size;                           /* files only, else 0 */
    char sha256[ARCHIVE_DIGEST_HEX_LEN + 1]; /* files only, else "" */
    unsigned mode;                           /* permission bits, 07777 at most */
    char *path;
    char *link; /* symlinks only, else NULL */
    int seen;   /* for readers: matched in the archive */
} manifest_entry_t;

/* A folder's identity and change times at the moment an online backup listed it. */
typedef struct manifest_folder {
    char *path; /* first member (path_records) */
    unsigned long long dev, ino;
    long long mtime_sec, ctime_sec;
    long mtime_nsec, ctime_nsec;
    int dirty; /* the listing cannot be trusted: a delta lists the folder again */
} manifest_folder_t;

typedef struct manifest manifest_t;

/* An empty manifest, or NULL when out of memory. Free with manifest_destroy. */
manifest_t *manifest_new(void);

/* Appends a record (copies the strings). sha256 is required for files and
 * ignored otherwise; link is required for symlinks. Returns 0, or ALFUP_ERR
 * with err (unsafe path, bad argument, out of memory). */
int manifest_add(manifest_t *manifest, manifest_type_t type, uint64_t size, const char *sha256, unsigned mode,
                 const char *path, const char *link, alfup_err_t *err);

/* Formats the manifest as text (records in the order added). *text is a new
 * NUL-terminated buffer the caller frees; *len excludes the NUL. 0 or ALFUP_ERR. */
int manifest_format(const manifest_t *manifest, char **text, size_t *len, alfup_err_t *err);

/* Parses len bytes of text (not necessarily NUL-terminated). Refuses text
 * longer than MANIFEST_MAX_BYTES, malformed lines (err names the line), unsafe
 * paths and duplicate paths. Returns a new manifest or NULL with err. */
manifest_t *manifest_parse(const char *text, size_t len, alfup_err_t *err);

/* The record for path, or NULL. The manifest keeps ownership. */
manifest_entry_t *manifest_find(manifest_t *manifest, const char *path);

size_t manifest_count(const manifest_t *manifest);

/* The index-th record in order of addition (index < manifest_count). */
manifest_entry_t *manifest_entry_at(manifest_t *manifest, size_t index);

/* ---- version 2 records (online bases and deltas); adding one makes the manifest version 2 ---- */

/* Records a folder's state (copied). 0, or ALFUP_ERR (unsafe path, bad times, out of memory). */
int manifest_add_folder(manifest_t *manifest, const manifest_folder_t *folder, alfup_err_t *err);
size_t manifest_folder_count(const manifest_t *manifest);
manifest_folder_t *manifest_folder_at(manifest_t *manifest, size_t index);
manifest_folder_t *manifest_folder_find(manifest_t *manifest, const char *path);

/* Marks path as a file whose archived bytes are not trusted ("x"). 0 or ALFUP_ERR. */
int manifest_add_untrusted(manifest_t *manifest, const char *path, alfup_err_t *err);
int manifest_is_untrusted(manifest_t *manifest, const char *path);
size_t manifest_untrusted_count(const manifest_t *manifest);

/* Records a path removed since the base ("r"). 0 or ALFUP_ERR. */
int manifest_add_removed(manifest_t *manifest, const char *path, alfup_err_t *err);
size_t manifest_removed_count(const manifest_t *manifest);
const char *manifest_removed_at(const manifest_t *manifest, size_t index);

/* The base archive's sha-256 a delta applies to: set once; NULL when none. */
int manifest_set_base(manifest_t *manifest, const char *sha256, alfup_err_t *err);
const char *manifest_base(const manifest_t *manifest);

/* 1 or 2. */
int manifest_version(const manifest_t *manifest);

/* Frees the manifest and sets *manifest_p to NULL. Tolerates NULL. */
void manifest_destroy(manifest_t **manifest_p);

#endif
