/* tls_context.h -- TLS 1.3-only OpenSSL contexts from the deployment's CA, cert, key and CRL. */
#ifndef ALFUP_TLS_CONTEXT_H
#define ALFUP_TLS_CONTEXT_H

#include <openssl/ssl.h>

#include "alfup_error.h"

typedef struct tls_paths {
    const char *ca;     /* the deployment CA (PEM) */
    const char *cert;   /* this side's certificate */
    const char *key;    /* this side's private key */
    const char *crl;    /* optional CRL (PEM); NULL or "" when not configured */
} tls_paths_t;

typedef enum tls_side { TLS_SIDE_SERVER, TLS_SIDE_CLIENT } tls_side_t;

typedef struct tls_context tls_context_t;

/* Loads the files and builds a context that speaks TLS 1.3 only, presents
 * cert, and requires a peer certificate signed by ca (checked against the CRL
 * when one is configured). NULL with err naming the file on failure. */
tls_context_t *tls_context_new(const tls_paths_t *paths, tls_side_t side, alfup_err_t *err);

/* The SSL_CTX to use for a new session. When the CRL file changed since it
 * was loaded, the context is rebuilt first, so a revocation takes effect at
 * the next handshake; if the rebuild fails the old context stays and err is
 * filled (the caller logs it). Never NULL. */
SSL_CTX *tls_context_current(tls_context_t *context, alfup_err_t *err);

/* How many times tls_context_current rebuilt the context (0 at first): a session made
 * under an older generation was checked against an older CRL. */
unsigned tls_context_generation(const tls_context_t *context);

/* Checks a peer that passed its handshake against the current CA and CRL (times are not
 * checked again: expiry is a matter for the next handshake). 1 when the CRL revokes its
 * certificate (err says "certificate revoked"); 0 when it still verifies; -1 when it fails
 * for another reason or the check could not run (err says why). chain: the certificates
 * the peer sent besides peer, or NULL. */
int tls_context_peer_revoked(tls_context_t *context, X509 *peer, STACK_OF(X509) *chain, alfup_err_t *err);

/* Frees the context and sets *context_p to NULL. Sessions keep their own reference. */
void tls_context_destroy(tls_context_t **context_p);

#endif
