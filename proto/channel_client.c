/* channel_client.c -- the agent's end of the channel: handshakes on every (re)connect,
 * checks the controller's name and role, heartbeats, resets silent sessions. */
#include "channel_client.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_identity.h"
#include "log.h"
#include "secure_link.h"
#include "wire_frame.h"

#define COMPONENT "channel"
#define HOST_MAX 256
#define RETRY_BASE_MS 500u
#define RETRY_MAX_MS 30000u

struct channel_client {
    void *socket;
    void *monitor;
    tls_context_t *tls;
    channel_client_config_t config;
    channel_client_events_t events;
    char host[HOST_MAX];
    char monitor_endpoint[64];
    secure_link_t *link;
    uint32_t epoch;
    int verified;             /* handshake done and the controller's role checked */
    int connected;            /* ZeroMQ has a TCP connection */
    int heard;                /* the controller answered this session's handshake */
    uint64_t started_ms, last_rx_ms, last_tx_ms;
    uint64_t last_beat_ms;          /* the last heartbeat sent */
    uint64_t last_tick_ms;     /* a longer gap between ticks is our own stall, not the controller's */
    uint64_t next_attempt_ms;  /* no new session before this (backoff after a refusal) */
    uint64_t retry_ms;         /* the current backoff */
};

/* The controller's host name from tcp://HOST:PORT or ZeroMQ's tcp://SOURCE;HOST:PORT (a
 * chosen local address to connect from). */
static int parse_host(const char *endpoint, char *host, size_t len, alfup_err_t *err)
{
    const char *start = strncmp(endpoint, "tcp://", 6) == 0 ? endpoint + 6 : NULL;
    const char *source_end = start ? strchr(start, ';') : NULL;
    if (source_end != NULL)
        start = source_end + 1;
    const char *colon = start ? strrchr(start, ':') : NULL;
    if (start == NULL || colon == NULL || colon == start || (size_t)(colon - start) >= len)
        return alfup_err_set(err, "controller endpoint %s is not tcp://HOST:PORT", endpoint);
    if (start[0] == '[' && colon[-1] == ']')  /* tcp://[::1]:7411 */
        snprintf(host, len, "%.*s", (int)(colon - start - 2), start + 1);
    else
        snprintf(host, len, "%.*s", (int)(colon - start), start);
    return ALFUP_OK;
}

/* ---- session lifecycle ---- */

static void end_session(channel_client_t *c, const char *reason, int tell_controller)
{
    if (c->link == NULL)
        return;
    if (tell_controller) {
        uint8_t header[WIRE_HEADER_BYTES];
        wire_frame_header(WIRE_FRAME_RESET, c->epoch, header);
        zmq_send(c->socket, header, sizeof header, ZMQ_DONTWAIT);
    }
    secure_link_destroy(&c->link);
    if (c->verified && c->events.disconnected)
        c->events.disconnected(c->events.arg, reason);
    if (c->verified)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "session to %s ended: %s", c->config.endpoint, reason);
    c->verified = 0;
}

static int flush_records(channel_client_t *c)
{
    uint8_t frame[WIRE_FRAME_MAX];
    size_t len;
    while ((len = secure_link_take_records(c->link, frame + WIRE_HEADER_BYTES, WIRE_PAYLOAD_MAX)) > 0) {
        wire_frame_header(WIRE_FRAME_TLS, c->epoch, frame);
        if (zmq_send(c->socket, frame, WIRE_HEADER_BYTES + len, ZMQ_DONTWAIT) < 0)
            return -1;
        c->last_tx_ms = alfup_now_mono_ms();
    }
    return 0;
}

/* The attempt failed or was refused: wait before the next one, longer each time. */
static void back_off(channel_client_t *c, const char *reason)
{
    end_session(c, reason, 0);
    c->retry_ms = c->retry_ms ? c->retry_ms * 2 : RETRY_BASE_MS;
    if (c->retry_ms > RETRY_MAX_MS)
        c->retry_ms = RETRY_MAX_MS;
    c->next_attempt_ms = alfup_now_mono_ms() + c->retry_ms;
}

