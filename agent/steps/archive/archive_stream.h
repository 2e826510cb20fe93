/* archive_stream.h -- libarchive client I/O on a file descriptor, hashing every byte that passes. */
#ifndef ALFUP_ARCHIVE_STREAM_H
#define ALFUP_ARCHIVE_STREAM_H

#include <archive.h>
#include <stdint.h>

#include "alfup_error.h"
#include "archive_digest.h"

typedef struct archive_stream archive_stream_t;

/* A stream over fd (which the caller keeps and closes); path names it in
 * messages. NULL with err on failure. Free with archive_stream_destroy. */
archive_stream_t *archive_stream_new(int fd, const char *path, alfup_err_t *err);

/* Online work: the file's pages are dropped from the page cache behind the reads or writes (page_cache.h);
 * writing says which. Call before opening. */
void archive_stream_drop_cache(archive_stream_t *stream, int writing);

/* Opens a for writing (archive_write_open) or reading (archive_read_open) through
 * the stream. 0, or ALFUP_ERR with err (libarchive's message). */
int archive_stream_open_write(archive_stream_t *stream, struct archive *a, alfup_err_t *err);
int archive_stream_open_read(archive_stream_t *stream, struct archive *a, alfup_err_t *err);

/* Reads what is left of the file after libarchive stopped, into the hash. 0 or ALFUP_ERR. */
int archive_stream_drain(archive_stream_t *stream, alfup_err_t *err);

/* The sha-256 of every byte written or read so far (finishes the hash). 0 or ALFUP_ERR. */
int archive_stream_sha256(archive_stream_t *stream, char hex[ARCHIVE_DIGEST_HEX_LEN + 1], alfup_err_t *err);

uint64_t archive_stream_bytes(const archive_stream_t *stream);

/* The I/O error the stream saw (errno text with the path), or NULL. */
const char *archive_stream_io_error(const archive_stream_t *stream);

void archive_stream_destroy(archive_stream_t **stream_p);

#endif
