/* webhook_sign.h -- the signature a webhook's receiver checks: HMAC-SHA256 of the body with its secret. */
#ifndef ALFUP_WEBHOOK_SIGN_H
#define ALFUP_WEBHOOK_SIGN_H

#include <stddef.h>

#define WEBHOOK_SIGNATURE_HEADER "X-Alfup-Signature"
/* "sha256=" and 64 hex digits, and the NUL */
#define WEBHOOK_SIGNATURE_MAX (7 + 64 + 1)

/* Writes "sha256=HEX" (lower-case hex of HMAC-SHA256(secret, body)) into out. -1 when OpenSSL failed. */
int webhook_sign(const char *secret, size_t secret_len, const char *body, size_t body_len,
                 char out[WEBHOOK_SIGNATURE_MAX]);

#endif