/* Refused before the handshake began (the controller had too many in progress): that says
 * nothing against this agent, so retry after 0.5-2 s, spread at random so a crowd of
 * reconnecting agents does not come back at once, and without growing the backoff. */
static void retry_soon(channel_client_t *c, const char *reason)
{
    end_session(c, reason, 0);
    uint16_t jitter = 0;
    if (RAND_bytes((unsigned char *)&jitter, sizeof jitter) != 1)
        jitter = (uint16_t)c->epoch;
    c->next_attempt_ms = alfup_now_mono_ms() + RETRY_BASE_MS + jitter % (3u * RETRY_BASE_MS);
}

static void start_session(channel_client_t *c)
{
    end_session(c, "starting a new session", 0);
    alfup_err_t err;
    alfup_err_t crl_err = {{0}};
    SSL_CTX *ssl_ctx = tls_context_current(c->tls, &crl_err);
    c->link = secure_link_new(ssl_ctx, TLS_SIDE_CLIENT, c->host, &err);
    c->started_ms = c->last_rx_ms = alfup_now_mono_ms();
    c->heard = 0;
    if (c->link == NULL) {
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "cannot start a TLS session: %s", err.msg);
        return;
    }
    if (RAND_bytes((unsigned char *)&c->epoch, sizeof c->epoch) != 1)
        c->epoch++;
    /* Nothing has arrived yet: this only produces the ClientHello. */
    if (secure_link_receive(c->link, NULL, 0, &err) != ALFUP_OK || flush_records(c) != 0)
        alfup_log(LOG_LEVEL_DEBUG, COMPONENT, "handshake start deferred: %s", err.msg);
}

static int verify_controller(channel_client_t *c)
{
    const cert_identity_t *peer = secure_link_peer(c->link);
    if (!(peer->roles & ROLE_CONTROLLER)) {
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "refused controller %s (%s): certificate has no controller role",
                  c->config.endpoint, peer->name);
        end_session(c, "controller certificate has no controller role", 1);
        back_off(c, "controller certificate has no controller role");
        return -1;
    }
    c->verified = 1;
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "session to controller %s (%s) established", c->config.endpoint,
              peer->name);
    if (c->events.connected)
        c->events.connected(c->events.arg);
    return 0;
}

static void dispatch(channel_client_t *c)
{
    alfup_msg_t msg;
    alfup_err_t err;
    int rc;
    while (c->link && (rc = secure_link_next(c->link, &msg, &err)) == ALFUP_OK) {
        c->retry_ms = 0; /* the controller accepted us: the next failure starts a fresh backoff */
        if (msg.kind != MSG_HEARTBEAT && c->events.message)
            c->events.message(c->events.arg, &msg);
        alfup_msg_clear(&msg);
    }
    if (c->link && rc == ALFUP_ERR) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "controller %s: %s", c->config.endpoint, err.msg);
        end_session(c, err.msg, 1);
    }
}

static void on_frame(channel_client_t *c, const uint8_t *bytes, size_t len)
{
    wire_frame_t frame;
    alfup_err_t err;
    if (wire_frame_parse(bytes, len, &frame, &err) != ALFUP_OK) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "controller %s: %s", c->config.endpoint, err.msg);
        return;
    }
    if (c->link == NULL || frame.epoch != c->epoch)
        return; /* about an earlier session attempt */
    if (frame.type == WIRE_FRAME_RESET) {
        alfup_log(LOG_LEVEL_INFO, COMPONENT, "controller %s asked for a new session", c->config.endpoint);
        if (c->heard)
            back_off(c, "controller reset the session");
        else
            retry_soon(c, "controller busy with other handshakes");
        return;
    }
    c->heard = 1;
    c->last_rx_ms = alfup_now_mono_ms();
    int was_established = secure_link_established(c->link);
    if (secure_link_receive(c->link, frame.payload, frame.payload_len, &err) != ALFUP_OK) {
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "controller %s: %s", c->config.endpoint, err.msg);
        flush_records(c);
        back_off(c, err.msg);
        return;
    }
    if (flush_records(c) != 0)
        alfup_log(LOG_LEVEL_DEBUG, COMPONENT, "send deferred: %s", zmq_strerror(errno));
    if (!was_established && secure_link_established(c->link) && verify_controller(c) != 0)
        return;
    if (c->verified)
        dispatch(c);
}

