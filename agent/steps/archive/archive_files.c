/* archive_files.c -- an archive's three files cleared after a cut-off attempt (see archive_files.h). */
#include "archive_files.h"

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "archive_writer.h"
#include "file_stale.h"

static const char *const ARCHIVE_FILE_SUFFIXES[] = {"", ARCHIVE_MANIFEST_SUFFIX, ARCHIVE_SHA256_SUFFIX};
#define ARCHIVE_FILE_COUNT (sizeof ARCHIVE_FILE_SUFFIXES / sizeof ARCHIVE_FILE_SUFFIXES[0])

int archive_files_remove_stale_temps(const char *archive, size_t *removed, alfup_err_t *err)
{
    for (size_t i = 0; i < ARCHIVE_FILE_COUNT; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s%s", archive, ARCHIVE_FILE_SUFFIXES[i]);
        if (file_remove_stale_temps(path, removed, err) != ALFUP_OK)
            return ALFUP_ERR;
    }
    return ALFUP_OK;
}

void archive_files_unlink(const char *archive)
{
    for (size_t i = 0; i < ARCHIVE_FILE_COUNT; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s%s", archive, ARCHIVE_FILE_SUFFIXES[i]);
        unlink(path);
    }
}
