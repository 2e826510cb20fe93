/* api_server.c -- libwebsockets serving /api/v1 over TLS with client certificates; one thread, which
 * waits at most API_DAEMON_TIMEOUT_MS for the daemon's answer to each request (the daemon never
 * waits for the API: a slow client holds up only this thread). */
#include "api_server.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/bn.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "api_body.h"
#include "api_request.h"
#include "api_routes.h"
#include "log.h"
#include "message.h"
#include "tls_context.h"

#define COMPONENT "api"
#define SERVICE_MS 100
#define HEADER_MAX 1024
#define WRITE_CHUNK (16u * 1024u)
#define HOST_MAX 256

typedef struct api_session api_session_t;
struct api_session {
    int identified;                 /* the request passed identity, route and size checks */
    int stream;                     /* GET /api/v1/events: an event stream, fed by feed_streams */
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
    char host[HOST_MAX];
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
    uint64_t fed_ms;                /* when feed_streams last asked for events */
    unsigned crl_generation;        /* the CRL the open streams were last checked against */
    pthread_mutex_t lock;           /* start-up: the thread reports how creating the context went */
    pthread_cond_t started;
    int start_state;                /* 0 waiting, 1 running, -1 failed */
    alfup_err_t start_err;
};

/* ---- replies ---- */

static void session_reset(api_session_t *session)
{
    if (session->stream)
        return; /* a stream lives until its connection closes (stream_close) */
    free(session->body);
    free(session->reply);
    memset(session, 0, sizeof *session);
}

