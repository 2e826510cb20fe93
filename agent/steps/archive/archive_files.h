/* archive_files.h -- the three files of one written archive (ARCHIVE, ARCHIVE.manifest, ARCHIVE.sha256), cleared
 * away after an attempt the agent's restart cut off. */
#ifndef ALFUP_ARCHIVE_FILES_H
#define ALFUP_ARCHIVE_FILES_H

#include <stddef.h>

#include "alfup_error.h"

/* Removes the temporary files a cut-off writer left beside each of the three
 * (file_remove_stale_temps), adding how many to *removed. 0, or ALFUP_ERR with
 * err naming the file. */
int archive_files_remove_stale_temps(const char *archive, size_t *removed, alfup_err_t *err);

/* Removes the three files (those that are there). */
void archive_files_unlink(const char *archive);

#endif
