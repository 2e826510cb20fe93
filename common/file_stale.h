/* file_stale.h -- removes the temporary files a killed writer left beside its target. */
#ifndef ALFUP_FILE_STALE_H
#define ALFUP_FILE_STALE_H

#include <stddef.h>

#include "alfup_error.h"

/* The writers in alfup make PATH durable by writing PATH.tmp.SUFFIX first
 * (file_write_atomic: the pid; archive_writer: mkostemp's six characters) and
 * renaming. A writer killed before its rename leaves that file behind. This
 * removes every regular file in PATH's folder named exactly PATH's name +
 * ".tmp." + 1..16 letters or digits (never a symlink, folder or other name),
 * and adds how many were removed to *removed (may be NULL).
 * 0, or ALFUP_ERR with err naming the file or folder. */
int file_remove_stale_temps(const char *path, size_t *removed, alfup_err_t *err);

#endif
