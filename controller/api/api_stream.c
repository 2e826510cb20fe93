/* api_stream.c -- the API's event streams (GET /api/v1/events): Server-Sent Events from the journal's
 * events, fed from the client's Last-Event-ID on, cut when the CRL revokes the client or it stops reading. */
#include "api_server_internal.h"

#include <jansson.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "message.h"

void api_stream_close(api_server_t *s, api_session_t *session)
{
    for (api_session_t **link = &s->streams; *link; link = &(*link)->next_stream)
        if (*link == session) {
            *link = session->next_stream;
            break;
        }
    session->stream = 0;
    api_session_reset(session);
}

/* Starts an event stream: the headers now, the events from api_stream_feed_all, from the client's
 * Last-Event-ID on (a reconnecting client gets everything it missed, in order, once). */
int api_stream_open(api_server_t *s, struct lws *wsi, api_session_t *session)
{
    char last[32] = "";
    if (lws_hdr_custom_copy(wsi, last, sizeof last, "last-event-id:", 14) > 0)
        session->last_id = strtoll(last, NULL, 10);
    unsigned char header[LWS_PRE + API_HEADER_MAX], *start = header + LWS_PRE, *p = start;
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
            alfup_log(LOG_LEVEL_WARN, API_COMPONENT, "event stream of %s cut: %s", session->request.who, err.msg);
            lws_set_timeout(session->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
    }
}

/* One feeding's answers from the daemon, by the event id they follow: streams at the same event (every
 * stream that keeps up) share one question and one formatting, so a tick costs the daemon's loop one
 * query, not one per stream (the events are the same for every reader). */
#define FEED_ANSWERS_MAX 16

typedef struct {
    long long after, last_id;
    char *text; /* the SSE text, LWS_PRE bytes in front; NULL when nothing came after `after` */
    size_t len;
} feed_answer_t;

typedef struct {
    feed_answer_t answers[FEED_ANSWERS_MAX];
    unsigned count, next;
} feed_answers_t;

static const feed_answer_t *feed_answer(api_server_t *s, feed_answers_t *cache, const api_request_t *who,
                                        long long after)
{
    for (unsigned i = 0; i < cache->count; i++)
        if (cache->answers[i].after == after)
            return &cache->answers[i];
    feed_answer_t *a;
    if (cache->count < FEED_ANSWERS_MAX) {
        a = &cache->answers[cache->count++];
    } else { /* more positions than kept: the oldest answer goes */
        a = &cache->answers[cache->next];
        cache->next = (cache->next + 1) % FEED_ANSWERS_MAX;
        free(a->text);
    }
    *a = (feed_answer_t){.after = after, .last_id = after};
    api_request_t request = *who;
    request.action = API_EVENTS;
    request.after = after;
    char *body = NULL;
    if (api_ask_daemon(s, &request, &body) == 200 && body)
        a->text = format_events(body, &a->last_id, &a->len);
    free(body);
    return a;
}

static void feed_answers_free(feed_answers_t *cache)
{
    for (unsigned i = 0; i < cache->count; i++)
        free(cache->answers[i].text);
}

static void feed_stream(api_server_t *s, feed_answers_t *cache, api_session_t *session, uint64_t now)
{
    if (session->reply != NULL) { /* the client has not taken the last part yet */
        if (now - session->queued_ms > API_STREAM_STALL_MS) {
            alfup_log(LOG_LEVEL_WARN, API_COMPONENT, "event stream of %s cut: it read nothing for %d ms (it resumes "
                      "with Last-Event-ID)", session->request.who, API_STREAM_STALL_MS);
            lws_set_timeout(session->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
        return;
    }
    const feed_answer_t *answer = feed_answer(s, cache, &session->request, session->last_id);
    char *text = NULL;
    size_t len = 0;
    if (answer->text && (text = malloc(LWS_PRE + answer->len + 1)) != NULL) {
        memcpy(text, answer->text, LWS_PRE + answer->len + 1);
        len = answer->len;
        session->last_id = answer->last_id;
    }
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
void api_stream_feed_all(api_server_t *s)
{
    uint64_t now = alfup_now_mono_ms();
    if (s->streams == NULL || now - s->fed_ms < API_EVENTS_POLL_MS)
        return;
    s->fed_ms = now;
    check_stream_certificates(s);
    feed_answers_t cache = {.count = 0};
    for (api_session_t *session = s->streams; session; session = session->next_stream)
        feed_stream(s, &cache, session, now);
    feed_answers_free(&cache);
}
