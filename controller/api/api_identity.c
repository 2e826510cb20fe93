/* api_identity.c -- who is asking the API: the client's certificate against the CRL and the roles, and the
 * operators' certificates seen, for GET /metrics. */
#include "api_server_internal.h"

#include <openssl/bn.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_identity.h"
#include "log.h"

static void serial_hex(X509 *cert, char *out, size_t len)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    snprintf(out, len, "%s", hex ? hex : "?");
    OPENSSL_free(hex);
    BN_free(bn);
}

/* Remembers an accepted operator's certificate expiry for GET /metrics (the first OPERATORS_SEEN_MAX). */
static void note_operator(api_server_t *s, const api_request_t *request, int64_t not_after_unix)
{
    for (size_t i = 0; i < s->operator_count; i++)
        if (strcmp(s->operators[i].name, request->who) == 0 && strcmp(s->operators[i].serial, request->serial) == 0)
            return;
    if (s->operator_count == OPERATORS_SEEN_MAX)
        return;
    operator_seen_t *seen = &s->operators[s->operator_count++];
    snprintf(seen->name, sizeof seen->name, "%s", request->who);
    snprintf(seen->serial, sizeof seen->serial, "%s", request->serial);
    seen->not_after_unix = not_after_unix;
}

/* Fills the request's who, serial and address and session->roles from the client's certificate,
 * checked against the current CRL. ALFUP_ERR with err (the reason for a 403); who is set then when
 * the certificate's name is known (a revoked operator, an agent's certificate: the refusal is audited). */
int api_identify(api_server_t *s, struct lws *wsi, api_session_t *session, alfup_err_t *err)
{
    SSL *ssl = lws_get_ssl(lws_get_network_wsi(wsi));
    X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
    lws_get_peer_simple(wsi, session->request.address, sizeof session->request.address);
    if (peer == NULL)
        return alfup_err_set(err, "no client certificate");
    cert_identity_t identity;
    if (cert_identity_read(peer, &identity, err) != ALFUP_OK)
        return ALFUP_ERR;
    snprintf(session->request.who, sizeof session->request.who, "%s", identity.name);
    serial_hex(peer, session->request.serial, sizeof session->request.serial);
    alfup_err_t reload_err;
    reload_err.msg[0] = '\0';
    tls_context_current(s->tls, &reload_err);
    if (reload_err.msg[0])
        alfup_log(LOG_LEVEL_WARN, API_COMPONENT, "CRL not reloaded, the previous one stays: %s", reload_err.msg);
    if (tls_context_peer_revoked(s->tls, peer, SSL_get_peer_cert_chain(ssl), err) != 0)
        return alfup_err_prefix(err, "certificate refused");
    if (identity.roles & (ROLE_AGENT_MASK | ROLE_CONTROLLER))
        return alfup_err_set(err, "%s: an agent's or the controller's certificate is not an operator's", identity.name);
    if ((identity.roles & ROLE_CONSOLE_MASK) == 0)
        return alfup_err_set(err, "%s: the certificate carries no operator role", identity.name);
    session->roles = identity.roles;
    note_operator(s, &session->request, identity.not_after_unix);
    return ALFUP_OK;
}

/* The metrics from the daemon, and the operators' certificates this thread has seen (malloc'd). */
char *api_identity_metrics(api_server_t *s, const char *daemon_text)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out == NULL)
        return NULL;
    fprintf(out, "%s# HELP alfup_operator_certificate_expiry_timestamp_seconds When an operator's certificate "
                 "the API accepted expires (Unix time).\n"
                 "# TYPE alfup_operator_certificate_expiry_timestamp_seconds gauge\n", daemon_text);
    for (size_t i = 0; i < s->operator_count; i++)
        if (s->operators[i].not_after_unix > 0)
            fprintf(out, "alfup_operator_certificate_expiry_timestamp_seconds{name=\"%s\",serial=\"%s\"} %lld\n",
                    s->operators[i].name, s->operators[i].serial, (long long)s->operators[i].not_after_unix);
    fclose(out);
    return text;
}
