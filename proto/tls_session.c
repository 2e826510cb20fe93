/* tls_session.c -- OpenSSL over memory BIOs, so records can travel in ZeroMQ frames. */
#include "tls_session.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

struct tls_session {
    SSL *ssl;
    BIO *in;    /* records from the peer; owned by ssl */
    BIO *out;   /* records for the peer; owned by ssl */
    int established;
    cert_identity_t peer;
    tls_admit_revoked_fn admit_revoked; /* server: may a revoked client certificate prove its key? */
    void *admit_arg;
    int admitted_revoked;               /* the peer's certificate is revoked: it was let through */
};

static int set_expected_host(SSL *ssl, const char *host, alfup_err_t *err)
{
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    /* An IP literal is checked against IP SANs, a name against DNS SANs. */
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1)
        return ALFUP_OK;
    ERR_clear_error();
    if (SSL_set1_host(ssl, host) != 1)
        return alfup_err_ssl(err, "TLS: cannot set expected host %s", host);
    SSL_set_tlsext_host_name(ssl, host);
    return ALFUP_OK;
}

tls_session_t *tls_session_new(SSL_CTX *ssl_ctx, tls_side_t side, const char *expected_host,
                               alfup_err_t *err)
{
    tls_session_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return alfup_err_set(err, "TLS session: out of memory"), NULL;
    s->ssl = SSL_new(ssl_ctx);
    s->in = BIO_new(BIO_s_mem());
    s->out = BIO_new(BIO_s_mem());
    if (s->ssl == NULL || s->in == NULL || s->out == NULL) {
        BIO_free(s->in);
        BIO_free(s->out);
        SSL_free(s->ssl);
        free(s);
        return alfup_err_ssl(err, "TLS session"), NULL;
    }
    BIO_set_mem_eof_return(s->in, -1);
    SSL_set_bio(s->ssl, s->in, s->out);
    if (side == TLS_SIDE_SERVER) {
        SSL_set_accept_state(s->ssl);
    } else {
        SSL_set_connect_state(s->ssl);
        if (expected_host && set_expected_host(s->ssl, expected_host, err) != ALFUP_OK) {
            tls_session_destroy(&s);
            return NULL;
        }
    }
    return s;
}

void tls_session_destroy(tls_session_t **session_p)
{
    if (session_p == NULL || *session_p == NULL)
        return;
    SSL_free((*session_p)->ssl);
    free(*session_p);
    *session_p = NULL;
}

/* The per-certificate verify callback of a server session with an admit_revoked policy. A
 * client certificate the CRL revokes is let through the rest of the verification when the
 * policy admits its name: the chain's signatures and dates are still checked after the CRL,
 * and the handshake goes on to check the peer's CertificateVerify (its key). Any other
 * failure fails as without the callback. */
static int verify_admitting_revoked(int ok, X509_STORE_CTX *ctx)
{
    if (ok || X509_STORE_CTX_get_error(ctx) != X509_V_ERR_CERT_REVOKED || X509_STORE_CTX_get_error_depth(ctx) != 0)
        return ok;
    SSL *ssl = X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    tls_session_t *s = ssl ? SSL_get_app_data(ssl) : NULL;
    cert_identity_t identity;
    alfup_err_t err;
    if (s == NULL || s->admit_revoked == NULL ||
        cert_identity_read(X509_STORE_CTX_get_current_cert(ctx), &identity, &err) != ALFUP_OK ||
        !s->admit_revoked(s->admit_arg, identity.name))
        return 0;
    s->admitted_revoked = 1;
    X509_STORE_CTX_set_error(ctx, X509_V_OK);
    return 1;
}

void tls_session_admit_revoked(tls_session_t *s, tls_admit_revoked_fn admit, void *arg)
{
    s->admit_revoked = admit;
    s->admit_arg = arg;
    SSL_set_app_data(s->ssl, s);
    SSL_set_verify(s->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_admitting_revoked);
}

int tls_session_admitted_revoked(const tls_session_t *s)
{
    return s->established && s->admitted_revoked;
}

int tls_session_put_records(tls_session_t *s, const uint8_t *records, size_t len, alfup_err_t *err)
{
    if (len == 0)
        return ALFUP_OK;
    if (len > INT32_MAX || BIO_write(s->in, records, (int)len) != (int)len)
        return alfup_err_ssl(err, "TLS: cannot buffer %zu bytes", len);
    return ALFUP_OK;
}

static int ssl_failure(tls_session_t *s, int ret, const char *what, alfup_err_t *err)
{
    int code = SSL_get_error(s->ssl, ret);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE)
        return ALFUP_AGAIN;
    if (code == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return alfup_err_set(err, "TLS %s: peer closed the session", what);
    }
    long verify = SSL_get_verify_result(s->ssl);
    if (verify != X509_V_OK)
        return alfup_err_ssl(err, "TLS %s: certificate refused (%s)", what,
                             X509_verify_cert_error_string(verify));
    return alfup_err_ssl(err, "TLS %s failed", what);
}

int tls_session_handshake(tls_session_t *s, alfup_err_t *err)
{
    if (s->established)
        return ALFUP_OK;
    int ret = SSL_do_handshake(s->ssl);
    if (ret != 1)
        return ssl_failure(s, ret, "handshake", err);
    if (cert_identity_read(SSL_get0_peer_certificate(s->ssl), &s->peer, err) != ALFUP_OK)
        return alfup_err_prefix(err, "TLS handshake: peer certificate");
    s->established = 1;
    return ALFUP_OK;
}

int tls_session_established(const tls_session_t *s)
{
    return s->established;
}

int tls_session_write(tls_session_t *s, const uint8_t *data, size_t len, alfup_err_t *err)
{
    if (!s->established)
        return alfup_err_set(err, "TLS: write before the handshake finished");
    size_t written = 0;
    if (len > 0 && SSL_write_ex(s->ssl, data, len, &written) != 1)
        return ssl_failure(s, 0, "write", err) == ALFUP_AGAIN
                   ? alfup_err_set(err, "TLS write: session not writable")
                   : ALFUP_ERR;
    return ALFUP_OK;
}

int tls_session_read(tls_session_t *s, uint8_t *buf, size_t cap, size_t *got, alfup_err_t *err)
{
    *got = 0;
    if (!s->established)
        return ALFUP_AGAIN;
    if (SSL_read_ex(s->ssl, buf, cap, got) == 1)
        return ALFUP_OK;
    return ssl_failure(s, 0, "read", err);
}

size_t tls_session_take_records(tls_session_t *s, uint8_t *buf, size_t cap)
{
    int n = BIO_read(s->out, buf, (int)(cap > INT32_MAX ? INT32_MAX : cap));
    return n > 0 ? (size_t)n : 0;
}

X509 *tls_session_peer_cert(const tls_session_t *s, STACK_OF(X509) **chain)
{
    *chain = s->established ? SSL_get_peer_cert_chain(s->ssl) : NULL;
    return s->established ? SSL_get0_peer_certificate(s->ssl) : NULL;
}

const cert_identity_t *tls_session_peer(const tls_session_t *s)
{
    return s->established ? &s->peer : NULL;
}