static void on_monitor_event(channel_client_t *c)
{
    zmq_msg_t event, address;
    zmq_msg_init(&event);
    zmq_msg_init(&address);
    if (zmq_msg_recv(&event, c->monitor, ZMQ_DONTWAIT) >= 0) {
        uint16_t id = 0;
        if (zmq_msg_size(&event) >= sizeof id)
            memcpy(&id, zmq_msg_data(&event), sizeof id);
        if (zmq_msg_more(&event))
            zmq_msg_recv(&address, c->monitor, 0);
        if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) { /* ZMTP is up: the pipe takes frames */
            c->connected = 1;
            if (alfup_now_mono_ms() >= c->next_attempt_ms)
                start_session(c); /* every new connection gets a fresh handshake */
            else
                end_session(c, "reconnected", 0); /* tick starts one after the backoff */
        } else if (id == ZMQ_EVENT_DISCONNECTED) {
            c->connected = 0;
            end_session(c, "connection lost", 0);
        }
    }
    zmq_msg_close(&event);
    zmq_msg_close(&address);
}

void channel_client_poll_items(channel_client_t *c, zmq_pollitem_t *items)
{
    items[0] = (zmq_pollitem_t){.socket = c->socket, .events = ZMQ_POLLIN};
    items[1] = (zmq_pollitem_t){.socket = c->monitor, .events = ZMQ_POLLIN};
}

static int has_input(void *socket)
{
    int events = 0;
    size_t len = sizeof events;
    return zmq_getsockopt(socket, ZMQ_EVENTS, &events, &len) == 0 && (events & ZMQ_POLLIN);
}

int channel_client_handle_input(channel_client_t *c, alfup_err_t *err)
{
    while (has_input(c->monitor))
        on_monitor_event(c);
    for (;;) {
        zmq_msg_t data;
        zmq_msg_init(&data);
        if (zmq_msg_recv(&data, c->socket, ZMQ_DONTWAIT) < 0) {
            int saved = errno;
            zmq_msg_close(&data);
            return saved == EAGAIN ? ALFUP_OK : alfup_err_set(err, "receive: %s", zmq_strerror(saved));
        }
        if (!zmq_msg_more(&data))
            on_frame(c, zmq_msg_data(&data), zmq_msg_size(&data));
        zmq_msg_close(&data);
    }
}

void channel_client_tick(channel_client_t *c)
{
    uint64_t now = alfup_now_mono_ms();
    uint64_t beat_ms = (uint64_t)c->config.heartbeat_s * 1000u;
    if (!c->connected)
        return;
    if (c->link == NULL) {
        if (now >= c->next_attempt_ms)
            start_session(c);
        return;
    }
    if (!c->verified && now - c->started_ms > (uint64_t)c->config.handshake_timeout_s * 1000u) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "controller %s: handshake not finished within %u s",
                  c->config.endpoint, c->config.handshake_timeout_s);
        back_off(c, "handshake timeout");
        return;
    }
    if (!c->verified)
        return;
    /* While this loop stalled (a long fsync, a starved CPU) no heartbeat went out, so none could
     * come back: the stall is not counted as the controller's silence. */
    uint64_t gap = c->last_tick_ms != 0 && now > c->last_tick_ms ? now - c->last_tick_ms : 0;
    c->last_tick_ms = now;
    if (gap > beat_ms)
        c->last_rx_ms = c->last_rx_ms + gap < now ? c->last_rx_ms + gap : now;
    if (now - c->last_rx_ms > beat_ms * CHANNEL_SILENCE_BEATS) {
        end_session(c, "controller silent", 1);
        start_session(c);
        return;
    }
    /* a heartbeat when nothing went out for a beat, and also when nothing came in for one: a step's
     * progress keeps the link busy one way, and the controller answers heartbeats only */
    if (now - c->last_tx_ms >= beat_ms || (now - c->last_rx_ms >= beat_ms && now - c->last_beat_ms >= beat_ms)) {
        c->last_beat_ms = now;
        alfup_msg_t beat = {.kind = MSG_HEARTBEAT, .heartbeat_unix_ms = alfup_now_unix_ms()};
        alfup_err_t err;
        if (channel_client_send(c, &beat, &err) != ALFUP_OK)
            alfup_log(LOG_LEVEL_WARN, COMPONENT, "heartbeat: %s", err.msg);
    }
}

