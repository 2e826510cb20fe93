/* archive_extract.h -- secure extraction of archive entries below one target folder. */
#ifndef ALFUP_ARCHIVE_EXTRACT_H
#define ALFUP_ARCHIVE_EXTRACT_H

#include <archive_entry.h>
#include <stddef.h>
#include <stdint.h>

#include "alfup_error.h"
#include "step.h"
#include "str_list.h"

/* How many entries with cleared special bits archive_extract_cleared names. */
#define ARCHIVE_EXTRACT_CLEARED_LISTED 64

typedef struct archive_extract archive_extract_t;

typedef struct archive_extract_options {
    int keep_owner;      /* restore numeric owners (only honoured when running as root) */
    int allow_hardlinks; /* hardlinks to earlier entries inside the target */
    int drop_cache;      /* online: each file written leaves the page cache once flushed (page_cache.h) */
} archive_extract_options_t;

/* An extractor writing below target, a canonical folder path that exists.
 * Uses libarchive's disk writer with ARCHIVE_EXTRACT_SECURE_NODOTDOT and
 * SECURE_SYMLINKS (no write through a symlink), plus PERM, TIME and, when
 * asked and root, OWNER. Every entry's setuid, setgid and sticky bits are
 * cleared before it is written (a folder keeps setgid and sticky, which
 * grant nothing), so a file written as root is never setuid or setgid; the
 * entries concerned are reported by archive_extract_report. Entry names are re-rooted below target, so the
 * absolute-path rule (SECURE_NOABSOLUTEPATHS) is enforced on the names by
 * archive_extract_header itself. NULL with err on failure. */
archive_extract_t *archive_extract_new(const char *target, const archive_extract_options_t *options, alfup_err_t *err);

/* Writes the header of entry at relative path rel (an archive_path_is_safe
 * name, after any prefix stripping); hardlink_rel is the relative hardlink
 * target or NULL. Refuses, naming shown (the entry's name in the archive):
 * unsafe names, device nodes, fifos, sockets, hardlinks unless allowed (and
 * then only to safe relative names). entry is modified (its path). 0 or ALFUP_ERR. */
int archive_extract_header(archive_extract_t *extract, struct archive_entry *entry, const char *rel,
                           const char *hardlink_rel, const char *shown, alfup_err_t *err);

/* Writes a block of the current entry's data at offset. 0 or ALFUP_ERR. */
int archive_extract_data(archive_extract_t *extract, const void *bytes, size_t len, int64_t offset, const char *shown,
                         alfup_err_t *err);

/* Finishes the current entry (closes the file). 0 or ALFUP_ERR. */
int archive_extract_finish_entry(archive_extract_t *extract, const char *shown, alfup_err_t *err);

/* Remembers entry's (a folder's) mode, owner and mtime for the target folder
 * itself: restoring tree "cs" into target gives target the mode, owner and
 * time "cs" had. Applied by archive_extract_close. */
void archive_extract_set_root(archive_extract_t *extract, struct archive_entry *entry);

/* Applies the deferred folder modes and times (and the root's, when set). 0 or ALFUP_ERR. */
int archive_extract_close(archive_extract_t *extract, alfup_err_t *err);

/* Adds to ctx's result, when any entry had special bits cleared: an output
 * cleared_special_bits="NAME (MODE)" (the archive's mode, octal) for each of
 * the first ARCHIVE_EXTRACT_CLEARED_LISTED, cleared_special_bits_total=N,
 * and a log line. 0, or -1 when out of memory. */
int archive_extract_report(const archive_extract_t *extract, step_context_t *ctx);

void archive_extract_destroy(archive_extract_t **extract_p);

#endif
