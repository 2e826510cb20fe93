/* tls_context.c -- building TLS 1.3 contexts, reloading them when the CRL changes. */
#include "tls_context.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TLS_VERIFY_DEPTH 4

struct tls_context {
    char *ca, *cert, *key, *crl;
    tls_side_t side;
    SSL_CTX *ssl_ctx;
    struct timespec crl_mtime;
    unsigned generation;    /* rebuilds so far */
};

static int load_crl(SSL_CTX *ssl_ctx, const char *crl, alfup_err_t *err)
{
    X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);
    X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
    if (lookup == NULL || X509_load_crl_file(lookup, crl, X509_FILETYPE_PEM) <= 0)
        return alfup_err_ssl(err, "load CRL %s", crl);
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    return ALFUP_OK;
}

static SSL_CTX *build(const tls_context_t *c, alfup_err_t *err)
{
    SSL_CTX *ssl_ctx = SSL_CTX_new(c->side == TLS_SIDE_SERVER ? TLS_server_method() : TLS_client_method());
    if (ssl_ctx == NULL)
        return alfup_err_ssl(err, "TLS context"), NULL;
    if (!SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_3_VERSION) ||
        !SSL_CTX_set_max_proto_version(ssl_ctx, TLS1_3_VERSION)) {
        alfup_err_ssl(err, "TLS context: cannot restrict to TLS 1.3");
        goto fail;
    }
    SSL_CTX_set_options(ssl_ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ssl_ctx, 0);
    if (SSL_CTX_use_certificate_chain_file(ssl_ctx, c->cert) != 1) {
        alfup_err_ssl(err, "load certificate %s", c->cert);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ssl_ctx, c->key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ssl_ctx) != 1) {
        alfup_err_ssl(err, "load key %s (must match %s)", c->key, c->cert);
        goto fail;
    }
    if (SSL_CTX_load_verify_locations(ssl_ctx, c->ca, NULL) != 1) {
        alfup_err_ssl(err, "load CA %s", c->ca);
        goto fail;
    }
    if (c->crl && load_crl(ssl_ctx, c->crl, err) != ALFUP_OK)
        goto fail;
    SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_verify_depth(ssl_ctx, TLS_VERIFY_DEPTH);
    return ssl_ctx;
fail:
    SSL_CTX_free(ssl_ctx);
    return NULL;
}

static int crl_mtime(const char *crl, struct timespec *mtime)
{
    struct stat st;
    memset(mtime, 0, sizeof *mtime);
    if (crl == NULL)
        return 0;
    if (stat(crl, &st) != 0)
        return -1;
    *mtime = st.st_mtim;
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s && s[0] ? strdup(s) : NULL;
}

tls_context_t *tls_context_new(const tls_paths_t *paths, tls_side_t side, alfup_err_t *err)
{
    tls_context_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return alfup_err_set(err, "TLS context: out of memory"), NULL;
    c->side = side;
    c->ca = dup_or_null(paths->ca);
    c->cert = dup_or_null(paths->cert);
    c->key = dup_or_null(paths->key);
    c->crl = dup_or_null(paths->crl);
    if (!c->ca || !c->cert || !c->key) {
        alfup_err_set(err, "TLS context: ca, cert and key are required");
        goto fail;
    }
    if (crl_mtime(c->crl, &c->crl_mtime) != 0) {
        alfup_err_errno(err, errno, "CRL %s", c->crl);
        goto fail;
    }
    c->ssl_ctx = build(c, err);
    if (c->ssl_ctx == NULL)
        goto fail;
    return c;
fail:
    tls_context_destroy(&c);
    return NULL;
}

SSL_CTX *tls_context_current(tls_context_t *c, alfup_err_t *err)
{
    struct timespec now;
    if (c->crl == NULL || crl_mtime(c->crl, &now) != 0 ||
        (now.tv_sec == c->crl_mtime.tv_sec && now.tv_nsec == c->crl_mtime.tv_nsec))
        return c->ssl_ctx;
    SSL_CTX *fresh = build(c, err);
    if (fresh == NULL)
        return c->ssl_ctx;
    SSL_CTX_free(c->ssl_ctx);
    c->ssl_ctx = fresh;
    c->crl_mtime = now;
    c->generation++;
    return c->ssl_ctx;
}

unsigned tls_context_generation(const tls_context_t *c)
{
    return c->generation;
}

int tls_context_peer_revoked(tls_context_t *c, X509 *peer, STACK_OF(X509) *chain, alfup_err_t *err)
{
    if (peer == NULL)
        return alfup_err_set(err, "no peer certificate"), -1;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (ctx == NULL || X509_STORE_CTX_init(ctx, SSL_CTX_get_cert_store(c->ssl_ctx), peer, chain) != 1) {
        X509_STORE_CTX_free(ctx);
        return alfup_err_ssl(err, "certificate check"), -1;
    }
    /* as the handshake checked it: the peer's purpose, the chain depth, the CRL (store flags) */
    X509_STORE_CTX_set_default(ctx, c->side == TLS_SIDE_SERVER ? "ssl_client" : "ssl_server");
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_depth(param, TLS_VERIFY_DEPTH);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
    int rc = 0;
    if (X509_verify_cert(ctx) != 1) {
        int code = X509_STORE_CTX_get_error(ctx);
        rc = code == X509_V_ERR_CERT_REVOKED ? 1 : -1;
        alfup_err_set(err, "%s", X509_verify_cert_error_string(code));
    }
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

void tls_context_destroy(tls_context_t **context_p)
{
    if (context_p == NULL || *context_p == NULL)
        return;
    tls_context_t *c = *context_p;
    SSL_CTX_free(c->ssl_ctx);
    free(c->ca);
    free(c->cert);
    free(c->key);
    free(c->crl);
    free(c);
    *context_p = NULL;
}
