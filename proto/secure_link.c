/* secure_link.c -- a TLS session that carries length-prefixed, sequenced envelopes. */
#include "secure_link.h"

#include <stdlib.h>

#include "codec.h"
#include "envelope_stream.h"
#include "tls_session.h"

#define LINK_READ_CHUNK 16384

struct secure_link {
    tls_session_t *tls;
    envelope_stream_t *stream;
    uint64_t sent_seq;      /* last sequence number sent */
    uint64_t received_seq;  /* last sequence number received */
};

secure_link_t *secure_link_new(SSL_CTX *ssl_ctx, tls_side_t side, const char *expected_host,
                               alfup_err_t *err)
{
    secure_link_t *link = calloc(1, sizeof *link);
    if (link == NULL)
        return alfup_err_set(err, "link: out of memory"), NULL;
    link->tls = tls_session_new(ssl_ctx, side, expected_host, err);
    link->stream = envelope_stream_new(ALFUP_ENVELOPE_MAX);
    if (link->tls == NULL || link->stream == NULL) {
        if (link->stream == NULL)
            alfup_err_set(err, "link: out of memory");
        secure_link_destroy(&link);
        return NULL;
    }
    return link;
}

void secure_link_destroy(secure_link_t **link_p)
{
    if (link_p == NULL || *link_p == NULL)
        return;
    tls_session_destroy(&(*link_p)->tls);
    envelope_stream_destroy(&(*link_p)->stream);
    free(*link_p);
    *link_p = NULL;
}

int secure_link_receive(secure_link_t *link, const uint8_t *records, size_t len, alfup_err_t *err)
{
    if (tls_session_put_records(link->tls, records, len, err) != ALFUP_OK)
        return ALFUP_ERR;
    int rc = tls_session_handshake(link->tls, err);
    if (rc != ALFUP_OK)
        return rc == ALFUP_AGAIN ? ALFUP_OK : ALFUP_ERR;
    uint8_t plain[LINK_READ_CHUNK];
    for (;;) {
        size_t got = 0;
        rc = tls_session_read(link->tls, plain, sizeof plain, &got, err);
        if (rc == ALFUP_AGAIN)
            return ALFUP_OK;
        if (rc != ALFUP_OK)
            return ALFUP_ERR;
        if (envelope_stream_push(link->stream, plain, got, err) != ALFUP_OK)
            return ALFUP_ERR;
    }
}

int secure_link_established(const secure_link_t *link)
{
    return tls_session_established(link->tls);
}

int secure_link_next(secure_link_t *link, alfup_msg_t *msg, alfup_err_t *err)
{
    uint8_t *payload = NULL;
    size_t len = 0;
    if (envelope_stream_pop(link->stream, &payload, &len) != ALFUP_OK)
        return ALFUP_AGAIN;
    int rc = msg_decode(payload, len, msg, err);
    free(payload);
    if (rc != ALFUP_OK)
        return ALFUP_ERR;
    if (msg->seq != link->received_seq + 1) {
        alfup_err_set(err, "envelope out of sequence (got %llu, expected %llu)",
                      (unsigned long long)msg->seq, (unsigned long long)link->received_seq + 1);
        alfup_msg_clear(msg);
        return ALFUP_ERR;
    }
    link->received_seq = msg->seq;
    return ALFUP_OK;
}

int secure_link_send(secure_link_t *link, alfup_msg_t *msg, alfup_err_t *err)
{
    msg->seq = link->sent_seq + 1;
    msg->ack = link->received_seq;
    uint8_t *payload = NULL;
    size_t len = 0;
    if (msg_encode(msg, &payload, &len, err) != ALFUP_OK)
        return ALFUP_ERR;
    uint8_t header[ENVELOPE_LENGTH_BYTES];
    envelope_length_encode((uint32_t)len, header);
    int rc = tls_session_write(link->tls, header, sizeof header, err);
    if (rc == ALFUP_OK)
        rc = tls_session_write(link->tls, payload, len, err);
    free(payload);
    if (rc == ALFUP_OK)
        link->sent_seq = msg->seq;
    return rc;
}

size_t secure_link_take_records(secure_link_t *link, uint8_t *buf, size_t cap)
{
    return tls_session_take_records(link->tls, buf, cap);
}

int secure_link_peer_revoked(const secure_link_t *link, tls_context_t *tls, alfup_err_t *err)
{
    STACK_OF(X509) *chain = NULL;
    X509 *peer = tls_session_peer_cert(link->tls, &chain);
    return tls_context_peer_revoked(tls, peer, chain, err);
}

void secure_link_admit_revoked(secure_link_t *link, tls_admit_revoked_fn admit, void *arg)
{
    tls_session_admit_revoked(link->tls, admit, arg);
}

int secure_link_admitted_revoked(const secure_link_t *link)
{
    return tls_session_admitted_revoked(link->tls);
}

const cert_identity_t *secure_link_peer(const secure_link_t *link)
{
    return tls_session_peer(link->tls);
}
