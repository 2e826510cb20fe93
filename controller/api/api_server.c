/* api_server.c -- libwebsockets serving /api/v1 over TLS with client certificates; one thread, which
 * waits at most API_DAEMON_TIMEOUT_MS for the daemon's answer to each request (the daemon never
 * waits for the API: a slow client holds up only this thread). */
#include "api_server_internal.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "api_body.h"
#include "api_console.h"
#include "api_request.h"
#include "api_routes.h"
#include "log.h"
#include "message.h"
#include "tls_context.h"

#define SERVICE_MS 100
#define WRITE_CHUNK (16u * 1024u)
#define JSON_TYPE "application/json"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- replies ---- */

void api_session_reset(api_session_t *session)
{
    if (session->stream)
        return; /* a stream lives until its connection closes (api_stream_close) */
    free(session->body);
    free(session->reply);
    memset(session, 0, sizeof *session);
}

/* Queues status and body (of content type type) and asks for a writable callback. -1 to drop the connection. */
static int respond_typed(struct lws *wsi, api_session_t *session, unsigned status, const char *type, const char *body)
{
    size_t len = strlen(body);
    free(session->reply);
    session->reply = malloc(LWS_PRE + len + 1);
    if (session->reply == NULL)
        return -1;
    memcpy(session->reply + LWS_PRE, body, len);
    session->reply_len = len;
    session->reply_sent = 0;
    unsigned char header[LWS_PRE + API_HEADER_MAX], *start = header + LWS_PRE, *p = start;
    unsigned char *end = header + sizeof header - 1;
    if (lws_add_http_common_headers(wsi, status, type, len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-store", 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

static int respond(struct lws *wsi, api_session_t *session, unsigned status, const char *body)
{
    return respond_typed(wsi, session, status, JSON_TYPE, body);
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
    api_session_reset(session);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}


/* ---- the console page ---- */

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p, unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value,
                                       (int)strlen(value), p, end);
}

/* GET of one of the console's files (api_console.h), with the page's security headers. */
static int respond_console(api_server_t *s, struct lws *wsi, api_session_t *session, const char *path)
{
    api_console_file_t file;
    alfup_err_t err;
    if (api_console_read(s->config.console_dir, path, LWS_PRE, &file, &err) != ALFUP_OK) {
        alfup_log(LOG_LEVEL_ERROR, API_COMPONENT, "%s", err.msg);
        return respond_error(wsi, session, 404, "the console's files are not installed on this controller");
    }
    free(session->reply);
    session->reply = file.bytes;
    session->reply_len = file.len;
    session->reply_sent = 0;
    unsigned char header[LWS_PRE + API_HEADER_MAX], *start = header + LWS_PRE, *p = start;
    unsigned char *end = header + sizeof header - 1;
    if (lws_add_http_common_headers(wsi, 200, file.type, file.len, &p, end) ||
        add_header(wsi, "cache-control:", "no-cache", &p, end) ||
        add_header(wsi, "content-security-policy:", API_CONSOLE_CSP, &p, end) ||
        add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
        add_header(wsi, "x-frame-options:", "DENY", &p, end) ||
        add_header(wsi, "referrer-policy:", "no-referrer", &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

/* GET /api/v1/whoami: the certificate's name, serial and roles, and which actions they allow (the
 * page shows a button only for those; the daemon checks the rights again on every request). */
static int respond_whoami(struct lws *wsi, api_session_t *session)
{
    static const api_action_t WRITES[] = {API_START, API_APPROVE, API_RESUME, API_ROLLBACK, API_CANCEL, API_AUDIT};
    const char *names[CERT_ROLE_COUNT];
    size_t count = cert_roles_names(session->roles, names);
    json_t *roles = json_array(), *may = json_object();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(roles, json_string(names[i]));
    for (size_t i = 0; i < sizeof WRITES / sizeof WRITES[0]; i++)
        json_object_set_new(may, api_action_name(WRITES[i]),
                            json_boolean(session->roles & api_route_roles(WRITES[i])));
    json_t *object = json_pack("{s:s, s:s, s:o, s:o}", "name", session->request.who, "serial",
                               session->request.serial, "roles", roles, "may", may);
    char *body = object ? json_dumps(object, JSON_COMPACT) : NULL;
    json_decref(object);
    int rc = body ? respond(wsi, session, 200, body) : respond_error(wsi, session, 500, "out of memory");
    free(body);
    return rc;
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
unsigned api_ask_daemon(api_server_t *s, api_request_t *request, char **body)
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
    /* in slices, so that a controller stopping (its loop gone) does not wait out the deadline */
    for (uint64_t now = alfup_now_mono_ms(); now < deadline && *body == NULL && !atomic_load(&s->stop);
         now = alfup_now_mono_ms()) {
        zmq_pollitem_t item = {.socket = s->dealer, .events = ZMQ_POLLIN};
        long wait_ms = (long)(deadline - now) < SERVICE_MS ? (long)(deadline - now) : SERVICE_MS;
        if (zmq_poll(&item, 1, wait_ms) > 0)
            receive_answer(s, request->seq, &status, body);
    }
    if (*body == NULL && !atomic_load(&s->stop))
        alfup_log(LOG_LEVEL_ERROR, API_COMPONENT, "the controller's loop did not answer %s in %d ms",
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
    if (r->denied[0]) {
        /* refused by identify: the daemon audits it and answers 403 */
    } else if (!(session->roles & api_route_roles(r->action))) {
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
    unsigned status = api_ask_daemon(s, r, &body);
    if (body == NULL)
        return respond_error(wsi, session, status, "the controller did not answer in time");
    const char *type = JSON_TYPE;
    if (status == 200 && r->action == API_METRICS) {
        char *metrics = api_identity_metrics(s, body);
        free(body);
        if ((body = metrics) == NULL)
            return respond_error(wsi, session, 500, "out of memory");
        type = METRICS_TYPE;
    } else if (status == 200 && r->text) {
        type = TEXT_TYPE;
    }
    int rc = respond_typed(wsi, session, status, type, body);
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
    api_session_reset(session);
    const char *method;
    int post = method_of(wsi, &method);
    alfup_err_t err;
    int refused = api_identify(s, wsi, session, &err) != ALFUP_OK;
    if (refused)
        alfup_log(LOG_LEVEL_WARN, API_COMPONENT, "refused %s %s from %s%s%s: %s", method, path, session->request.address,
                  session->request.who[0] ? " by " : "", session->request.who, err.msg);
    if (refused && session->request.who[0] == '\0')
        return respond_error(wsi, session, 403, err.msg);
    api_route_result_t route =
        api_route_match(method, path, &session->request.action, session->request.run, sizeof session->request.run);
    if (refused && route != API_ROUTE_OK)
        return respond_error(wsi, session, 403, err.msg);
    if (refused) { /* a known identity refused: the daemon audits it */
        snprintf(session->request.denied, sizeof session->request.denied, "%.120s", err.msg);
        return dispatch(s, wsi, session);
    }
    if (strcmp(method, "GET") == 0 && api_console_type(path) != NULL)
        return respond_console(s, wsi, session, path);
    if (route == API_ROUTE_OK && session->request.action == API_WHOAMI)
        return respond_whoami(wsi, session); /* answered here: nothing to ask the daemon */
    if (route != API_ROUTE_OK)
        return respond_error(wsi, session, route == API_ROUTE_BAD_METHOD ? 405 : 404,
                             route == API_ROUTE_BAD_METHOD ? "method not allowed here" : "no such resource");
    if (!post && session->request.action == API_EVENTS)
        return api_stream_open(s, wsi, session);
    char accept[64] = "";
    if (lws_hdr_copy(wsi, accept, sizeof accept, WSI_TOKEN_HTTP_ACCEPT) > 0 && strncmp(accept, "text/plain", 10) == 0)
        session->request.text = session->request.action == API_AGENTS || session->request.action == API_RUNS ||
                                session->request.action == API_RUN;
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
            api_stream_close(s, session);
        if (session)
            api_session_reset(session);
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
    alfup_log(level == LLL_ERR ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, API_COMPONENT, "libwebsockets: %s", text);
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
    api_stream_feed_all(s);
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
    if (s->config.console_dir == NULL)
        s->config.console_dir = ALFUP_DEFAULT_CONSOLE_DIR;
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
