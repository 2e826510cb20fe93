/* tls_session.h -- one TLS 1.3 session run over memory BIOs: records in, records out. */
#ifndef ALFUP_TLS_SESSION_H
#define ALFUP_TLS_SESSION_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "alfup_error.h"
#include "cert_identity.h"
#include "tls_context.h"

typedef struct tls_session tls_session_t;

/* A new session on ssl_ctx. A client checks that the server's certificate is
 * valid for expected_host (a DNS name or an IP address). NULL with err. */
tls_session_t *tls_session_new(SSL_CTX *ssl_ctx, tls_side_t side, const char *expected_host,
                               alfup_err_t *err);

void tls_session_destroy(tls_session_t **session_p);

/* Whether a server may let a client whose certificate the CRL revokes finish its handshake,
 * so that the name in it is proven (the handshake checks the peer's key): 1 to let it through. */
typedef int (*tls_admit_revoked_fn)(void *arg, const char *name);

/* Server side, before the handshake: a client certificate that is valid but for the CRL
 * revoking it is let through when admit(arg, its name) says so; the session then reports it
 * with tls_session_admitted_revoked and must be refused by its owner once established. */
void tls_session_admit_revoked(tls_session_t *session, tls_admit_revoked_fn admit, void *arg);

/* 1 when the session is established with a peer whose certificate is revoked (let through by
 * tls_session_admit_revoked's policy): its identity is proven, but it must not be served. */
int tls_session_admitted_revoked(const tls_session_t *session);

/* Gives the session len bytes of TLS records received from the peer. */
int tls_session_put_records(tls_session_t *session, const uint8_t *records, size_t len,
                            alfup_err_t *err);

/* Advances the handshake. ALFUP_OK once established (the peer's identity is
 * then readable), ALFUP_AGAIN while it needs more records, ALFUP_ERR when it
 * failed (bad certificate, wrong CA, revoked, expired, garbage). */
int tls_session_handshake(tls_session_t *session, alfup_err_t *err);

/* 1 once the handshake has completed. */
int tls_session_established(const tls_session_t *session);

/* Encrypts len bytes of application data (established sessions only). */
int tls_session_write(tls_session_t *session, const uint8_t *data, size_t len, alfup_err_t *err);

/* Decrypts into buf; *got bytes. ALFUP_AGAIN when nothing is available,
 * ALFUP_ERR on a TLS error or when the peer closed the session. */
int tls_session_read(tls_session_t *session, uint8_t *buf, size_t cap, size_t *got,
                     alfup_err_t *err);

/* Moves up to cap bytes of TLS records to send into buf; returns how many. */
size_t tls_session_take_records(tls_session_t *session, uint8_t *buf, size_t cap);

/* The peer's certificate and the other certificates it sent (*chain, may be NULL), owned
 * by the session; NULL before the handshake finished. */
X509 *tls_session_peer_cert(const tls_session_t *session, STACK_OF(X509) **chain);

/* The peer's identity from its certificate; valid once established. */
const cert_identity_t *tls_session_peer(const tls_session_t *session);

#endif