/* Queues status and body (a JSON text) and asks for a writable callback. -1 to drop the connection. */
static int respond(struct lws *wsi, api_session_t *session, unsigned status, const char *body)
{
    size_t len = strlen(body);
    free(session->reply);
    session->reply = malloc(LWS_PRE + len + 1);
    if (session->reply == NULL)
        return -1;
    memcpy(session->reply + LWS_PRE, body, len);
    session->reply_len = len;
    session->reply_sent = 0;
    unsigned char header[LWS_PRE + HEADER_MAX], *start = header + LWS_PRE, *p = start;
    unsigned char *end = header + sizeof header - 1;
    if (lws_add_http_common_headers(wsi, status, "application/json", len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-store", 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int respond_error(struct lws *wsi, api_session_t *session, unsigned status, const char *message)
{
    json_t *object = json_pack("{s:s}", "error", message);
    char *body = object ? json_dumps(object, JSON_COMPACT) : NULL;
    json_decref(object);
    int rc = respond(wsi, session, status, body ? body : "{\"error\": \"out of memory\"}");
    free(body);
    return rc;
}

/* Writes the next part of the reply; -1 closes the connection (after the last part of a reply
 * that asked for that, or on error). */
static int write_more(struct lws *wsi, api_session_t *session)
{
    if (session->reply == NULL)
        return 0;
    size_t left = session->reply_len - session->reply_sent;
    size_t chunk = left > WRITE_CHUNK ? WRITE_CHUNK : left;
    int last = chunk == left;
    unsigned char *at = (unsigned char *)session->reply + LWS_PRE + session->reply_sent;
    if (lws_write(wsi, at, chunk, last && !session->stream ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)chunk)
        return -1;
    session->reply_sent += chunk;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (session->stream) {
        free(session->reply);
        session->reply = NULL;
        session->sent_ms = alfup_now_mono_ms();
        return 0;
    }
    session_reset(session);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static unsigned ask_daemon(api_server_t *s, api_request_t *request, char **body);

/* ---- event streams ---- */

static void stream_close(api_server_t *s, api_session_t *session)
{
    for (api_session_t **link = &s->streams; *link; link = &(*link)->next_stream)
        if (*link == session) {
            *link = session->next_stream;
            break;
        }
    session->stream = 0;
    session_reset(session);
}

/* Starts an event stream: the headers now, the events from feed_streams, from the client's
 * Last-Event-ID on (a reconnecting client gets everything it missed, in order, once). */
static int stream_open(api_server_t *s, struct lws *wsi, api_session_t *session)
{
    char last[32] = "";
    if (lws_hdr_custom_copy(wsi, last, sizeof last, "last-event-id:", 14) > 0)
        session->last_id = strtoll(last, NULL, 10);
    unsigned char header[LWS_PRE + HEADER_MAX], *start = header + LWS_PRE, *p = start;
    unsigned char *end = header + sizeof header - 1;
    if (lws_add_http_common_headers(wsi, 200, "text/event-stream", LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-store", 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0); /* a stream is not idle: feed_stream keeps it alive */
    session->stream = 1;
    session->wsi = wsi;
    session->sent_ms = alfup_now_mono_ms();
    session->next_stream = s->streams;
    s->streams = session;
    s->fed_ms = 0; /* feed it at once */
    return 0;
}

/* Queues text (malloc'd with LWS_PRE bytes in front: ownership moves) for the stream. */
static void stream_queue(api_session_t *session, char *buffer, size_t len)
{
    session->reply = buffer;
    session->reply_len = len;
    session->reply_sent = 0;
    session->queued_ms = alfup_now_mono_ms();
    lws_callback_on_writable(session->wsi);
}

/* The events (a JSON array from the daemon) as SSE text: "id: N\nevent: TYPE\ndata: {...}\n\n" each. */
static char *format_events(const char *array_text, long long *last_id, size_t *len)
{
    json_t *events = json_loads(array_text, 0, NULL);
    char *text = NULL;
    size_t size = 0;
    FILE *out = json_is_array(events) && json_array_size(events) ? open_memstream(&text, &size) : NULL;
    if (out == NULL) {
        json_decref(events);
        return NULL;
    }
    fprintf(out, "%*s", LWS_PRE, "");
    size_t i;
    json_t *event;
    json_array_foreach(events, i, event) {
        char *data = json_dumps(event, JSON_COMPACT);
        long long id = (long long)json_integer_value(json_object_get(event, "id"));
        const char *type = json_string_value(json_object_get(event, "type"));
        fprintf(out, "id: %lld\nevent: %s\ndata: %s\n\n", id, type ? type : "event", data ? data : "{}");
        free(data);
        *last_id = id;
    }
    fclose(out);
    json_decref(events);
    *len = size - LWS_PRE;
    return text;
}

/* Cuts streams whose certificate the CRL now revokes (checked when the CRL changes). */
static void check_stream_certificates(api_server_t *s)
{
    alfup_err_t err;
    err.msg[0] = '\0';
    tls_context_current(s->tls, &err);
    if (tls_context_generation(s->tls) == s->crl_generation)
        return;
    s->crl_generation = tls_context_generation(s->tls);
    for (api_session_t *session = s->streams; session; session = session->next_stream) {
        SSL *ssl = lws_get_ssl(lws_get_network_wsi(session->wsi));
        X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
        if (peer == NULL || tls_context_peer_revoked(s->tls, peer, SSL_get_peer_cert_chain(ssl), &err) != 0) {
            alfup_log(LOG_LEVEL_WARN, COMPONENT, "event stream of %s cut: %s", session->request.who, err.msg);
            lws_set_timeout(session->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
    }
}

static void feed_stream(api_server_t *s, api_session_t *session, uint64_t now)
{
    if (session->reply != NULL) { /* the client has not taken the last part yet */
        if (now - session->queued_ms > API_STREAM_STALL_MS) {
            alfup_log(LOG_LEVEL_WARN, COMPONENT, "event stream of %s cut: it read nothing for %d ms (it resumes "
                      "with Last-Event-ID)", session->request.who, API_STREAM_STALL_MS);
            lws_set_timeout(session->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
        return;
    }
    api_request_t request = session->request;
    request.action = API_EVENTS;
    request.after = session->last_id;
    char *body = NULL, *text = NULL;
    size_t len = 0;
    if (ask_daemon(s, &request, &body) == 200 && body)
        text = format_events(body, &session->last_id, &len);
    free(body);
    if (text == NULL && now - session->sent_ms >= (uint64_t)s->config.idle_timeout_s * 1000 / 2) {
        static const char KEEPALIVE[] = ": keepalive\n\n";
        text = malloc(LWS_PRE + sizeof KEEPALIVE);
        if (text)
            memcpy(text + LWS_PRE, KEEPALIVE, sizeof KEEPALIVE), len = sizeof KEEPALIVE - 1;
    }
    if (text)
        stream_queue(session, text, len);
}

/* Every API_EVENTS_POLL_MS: new events for every stream that has taken what it was sent. */
static void feed_streams(api_server_t *s)
{
    uint64_t now = alfup_now_mono_ms();
    if (s->streams == NULL || now - s->fed_ms < API_EVENTS_POLL_MS)
        return;
    s->fed_ms = now;
    check_stream_certificates(s);
    for (api_session_t *session = s->streams; session; session = session->next_stream)
        feed_stream(s, session, now);
}

/* ---- who is asking ---- */

static void serial_hex(X509 *cert, char *out, size_t len)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    snprintf(out, len, "%s", hex ? hex : "?");
    OPENSSL_free(hex);
    BN_free(bn);
}

/* Fills the request's who, serial and address and session->roles from the client's certificate,
 * checked against the current CRL. ALFUP_ERR with err (the reason for a 403). */
static int identify(api_server_t *s, struct lws *wsi, api_session_t *session, alfup_err_t *err)
{
    SSL *ssl = lws_get_ssl(lws_get_network_wsi(wsi));
    X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
    lws_get_peer_simple(wsi, session->request.address, sizeof session->request.address);
    if (peer == NULL)
        return alfup_err_set(err, "no client certificate");
    alfup_err_t reload_err;
    reload_err.msg[0] = '\0';
    tls_context_current(s->tls, &reload_err);
    if (reload_err.msg[0])
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "CRL not reloaded, the previous one stays: %s", reload_err.msg);
    if (tls_context_peer_revoked(s->tls, peer, SSL_get_peer_cert_chain(ssl), err) != 0)
        return alfup_err_prefix(err, "certificate refused");
    cert_identity_t identity;
    if (cert_identity_read(peer, &identity, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (identity.roles & (ROLE_AGENT_MASK | ROLE_CONTROLLER))
        return alfup_err_set(err, "%s: an agent's or the controller's certificate is not an operator's", identity.name);
    if ((identity.roles & ROLE_CONSOLE_MASK) == 0)
        return alfup_err_set(err, "%s: the certificate carries no operator role", identity.name);
    snprintf(session->request.who, sizeof session->request.who, "%s", identity.name);
    serial_hex(peer, session->request.serial, sizeof session->request.serial);
    session->roles = identity.roles;
    return ALFUP_OK;
}

/* ---- the daemon's answer ---- */

static int receive_frame(void *socket, char **text, size_t *len)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, socket, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return -1;
    }
    *len = zmq_msg_size(&msg);
    *text = malloc(*len + 1);
    if (*text)
        memcpy(*text, zmq_msg_data(&msg), *len), (*text)[*len] = '\0';
    int more = zmq_msg_more(&msg);
    zmq_msg_close(&msg);
    return *text ? more : -1;
}

/* Reads one answer: 1 with *status and *body when it is the answer to seq, 0 for a stale one. */
static int receive_answer(api_server_t *s, unsigned long long seq, unsigned *status, char **body)
{
    char *frames[3] = {NULL, NULL, NULL};
    size_t len = 0;
    int count = 0, more = 1;
    while (more == 1 && count < 3)
        more = receive_frame(s->dealer, &frames[count++], &len);
    int match = count == 3 && more == 0 && frames[0] && strtoull(frames[0], NULL, 10) == seq;
    if (match) {
        *status = (unsigned)strtoul(frames[1], NULL, 10);
        *body = frames[2];
        frames[2] = NULL;
    }
    for (int i = 0; i < 3; i++)
        free(frames[i]);
    return match;
}

/* Sends the request to the daemon's loop and waits for its answer. *body is malloc'd. */
static unsigned ask_daemon(api_server_t *s, api_request_t *request, char **body)
{
    request->seq = ++s->seq;
    char *text = api_request_encode(request);
    *body = NULL;
    if (text == NULL || zmq_send(s->dealer, text, strlen(text), ZMQ_DONTWAIT) < 0) {
        free(text);
        return 503;
    }
    free(text);
    uint64_t deadline = alfup_now_mono_ms() + API_DAEMON_TIMEOUT_MS;
    unsigned status = 0;
    for (uint64_t now = alfup_now_mono_ms(); now < deadline && *body == NULL; now = alfup_now_mono_ms()) {
        zmq_pollitem_t item = {.socket = s->dealer, .events = ZMQ_POLLIN};
        if (zmq_poll(&item, 1, (long)(deadline - now)) > 0)
            receive_answer(s, request->seq, &status, body);
    }
    if (*body == NULL)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "the controller's loop did not answer %s in %d ms",
                  api_action_name(request->action), API_DAEMON_TIMEOUT_MS);
    return *body ? status : 503;
}

/* ---- requests ---- */

static const char *const NO_KEYS[] = {NULL};
static const char *const PLAN_KEYS[] = {"plan", NULL};
static const char *const GATE_KEYS[] = {"gate", NULL};
static const char *const FLEET_KEYS[] = {"fleet", NULL};

/* The body is in: decode it, check the rights, ask the daemon, answer. */
static int dispatch(api_server_t *s, struct lws *wsi, api_session_t *session)
{
    api_request_t *r = &session->request;
    alfup_err_t err;
    if (!(session->roles & api_route_roles(r->action))) {
        char needed[64];
        cert_roles_format(api_route_roles(r->action), needed, sizeof needed);
        snprintf(r->denied, sizeof r->denied, "%s needs the role %s", api_action_name(r->action), needed);
    } else if (r->action == API_START &&
               api_body_decode(session->body, session->body_len, PLAN_KEYS, "plan", 1, r->plan, sizeof r->plan,
                               &err) != ALFUP_OK) {
        return respond_error(wsi, session, 400, err.msg);
    } else if (r->action == API_FLEET_START &&
               api_body_decode(session->body, session->body_len, FLEET_KEYS, "fleet", 1, r->plan, sizeof r->plan,
                               &err) != ALFUP_OK) {
        return respond_error(wsi, session, 400, err.msg);
    } else if (r->action == API_APPROVE &&
               api_body_decode(session->body, session->body_len, GATE_KEYS, "gate", 0, r->gate, sizeof r->gate,
                               &err) != ALFUP_OK) {
        return respond_error(wsi, session, 400, err.msg);
    } else if (api_action_is_write(r->action) && r->action != API_START && r->action != API_APPROVE &&
               r->action != API_FLEET_START &&
               api_body_decode(session->body, session->body_len, NO_KEYS, "", 0, r->plan, sizeof r->plan, &err) !=
                   ALFUP_OK) {
        return respond_error(wsi, session, 400, err.msg);
    }
    char *body = NULL;
    unsigned status = ask_daemon(s, r, &body);
    int rc = body ? respond(wsi, session, status, body)
                  : respond_error(wsi, session, status, "the controller did not answer in time");
    free(body);
    return rc;
}

static int method_of(struct lws *wsi, const char **method)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
        *method = "GET";
    else if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
        *method = "POST";
    else
        *method = "OTHER";
    return strcmp(*method, "POST") == 0;
}

/* A new request: who, which route, how big. Answers at once when any is wrong; else a GET is
 * dispatched now and a POST when its body is in. */
static int on_http(api_server_t *s, struct lws *wsi, api_session_t *session, const char *path)
{
    session_reset(session);
    const char *method;
    int post = method_of(wsi, &method);
    alfup_err_t err;
    if (identify(s, wsi, session, &err) != ALFUP_OK) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "refused %s %s from %s: %s", method, path, session->request.address,
                  err.msg);
        return respond_error(wsi, session, 403, err.msg);
    }
    api_route_result_t route =
        api_route_match(method, path, &session->request.action, session->request.run, sizeof session->request.run);
    if (route != API_ROUTE_OK)
        return respond_error(wsi, session, route == API_ROUTE_BAD_METHOD ? 405 : 404,
                             route == API_ROUTE_BAD_METHOD ? "method not allowed here" : "no such resource");
    if (!post && session->request.action == API_EVENTS)
        return stream_open(s, wsi, session);
    if (!post)
        return dispatch(s, wsi, session);
    char length[32] = "";
    int has_length = lws_hdr_copy(wsi, length, sizeof length, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
    if (has_length && strtoull(length, NULL, 10) > API_BODY_MAX)
        return respond_error(wsi, session, 413, "the body is over 65536 bytes");
    int chunked = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
    if ((!has_length || strtoull(length, NULL, 10) == 0) && !chunked)
        return dispatch(s, wsi, session); /* no body: libwebsockets reports no body completion */
    session->identified = 1;
    return 0;
}

static int on_body(struct lws *wsi, api_session_t *session, const void *in, size_t len)
{
    (void)wsi;
    if (!session->identified)
        return 0;
    if (session->body_len + len > API_BODY_MAX)
        return -1; /* no Content-Length, and more than the limit: drop the connection */
    char *grown = realloc(session->body, session->body_len + len + 1);
    if (grown == NULL)
        return -1;
    session->body = grown;
    memcpy(session->body + session->body_len, in, len);
    session->body_len += len;
    return 0;
}

static int on_event(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    api_server_t *s = lws_context_user(lws_get_context(wsi));
    api_session_t *session = user;
    switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
        /* TLS 1.2 at least (browsers and curl speak 1.3) */
        return SSL_CTX_set_min_proto_version((SSL_CTX *)user, TLS1_2_VERSION) == 1 ? 0 : 1;
    case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
        /* len is OpenSSL's verdict on the chain: libwebsockets accepts whatever this returns 0 for */
        return len ? 0 : 1;
    case LWS_CALLBACK_HTTP:
        return on_http(s, wsi, session, in ? (const char *)in : "");
    case LWS_CALLBACK_HTTP_BODY:
        return on_body(wsi, session, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (!session->identified)
            return 0;
        session->identified = 0;
        return dispatch(s, wsi, session);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return write_more(wsi, session);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (session && session->stream)
            stream_close(s, session);
        if (session)
            session_reset(session);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols PROTOCOLS[] = {
    {"http", on_event, sizeof(api_session_t), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- the thread ---- */

static void lws_log_line(int level, const char *line)
{
    char text[512];
    snprintf(text, sizeof text, "%s", line);
    text[strcspn(text, "\n")] = '\0';
    alfup_log(level == LLL_ERR ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, COMPONENT, "libwebsockets: %s", text);
}

static struct lws_context *create_context(api_server_t *s)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = s->port;
    info.iface = s->host;
    info.protocols = PROTOCOLS;
    info.user = s;
    info.alpn = "http/1.1";
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT |
                   LWS_SERVER_OPTION_DISABLE_IPV6;
    info.ssl_cert_filepath = s->config.cert;
    info.ssl_private_key_filepath = s->config.key;
    info.ssl_ca_filepath = s->config.ca;
    info.timeout_secs = s->config.idle_timeout_s;
    info.keepalive_timeout = (int)s->config.idle_timeout_s;
    return lws_create_context(&info);
}

static void report_start(api_server_t *s, int state, const char *why)
{
    pthread_mutex_lock(&s->lock);
    s->start_state = state;
    if (why)
        alfup_err_set(&s->start_err, "%s", why);
    pthread_cond_signal(&s->started);
    pthread_mutex_unlock(&s->lock);
}

/* libwebsockets' service waits for network events only: this timer feeds the streams (and lets the
 * loop see a stop request). */
static void on_tick(lws_sorted_usec_list_t *tick)
{
    api_server_t *s = lws_container_of(tick, api_server_t, tick);
    feed_streams(s);
    lws_sul_schedule(s->lws, 0, &s->tick, on_tick, API_EVENTS_POLL_MS * LWS_US_PER_MS);
}

static void *thread_main(void *arg)
{
    api_server_t *s = arg;
    s->dealer = zmq_socket(s->config.zmq_context, ZMQ_DEALER);
    int linger = 0;
    if (s->dealer == NULL || zmq_setsockopt(s->dealer, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_connect(s->dealer, API_BRIDGE_ENDPOINT) != 0) {
        report_start(s, -1, "api: cannot connect to the daemon's loop");
        goto out;
    }
    s->lws = create_context(s);
    if (s->lws == NULL) {
        report_start(s, -1, "api: cannot listen (address in use, or the certificate files unreadable)");
        goto out;
    }
    report_start(s, 1, NULL);
    lws_sul_schedule(s->lws, 0, &s->tick, on_tick, API_EVENTS_POLL_MS * LWS_US_PER_MS);
    while (!atomic_load(&s->stop))
        lws_service(s->lws, SERVICE_MS);
out:
    if (s->lws)
        lws_context_destroy(s->lws);
    s->lws = NULL;
    if (s->dealer)
        zmq_close(s->dealer);
    s->dealer = NULL;
    return NULL;
}

static int split_listen(api_server_t *s, const char *listen, alfup_err_t *err)
{
    const char *colon = strrchr(listen, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    if (colon == NULL || colon == listen || (size_t)(colon - listen) >= sizeof s->host || end == colon + 1 ||
        *end != '\0' || port < 1 || port > 65535)
        return alfup_err_set(err, "api listen '%s': expected HOST:PORT", listen);
    snprintf(s->host, sizeof s->host, "%.*s", (int)(colon - listen), listen);
    s->port = (int)port;
    return ALFUP_OK;
}

api_server_t *api_server_new(const api_server_config_t *config, alfup_err_t *err)
{
    api_server_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return alfup_err_set(err, "api: out of memory"), NULL;
    s->config = *config;
    if (s->config.idle_timeout_s == 0)
        s->config.idle_timeout_s = API_DEFAULT_IDLE_TIMEOUT_S;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->started, NULL);
    tls_paths_t paths = {.ca = config->ca, .cert = config->cert, .key = config->key, .crl = config->crl};
    if (split_listen(s, config->listen, err) != ALFUP_OK || (s->tls = tls_context_new(&paths, TLS_SIDE_SERVER, err)) == NULL)
        goto fail;
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_line);
    if (pthread_create(&s->thread, NULL, thread_main, s) != 0) {
        alfup_err_set(err, "api: cannot start its thread");
        goto fail;
    }
    s->thread_started = 1;
    pthread_mutex_lock(&s->lock);
    while (s->start_state == 0)
        pthread_cond_wait(&s->started, &s->lock);
    pthread_mutex_unlock(&s->lock);
    if (s->start_state < 0) {
        alfup_err_set(err, "%s (listen %s)", s->start_err.msg, config->listen);
        goto fail;
    }
    return s;
fail:
    api_server_destroy(&s);
    return NULL;
}

void api_server_destroy(api_server_t **server_p)
{
    if (server_p == NULL || *server_p == NULL)
        return;
    api_server_t *s = *server_p;
    atomic_store(&s->stop, 1);
    if (s->thread_started) {
        pthread_mutex_lock(&s->lock);
        if (s->lws)
            lws_cancel_service(s->lws);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    tls_context_destroy(&s->tls);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->started);
    free(s);
    *server_p = NULL;
}
