/* archive_digest.h -- incremental sha-256 (OpenSSL EVP) for archive contents and files. */
#ifndef ALFUP_ARCHIVE_DIGEST_H
#define ALFUP_ARCHIVE_DIGEST_H

#include <stddef.h>

#include "alfup_error.h"

#define ARCHIVE_DIGEST_HEX_LEN 64 /* hex characters of a sha-256, without the NUL */

typedef struct archive_digest archive_digest_t;

/* A new sha-256 computation, or NULL with err on failure. Free with archive_digest_destroy. */
archive_digest_t *archive_digest_new(alfup_err_t *err);

/* Starts over (a fresh, empty computation). 0, or ALFUP_ERR with err. */
int archive_digest_reset(archive_digest_t *digest, alfup_err_t *err);

/* Adds len bytes. 0, or ALFUP_ERR with err. */
int archive_digest_update(archive_digest_t *digest, const void *bytes, size_t len, alfup_err_t *err);

/* Finishes and writes the lowercase hex digest and a NUL into hex (65 bytes).
 * The digest must be reset before it is used again. 0, or ALFUP_ERR with err. */
int archive_digest_final_hex(archive_digest_t *digest, char hex[ARCHIVE_DIGEST_HEX_LEN + 1], alfup_err_t *err);

/* Frees the digest and sets *digest_p to NULL. Tolerates NULL. */
void archive_digest_destroy(archive_digest_t **digest_p);

#endif
