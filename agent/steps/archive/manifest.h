/* manifest.h -- the per-file sha-256 manifest of a tree archive: build, format, parse, look up.
 *
 * Text format (UTF-8 agnostic, one record per line, fields separated by one space):
 *   alfup-manifest 1
 *   f SIZE SHA256 MODE PATH          a regular file: byte size, lowercase hex sha-256, octal mode
 *   d - - MODE PATH                  a folder
 *   l - - MODE PATH TARGET           a symlink and its target (stored, never followed)
 *   end COUNT                        the number of records above; anything after it is an error
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

/* Frees the manifest and sets *manifest_p to NULL. Tolerates NULL. */
void manifest_destroy(manifest_t **manifest_p);

#endif
