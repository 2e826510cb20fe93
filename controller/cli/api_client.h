/* api_client.h -- the command line's side of the operators' HTTPS API (docs/api.md): one request with
 * libcurl, the operator's client certificate, the controller checked against the CA. */
#ifndef ALFUP_API_CLIENT_H
#define ALFUP_API_CLIENT_H

#include "alfup_error.h"

#define API_CLIENT_TIMEOUT_S 60L
#define API_CLIENT_REPLY_MAX (16u * 1024u * 1024u) /* a longer answer is refused */

typedef struct api_client {
    const char *base;   /* https://HOST:PORT (a trailing / is allowed) */
    const char *cert, *key;
    const char *ca;     /* NULL: the system's CAs */
} api_client_t;

/* Sends method ("GET", "POST") to base + path with body (JSON, NULL for none); text asks for the
 * admin socket's text (Accept: text/plain). *status is the HTTP status, *reply the answer's body
 * (malloc'd, NUL-terminated). ALFUP_ERR with err when no answer came (connection, TLS, the
 * controller's certificate not from the CA, a reply over API_CLIENT_REPLY_MAX). */
int api_client_request(const api_client_t *client, const char *method, const char *path, const char *body, int text,
                       long *status, char **reply, alfup_err_t *err);

#endif
