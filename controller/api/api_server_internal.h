/* api_server_internal.h -- what the API thread's files share (api_server.c, api_stream.c, api_identity.c):
 * the server, a connection's session, and the calls between them. Not for use outside controller/api. */
#ifndef ALFUP_API_SERVER_INTERNAL_H
#define ALFUP_API_SERVER_INTERNAL_H

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "api_request.h"
#include "api_server.h"
#include "tls_context.h"

#define API_COMPONENT "api"
#define API_HEADER_MAX 1024
#define API_HOST_MAX 256
#define OPERATORS_SEEN_MAX 256          /* operators whose certificate expiry GET /metrics reports */

/* An operator's certificate the API has accepted since it started. */
typedef struct operator_seen {
    char name[CERT_NAME_MAX + 1];
    char serial[API_FIELD_MAX];
    int64_t not_after_unix;
} operator_seen_t;

typedef struct api_session api_session_t;
struct api_session {
    int identified;                 /* the request passed identity, route and size checks */
    int stream;                     /* GET /api/v1/events: an event stream, fed by api_stream_feed_all */
    struct lws *wsi;
    api_session_t *next_stream;     /* the server's list of streams */
    long long last_id;              /* the last event id queued for the client */
    uint64_t queued_ms, sent_ms;    /* when the pending part was queued; when the last part went out */
    api_request_t request;
    unsigned roles;
    char *body;                     /* the request body read so far */
    size_t body_len;
    char *reply;                    /* LWS_PRE bytes, then the reply body */
    size_t reply_len, reply_sent;
};

struct api_server {
    api_server_config_t config;
    char host[API_HOST_MAX];
    int port;
    tls_context_t *tls;             /* the CA and CRL every request's certificate is checked against */
    pthread_t thread;
    int thread_started;
    atomic_int stop;
    struct lws_context *lws;
    void *dealer;                   /* the thread's socket to the daemon */
    unsigned long long seq;
    api_session_t *streams;         /* the event streams open */
    lws_sorted_usec_list_t tick;    /* wakes the service loop every API_EVENTS_POLL_MS */
    uint64_t fed_ms;                /* when api_stream_feed_all last asked for events */
    unsigned crl_generation;        /* the CRL the open streams were last checked against */
    operator_seen_t operators[OPERATORS_SEEN_MAX];
    size_t operator_count;
    pthread_mutex_t lock;           /* start-up: the thread reports how creating the context went */
    pthread_cond_t started;
    int start_state;                /* 0 waiting, 1 running, -1 failed */
    alfup_err_t start_err;
};

/* Frees what a finished request held and zeroes the session (a stream's stays until api_stream_close). */
void api_session_reset(api_session_t *session);

/* Sends the request to the daemon's loop and waits for its answer (at most API_DAEMON_TIMEOUT_MS, less
 * when the server stops): the HTTP status, *body malloc'd (NULL and 503 when none came). */
unsigned api_ask_daemon(api_server_t *s, api_request_t *request, char **body);

/* Event streams (api_stream.c): open one for GET /api/v1/events (the headers now, the events from
 * api_stream_feed_all from the client's Last-Event-ID on; -1 to drop the connection), close one, and
 * every API_EVENTS_POLL_MS feed every stream that took what it was sent (cutting revoked or stalled ones). */
int api_stream_open(api_server_t *s, struct lws *wsi, api_session_t *session);
void api_stream_close(api_server_t *s, api_session_t *session);
void api_stream_feed_all(api_server_t *s);

/* Who is asking (api_identity.c): fills the request's who, serial and address and session->roles from
 * the client's certificate, checked against the current CRL. ALFUP_ERR with err (the reason for a 403);
 * who is set then when the certificate's name is known (the refusal is audited). */
int api_identify(api_server_t *s, struct lws *wsi, api_session_t *session, alfup_err_t *err);

/* The daemon's metrics text and the operators' certificates this thread has seen (malloc'd; NULL when
 * memory ran out). */
char *api_identity_metrics(api_server_t *s, const char *daemon_text);

#endif
