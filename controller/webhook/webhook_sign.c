/* webhook_sign.c -- HMAC-SHA256 with OpenSSL's one-shot HMAC. */
#include "webhook_sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>

int webhook_sign(const char *secret, size_t secret_len, const char *body, size_t body_len,
                 char out[WEBHOOK_SIGNATURE_MAX])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)body, body_len, mac, &mac_len) == NULL ||
        mac_len != 32)
        return -1;
    int at = snprintf(out, WEBHOOK_SIGNATURE_MAX, "sha256=");
    for (unsigned i = 0; i < mac_len; i++)
        at += snprintf(out + at, (size_t)(WEBHOOK_SIGNATURE_MAX - at), "%02x", mac[i]);
    return 0;
}
