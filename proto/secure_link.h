/* secure_link.h -- envelopes over one TLS session: framing, sequence numbers, limits. */
#ifndef ALFUP_SECURE_LINK_H
#define ALFUP_SECURE_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "alfup_error.h"
#include "cert_identity.h"
#include "message.h"
#include "tls_context.h"
#include "tls_session.h"

typedef struct secure_link secure_link_t;

/* A link over a fresh TLS session on ssl_ctx (see tls_session_new). */
secure_link_t *secure_link_new(SSL_CTX *ssl_ctx, tls_side_t side, const char *expected_host,
                               alfup_err_t *err);

void secure_link_destroy(secure_link_t **link_p);

/* Takes TLS records from the peer, advances the handshake, and decrypts
 * whatever application data is complete. ALFUP_ERR means the session is dead
 * (TLS failure, oversized envelope): drop it. */
int secure_link_receive(secure_link_t *link, const uint8_t *records, size_t len, alfup_err_t *err);

/* 1 once the TLS handshake completed. */
int secure_link_established(const secure_link_t *link);

/* The next received envelope, decoded into *msg (caller clears it).
 * ALFUP_AGAIN when none is waiting; ALFUP_ERR for a malformed envelope or a
 * sequence number out of order (drop the session). */
int secure_link_next(secure_link_t *link, alfup_msg_t *msg, alfup_err_t *err);

/* Stamps msg with the next sequence number and the last one received, then
 * encodes and encrypts it. The records wait in the link: take them with
 * secure_link_take_records. */
int secure_link_send(secure_link_t *link, alfup_msg_t *msg, alfup_err_t *err);

/* Moves up to cap bytes of TLS records to send into buf; returns how many. */
size_t secure_link_take_records(secure_link_t *link, uint8_t *buf, size_t cap);

/* Whether the peer's certificate is now revoked by tls's current CRL: see
 * tls_context_peer_revoked (1 revoked, 0 still good, -1 other failure, with err). */
int secure_link_peer_revoked(const secure_link_t *link, tls_context_t *tls, alfup_err_t *err);

/* See tls_session_admit_revoked: a server link lets a client with a revoked certificate finish
 * its handshake when admit(arg, name) says so, so that its name is proven. */
void secure_link_admit_revoked(secure_link_t *link, tls_admit_revoked_fn admit, void *arg);

/* 1 when the link is established with a peer whose revoked certificate was let through. */
int secure_link_admitted_revoked(const secure_link_t *link);

/* The peer's identity from its certificate, or NULL before the handshake. */
const cert_identity_t *secure_link_peer(const secure_link_t *link);

#endif