int channel_client_send(channel_client_t *c, alfup_msg_t *msg, alfup_err_t *err)
{
    if (!c->verified)
        return alfup_err_set(err, "no session to the controller");
    if (secure_link_send(c->link, msg, err) != ALFUP_OK) {
        end_session(c, err->msg, 1);
        return ALFUP_ERR;
    }
    if (flush_records(c) != 0)
        return alfup_err_set(err, "send to controller: %s", zmq_strerror(errno));
    return ALFUP_OK;
}

int channel_client_established(const channel_client_t *c)
{
    return c->verified;
}

channel_client_t *channel_client_new(void *zmq_context, const channel_client_config_t *config,
                                     const channel_client_events_t *events, alfup_err_t *err)
{
    channel_client_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return alfup_err_set(err, "channel: out of memory"), NULL;
    c->config = *config;
    c->events = *events;
    if (parse_host(config->endpoint, c->host, sizeof c->host, err) != ALFUP_OK)
        goto fail;
    c->tls = tls_context_new(&config->tls, TLS_SIDE_CLIENT, err);
    if (c->tls == NULL)
        goto fail;
    c->socket = zmq_socket(zmq_context, ZMQ_DEALER);
    c->monitor = zmq_socket(zmq_context, ZMQ_PAIR);
    if (c->socket == NULL || c->monitor == NULL) {
        alfup_err_set(err, "channel: socket: %s", zmq_strerror(errno));
        goto fail;
    }
    int64_t max_size = WIRE_FRAME_MAX;
    int one = 1, linger = 0, reconnect_ms = 200, reconnect_max_ms = 2000;
    zmq_setsockopt(c->socket, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size);
    zmq_setsockopt(c->socket, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt(c->socket, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(c->monitor, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(c->socket, ZMQ_RECONNECT_IVL, &reconnect_ms, sizeof reconnect_ms);
    zmq_setsockopt(c->socket, ZMQ_RECONNECT_IVL_MAX, &reconnect_max_ms, sizeof reconnect_max_ms);
    snprintf(c->monitor_endpoint, sizeof c->monitor_endpoint, "inproc://alfup-monitor-%p", (void *)c);
    if (zmq_socket_monitor(c->socket, c->monitor_endpoint, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) != 0 ||
        zmq_connect(c->monitor, c->monitor_endpoint) != 0) {
        alfup_err_set(err, "channel: monitor: %s", zmq_strerror(errno));
        goto fail;
    }
    if (zmq_connect(c->socket, config->endpoint) != 0) {
        alfup_err_set(err, "channel: connect %s: %s", config->endpoint, zmq_strerror(errno));
        goto fail;
    }
    return c;
fail:
    channel_client_destroy(&c);
    return NULL;
}

void channel_client_destroy(channel_client_t **client_p)
{
    if (client_p == NULL || *client_p == NULL)
        return;
    channel_client_t *c = *client_p;
    c->verified = 0; /* no callbacks while tearing down */
    secure_link_destroy(&c->link);
    if (c->socket) {
        zmq_socket_monitor(c->socket, NULL, 0);
        zmq_close(c->socket);
    }
    if (c->monitor)
        zmq_close(c->monitor);
    tls_context_destroy(&c->tls);
    free(c);
    *client_p = NULL;
}
