/* archive_digest.c -- sha-256 through OpenSSL's EVP interface. */
#include "archive_digest.h"

#include <stdlib.h>

#include <openssl/evp.h>

struct archive_digest {
    EVP_MD_CTX *md;
};

archive_digest_t *archive_digest_new(alfup_err_t *err)
{
    archive_digest_t *digest = calloc(1, sizeof *digest);
    if (digest == NULL)
        return alfup_err_set(err, "sha-256: out of memory"), NULL;
    digest->md = EVP_MD_CTX_new();
    if (digest->md == NULL || archive_digest_reset(digest, err) != ALFUP_OK) {
        if (digest->md == NULL)
            alfup_err_ssl(err, "sha-256: EVP_MD_CTX_new");
        archive_digest_destroy(&digest);
        return NULL;
    }
    return digest;
}

int archive_digest_reset(archive_digest_t *digest, alfup_err_t *err)
{
    if (EVP_DigestInit_ex(digest->md, EVP_sha256(), NULL) != 1)
        return alfup_err_ssl(err, "sha-256: EVP_DigestInit_ex");
    return ALFUP_OK;
}

int archive_digest_update(archive_digest_t *digest, const void *bytes, size_t len, alfup_err_t *err)
{
    if (len > 0 && EVP_DigestUpdate(digest->md, bytes, len) != 1)
        return alfup_err_ssl(err, "sha-256: EVP_DigestUpdate");
    return ALFUP_OK;
}

int archive_digest_final_hex(archive_digest_t *digest, char hex[ARCHIVE_DIGEST_HEX_LEN + 1], alfup_err_t *err)
{
    static const char DIGITS[] = "0123456789abcdef";
    unsigned char raw[EVP_MAX_MD_SIZE];
    unsigned int raw_len = 0;
    if (EVP_DigestFinal_ex(digest->md, raw, &raw_len) != 1 || raw_len * 2 != ARCHIVE_DIGEST_HEX_LEN)
        return alfup_err_ssl(err, "sha-256: EVP_DigestFinal_ex");
    for (unsigned int i = 0; i < raw_len; i++) {
        hex[2 * i] = DIGITS[raw[i] >> 4];
        hex[2 * i + 1] = DIGITS[raw[i] & 0x0f];
    }
    hex[ARCHIVE_DIGEST_HEX_LEN] = '\0';
    return ALFUP_OK;
}

void archive_digest_destroy(archive_digest_t **digest_p)
{
    if (digest_p == NULL || *digest_p == NULL)
        return;
    EVP_MD_CTX_free((*digest_p)->md);
    free(*digest_p);
    *digest_p = NULL;
}
