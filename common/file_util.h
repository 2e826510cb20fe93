/* file_util.h -- durable file writes, bounded reads, folder creation. */
#ifndef ALFUP_FILE_UTIL_H
#define ALFUP_FILE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "alfup_error.h"

#define FILE_MISSING 1

/* Creates path and its missing parents with mode. 0, or ALFUP_ERR with err. */
int file_mkdir_p(const char *path, mode_t mode, alfup_err_t *err);

/* Writes len bytes to path durably: PATH.tmp.PID, fsync, rename, fsync of the
 * folder. Either the old or the complete new content is there afterwards. */
int file_write_atomic(const char *path, const uint8_t *bytes, size_t len, mode_t mode,
                      alfup_err_t *err);

/* Creates the empty file path (mode) if it does not exist, and makes its
 * folder entry durable (fsync of the folder): a marker that survives a crash
 * or power loss once this returns. Never follows a symlink. */
int file_touch_durable(const char *path, mode_t mode, alfup_err_t *err);

/* Reads the whole file into a new buffer (NUL-terminated, not counted in *len;
 * caller frees). Refuses files over max bytes. Returns 0, FILE_MISSING when
 * the file does not exist, or ALFUP_ERR with err. */
int file_read_all(const char *path, size_t max, uint8_t **bytes, size_t *len, alfup_err_t *err);

/* fsync(2) of the folder that holds path. */
int file_sync_parent(const char *path, alfup_err_t *err);

#endif
