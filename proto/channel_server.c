/* channel_server.c -- the controller's end of the channel: sessions keyed by routing id and
 * epoch, identity from certificates, heartbeats, expiry, replacement of stale sessions. */
#include "channel_server.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cert_identity.h"
#include "key_map.h"
#include "log.h"
#include "secure_link.h"
#include "str_list.h"
#include "wire_frame.h"

#define ROUTING_ID_MAX 256
#define ADDRESS_MAX 64
#define COMPONENT "channel"

/* CLOSED: refused; kept a while so the rest of the refused flight (same routing id
 * and epoch) is ignored instead of being taken for a new handshake. */
typedef enum session_state {
    SESSION_HANDSHAKE,
    SESSION_AWAIT_HELLO,
    SESSION_ONLINE,
    SESSION_CLOSED
} session_state_t;

typedef struct session {
    uint8_t routing_id[ROUTING_ID_MAX];
    size_t routing_id_len;
    uint32_t epoch;
    secure_link_t *link;
    session_state_t state;
    cert_identity_t identity;
    char address[ADDRESS_MAX];
    uint64_t created_ms, last_rx_ms;
    size_t slot;                      /* its index in channel_server.sessions */
    unsigned tls_generation;          /* of the TLS context (CRL) its certificate was checked with */
    int dead;                         /* dropped: out of every index, freed by reap_dead */
    struct session *next_dead;
} session_t;

struct channel_server {
    void *socket;
    char endpoint[256];
    tls_context_t *tls;
    channel_server_config_t config;
    channel_server_events_t events;
    session_t **sessions;             /* every session, for the timers */
    size_t count, capacity;
    key_map_t *by_routing_id;         /* every session */
    key_map_t *by_name;               /* online sessions, by certificate name */
    unsigned pending, online, closed; /* sessions per state (pending: handshake or awaiting hello) */
    uint64_t busy_logged_ms;          /* last "too many handshakes" line, at most one a second */
    unsigned busy_unlogged;           /* refusals since that line */
    uint64_t crl_checked_ms;          /* last look at the CRL file, at most one a second */
    unsigned checked_generation;      /* every authenticated session was checked with it */
    session_t *dead;                  /* dropped sessions, freed once no frame or callback uses them */
    str_list_t revoked_names;         /* proven names whose certificate is revoked (see admit_revoked) */
};

/* ---- session table ---- */

static session_t *find_by_routing_id(channel_server_t *s, const uint8_t *rid, size_t len)
{
    return key_map_get(s->by_routing_id, rid, len);
}

static session_t *find_online(channel_server_t *s, const char *name)
{
    return key_map_get(s->by_name, name, strlen(name));
}

static unsigned *state_counter(channel_server_t *s, session_state_t state)
{
    return state == SESSION_ONLINE ? &s->online : state == SESSION_CLOSED ? &s->closed : &s->pending;
}

/* Moves session to state, keeping the counters and the index of online names. Going online
 * fails (-1, state unchanged) only when the name index cannot grow. */
static int set_state(channel_server_t *s, session_t *session, session_state_t state)
{
    if (state == SESSION_ONLINE && session->state != SESSION_ONLINE &&
        key_map_put(s->by_name, session->identity.name, strlen(session->identity.name), session) != 0)
        return -1;
    if (session->state == SESSION_ONLINE && state != SESSION_ONLINE)
        key_map_remove(s->by_name, session->identity.name, strlen(session->identity.name));
    (*state_counter(s, session->state))--;
    (*state_counter(s, state))++;
    session->state = state;
    return 0;
}

/* Removes the session from every index and tells the owner when it was online and reason is
 * set. It is only freed by reap_dead, when no frame's processing or callback can still hold it:
 * an owner's callback may send, and a failed send drops the session it was called for. */
static void drop_session(channel_server_t *s, session_t *session, const char *reason)
{
    if (session->dead)
        return;
    session_t *last = s->sessions[--s->count];
    s->sessions[session->slot] = last;
    last->slot = session->slot;
    key_map_remove(s->by_routing_id, session->routing_id, session->routing_id_len);
    int was_online = session->state == SESSION_ONLINE;
    set_state(s, session, SESSION_CLOSED);
    s->closed--;
    session->dead = 1;
    session->next_dead = s->dead;
    s->dead = session;
    if (was_online && reason && s->events.peer_down) {
        char name[sizeof session->identity.name];
        snprintf(name, sizeof name, "%s", session->identity.name);
        s->events.peer_down(s->events.arg, name, reason);
    }
}

/* Frees the dropped sessions. Only where none is in use: after a frame, after the timers. */
static void reap_dead(channel_server_t *s)
{
    while (s->dead) {
        session_t *session = s->dead;
        s->dead = session->next_dead;
        secure_link_destroy(&session->link);
        free(session);
    }
}

/* The policy for a client certificate the CRL revokes (secure_link_admit_revoked): it may finish
 * its handshake, and so prove the name in it, unless that name is already known revoked or a
 * session with a valid certificate holds it. Once proven, the session is refused (refuse_revoked)
 * and the name is known: its next handshakes are refused outright, with the TLS alert that tells
 * the agent why. A controller restarted after a revocation names the agent this way. */
static int admit_revoked(void *arg, const char *name)
{
    channel_server_t *s = arg;
    return !str_list_contains(&s->revoked_names, name) && find_online(s, name) == NULL;
}

/* Notes name as proven revoked (logged when out of memory: its handshakes are then let through
 * and refused again, which costs only time). */
static void note_revoked(channel_server_t *s, const char *name)
{
    if (!str_list_contains(&s->revoked_names, name) && str_list_add(&s->revoked_names, name) != 0)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "agent %s: out of memory noting its certificate revoked", name);
}

static session_t *add_session(channel_server_t *s, const uint8_t *rid, size_t rid_len,
                              uint32_t epoch, const char *address, alfup_err_t *err)
{
    if (s->count == s->capacity) {
        size_t capacity = s->capacity ? s->capacity * 2 : 64;
        session_t **grown = realloc(s->sessions, capacity * sizeof *grown);
        if (grown == NULL)
            return alfup_err_set(err, "out of memory"), NULL;
        s->sessions = grown;
        s->capacity = capacity;
    }
    session_t *session = calloc(1, sizeof *session);
    if (session == NULL)
        return alfup_err_set(err, "out of memory"), NULL;
    memcpy(session->routing_id, rid, rid_len);
    session->routing_id_len = rid_len;
    if (key_map_put(s->by_routing_id, session->routing_id, rid_len, session) != 0) {
        free(session);
        return alfup_err_set(err, "out of memory"), NULL;
    }
    alfup_err_t tls_err = {{0}};
    SSL_CTX *ssl_ctx = tls_context_current(s->tls, &tls_err);
    if (tls_err.msg[0])
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "reloading the CRL failed, keeping the old one: %s", tls_err.msg);
    session->tls_generation = tls_context_generation(s->tls);
    /* an idle session gives its 16 KiB read and write record buffers back (most are idle) */
    SSL_CTX_set_mode(ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
    session->link = secure_link_new(ssl_ctx, TLS_SIDE_SERVER, NULL, err);
    if (session->link == NULL) {
        key_map_remove(s->by_routing_id, rid, rid_len);
        free(session);
        return NULL;
    }
    secure_link_admit_revoked(session->link, admit_revoked, s);
    session->epoch = epoch;
    session->state = SESSION_HANDSHAKE;
    s->pending++;
    snprintf(session->address, sizeof session->address, "%s", address);
    session->created_ms = session->last_rx_ms = alfup_now_mono_ms();
    session->slot = s->count;
    s->sessions[s->count++] = session;
    return session;
}

/* ---- sending ---- */

static int send_frame(channel_server_t *s, const session_t *session, int type,
                      const uint8_t *payload, size_t len)
{
    uint8_t frame[WIRE_FRAME_MAX];
    wire_frame_header(type, session->epoch, frame);
    if (len > 0)
        memcpy(frame + WIRE_HEADER_BYTES, payload, len);
    if (zmq_send(s->socket, session->routing_id, session->routing_id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    return zmq_send(s->socket, frame, WIRE_HEADER_BYTES + len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

/* Sends every TLS record the session has produced. */
static int flush_records(channel_server_t *s, session_t *session)
{
    uint8_t records[WIRE_PAYLOAD_MAX];
    size_t len;
    while ((len = secure_link_take_records(session->link, records, sizeof records)) > 0)
        if (send_frame(s, session, WIRE_FRAME_TLS, records, len) != 0)
            return -1;
    return 0;
}

static void send_reset(channel_server_t *s, const uint8_t *rid, size_t rid_len, uint32_t epoch)
{
    session_t target = {.routing_id_len = rid_len, .epoch = epoch};
    memcpy(target.routing_id, rid, rid_len);
    if (send_frame(s, &target, WIRE_FRAME_RESET, NULL, 0) != 0)
        alfup_log(LOG_LEVEL_DEBUG, COMPONENT, "reset not sent: %s", zmq_strerror(errno));
}

int channel_server_send(channel_server_t *s, const char *name, alfup_msg_t *msg, alfup_err_t *err)
{
    session_t *session = find_online(s, name);
    if (session == NULL)
        return alfup_err_set(err, "agent %s is not online", name);
    if (secure_link_send(session->link, msg, err) != ALFUP_OK) {
        alfup_err_prefix(err, "agent %s", name);
        drop_session(s, session, "send failed");
        return ALFUP_ERR;
    }
    if (flush_records(s, session) != 0) {
        alfup_err_set(err, "agent %s: send failed: %s", name, zmq_strerror(errno));
        drop_session(s, session, "send failed");
        return ALFUP_ERR;
    }
    return ALFUP_OK;
}

/* ---- receiving ---- */

static void refuse(channel_server_t *s, session_t *session, const char *reason)
{
    if (session->dead)
        return;
    alfup_log(LOG_LEVEL_WARN, COMPONENT, "refused peer %s%s%s: %s", session->address,
              session->identity.name[0] ? " " : "", session->identity.name, reason);
    send_reset(s, session->routing_id, session->routing_id_len, session->epoch);
    int was_online = session->state == SESSION_ONLINE;
    secure_link_destroy(&session->link);
    set_state(s, session, SESSION_CLOSED);
    session->created_ms = alfup_now_mono_ms();
    if (was_online && s->events.peer_down) { /* last: the owner may send, and drop what it finds */
        char name[sizeof session->identity.name];
        snprintf(name, sizeof name, "%s", session->identity.name);
        s->events.peer_down(s->events.arg, name, reason);
    }
}

/* The peer finished its handshake with a revoked certificate (admit_revoked let it through):
 * its name is proven, as when a reloaded CRL cuts a live session, so the owner hears of the
 * refusal (peer_refused), unless a session with a valid certificate holds that name. */
static void refuse_revoked(channel_server_t *s, session_t *session)
{
    char name[sizeof session->identity.name];
    snprintf(name, sizeof name, "%s", session->identity.name);
    note_revoked(s, name);
    int held = find_online(s, name) != NULL;
    int agent = (session->identity.roles & s->config.required_roles) != 0;
    refuse(s, session, "certificate revoked");
    if (agent && !held && s->events.peer_refused)
        s->events.peer_refused(s->events.arg, name, "certificate revoked");
}

/* The handshake just finished: check the certificate's revocation and roles. */
static int authorize(channel_server_t *s, session_t *session)
{
    session->identity = *secure_link_peer(session->link);
    if (secure_link_admitted_revoked(session->link)) {
        refuse_revoked(s, session);
        return -1;
    }
    if ((session->identity.roles & s->config.required_roles) == 0) {
        refuse(s, session, "certificate carries no agent role");
        return -1;
    }
    if (session->identity.roles & s->config.refused_roles) {
        refuse(s, session, "certificate carries a role an agent may not hold (an operator's certificate?)");
        return -1;
    }
    set_state(s, session, SESSION_AWAIT_HELLO);
    return 0;
}

/* The session's first envelope: it must be a Hello in the certificate's name. -1 when the
 * session was refused, or dropped by the owner's reaction to peer_up (a send that failed). */
static int on_hello(channel_server_t *s, session_t *session, const alfup_msg_t *msg)
{
    if (msg->kind != MSG_HELLO) {
        refuse(s, session, "first message is not a hello");
        return -1;
    }
    if (strcmp(msg->hello.name, session->identity.name) != 0) {
        char reason[200];
        snprintf(reason, sizeof reason, "agent calls itself '%.64s' but its certificate says '%s'",
                 msg->hello.name, session->identity.name);
        refuse(s, session, reason);
        return -1;
    }
    session_t *old = find_online(s, session->identity.name);
    if (old != NULL) {
        alfup_log(LOG_LEVEL_INFO, COMPONENT, "agent %s: new session from %s replaces the one from %s",
                  session->identity.name, session->address, old->address);
        drop_session(s, old, NULL); /* no reason: the agent is not reported down */
    }
    if (set_state(s, session, SESSION_ONLINE) != 0) {
        refuse(s, session, "out of memory");
        return -1;
    }
    str_list_remove(&s->revoked_names, session->identity.name); /* it holds a valid certificate now */
    char roles[64], name[sizeof session->identity.name], address[ADDRESS_MAX];
    cert_roles_format(session->identity.roles, roles, sizeof roles);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "agent %s online from %s (roles %s, version %.32s)",
              session->identity.name, session->address, roles, msg->hello.version);
    snprintf(name, sizeof name, "%s", session->identity.name);
    snprintf(address, sizeof address, "%s", session->address);
    if (s->events.peer_up)
        s->events.peer_up(s->events.arg, name, session->identity.roles, address);
    return session->dead ? -1 : 0;
}

static void answer_heartbeat(channel_server_t *s, session_t *session)
{
    alfup_msg_t beat = {.kind = MSG_HEARTBEAT, .heartbeat_unix_ms = alfup_now_unix_ms()};
    alfup_err_t err;
    if (channel_server_send(s, session->identity.name, &beat, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "%s", err.msg);
}

/* Decodes and dispatches every complete envelope. -1 when the session died, refused here or
 * dropped by the owner's reaction to a callback (it stays allocated until reap_dead). The
 * callbacks get a copy of the name: whatever they do, it stays valid while they run. */
static int dispatch(channel_server_t *s, session_t *session)
{
    alfup_msg_t msg;
    alfup_err_t err;
    int rc;
    char name[sizeof session->identity.name];
    while ((rc = secure_link_next(session->link, &msg, &err)) == ALFUP_OK) {
        int was_hello = session->state == SESSION_AWAIT_HELLO;
        if (was_hello && on_hello(s, session, &msg) != 0) {
            alfup_msg_clear(&msg);
            return -1;
        }
        snprintf(name, sizeof name, "%s", session->identity.name);
        if (msg.kind == MSG_HEARTBEAT && !was_hello)
            answer_heartbeat(s, session);
        else if (s->events.message)
            s->events.message(s->events.arg, name, &msg);
        alfup_msg_clear(&msg);
        if (session->dead || session->link == NULL)
            return -1; /* the owner's reaction dropped it, or a send failed */
    }
    if (rc == ALFUP_ERR) {
        refuse(s, session, err.msg);
        return -1;
    }
    return 0;
}

/* One peer address may hold at most this share (1/N) of the handshake slots, so
 * that a flood from one host cannot keep agents on other hosts from reconnecting. */
#define PENDING_SHARE_PER_ADDRESS 4u
#define BUSY_LOG_INTERVAL_MS 1000u

/* How many handshakes one address may have in progress. */
static unsigned address_share(const channel_server_t *s)
{
    unsigned share = s->config.max_pending_handshakes / PENDING_SHARE_PER_ADDRESS;
    return share > 0 ? share : 1;
}

/* 1 when address already holds its share of the handshake slots. A scan, but
 * only while more than a share of the slots is taken. */
static int address_over_share(const channel_server_t *s, const char *address)
{
    unsigned share = address_share(s);
    if (s->pending < share)
        return 0;
    unsigned held = 0;
    for (size_t i = 0; i < s->count && held < share; i++) {
        const session_t *other = s->sessions[i];
        held += (other->state == SESSION_HANDSHAKE || other->state == SESSION_AWAIT_HELLO) &&
                strcmp(other->address, address) == 0;
    }
    return held >= share;
}

/* A refused handshake is logged at most once a second, with how many were refused since. */
static void log_busy(channel_server_t *s, const char *address, int over_share)
{
    uint64_t now = alfup_now_mono_ms();
    if (s->busy_logged_ms != 0 && now - s->busy_logged_ms < BUSY_LOG_INTERVAL_MS) {
        s->busy_unlogged++;
        return;
    }
    alfup_log(LOG_LEVEL_WARN, COMPONENT,
              "refused peer %s: too many handshakes in progress%s (%u); %u more refused since the last such line",
              address, over_share ? " from this address" : "",
              over_share ? address_share(s) : s->config.max_pending_handshakes, s->busy_unlogged);
    s->busy_logged_ms = now;
    s->busy_unlogged = 0;
}

static session_t *session_for_frame(channel_server_t *s, const uint8_t *rid, size_t rid_len,
                                    const wire_frame_t *frame, const char *address)
{
    session_t *session = find_by_routing_id(s, rid, rid_len);
    if (session != NULL && session->epoch == frame->epoch)
        return session->state == SESSION_CLOSED ? NULL : session;
    if (session != NULL) /* the agent started over: its old session on this connection is gone */
        drop_session(s, session, "agent started a new session");
    int full = s->pending >= s->config.max_pending_handshakes;
    if (full || address_over_share(s, address)) {
        log_busy(s, address, !full);
        /* told at once, an agent retries after its backoff instead of its handshake timeout */
        send_reset(s, rid, rid_len, frame->epoch);
        return NULL;
    }
    alfup_err_t err;
    session = add_session(s, rid, rid_len, frame->epoch, address, &err);
    if (session == NULL)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "peer %s: %s", address, err.msg);
    return session;
}

static void on_frame(channel_server_t *s, const uint8_t *rid, size_t rid_len, const uint8_t *bytes,
                     size_t len, const char *address)
{
    wire_frame_t frame;
    alfup_err_t err;
    if (wire_frame_parse(bytes, len, &frame, &err) != ALFUP_OK) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "refused peer %s: %s", address, err.msg);
        session_t *known = find_by_routing_id(s, rid, rid_len);
        if (known)
            drop_session(s, known, err.msg);
        return;
    }
    if (frame.type == WIRE_FRAME_RESET) {
        session_t *known = find_by_routing_id(s, rid, rid_len);
        if (known && known->epoch == frame.epoch)
            drop_session(s, known, "agent reset its session");
        return;
    }
    session_t *session = session_for_frame(s, rid, rid_len, &frame, address);
    if (session == NULL)
        return;
    session->last_rx_ms = alfup_now_mono_ms();
    int was_established = secure_link_established(session->link);
    if (secure_link_receive(session->link, frame.payload, frame.payload_len, &err) != ALFUP_OK) {
        flush_records(s, session); /* lets the peer see the TLS alert */
        refuse(s, session, err.msg);
        return;
    }
    if (!was_established && secure_link_established(session->link) && authorize(s, session) != 0)
        return;
    if (session->state != SESSION_HANDSHAKE && dispatch(s, session) != 0)
        return;
    if (flush_records(s, session) != 0)
        drop_session(s, session, "send failed");
}

/* Reads one [routing id][frame] message; ALFUP_AGAIN when none is waiting. */
static int read_one(channel_server_t *s, alfup_err_t *err)
{
    zmq_msg_t rid, data;
    zmq_msg_init(&rid);
    zmq_msg_init(&data);
    int rc = ALFUP_OK;
    if (zmq_msg_recv(&rid, s->socket, ZMQ_DONTWAIT) < 0) {
        rc = errno == EAGAIN ? ALFUP_AGAIN : alfup_err_set(err, "receive: %s", zmq_strerror(errno));
        goto out;
    }
    if (!zmq_msg_more(&rid) || zmq_msg_recv(&data, s->socket, 0) < 0) {
        rc = alfup_err_set(err, "receive: malformed ROUTER message");
        goto out;
    }
    while (zmq_msg_more(&data)) { /* extra frames: not ours; drain them */
        zmq_msg_close(&data);
        zmq_msg_init(&data);
        if (zmq_msg_recv(&data, s->socket, 0) < 0)
            break;
    }
    const char *address = zmq_msg_gets(&data, "Peer-Address");
    if (zmq_msg_size(&rid) > ROUTING_ID_MAX) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "refused peer %s: routing id too long", address ? address : "?");
        goto out;
    }
    on_frame(s, zmq_msg_data(&rid), zmq_msg_size(&rid), zmq_msg_data(&data), zmq_msg_size(&data),
             address ? address : "unknown");
    reap_dead(s); /* the frame's processing is over: nothing holds a dropped session now */
out:
    zmq_msg_close(&rid);
    zmq_msg_close(&data);
    return rc;
}

int channel_server_handle_input(channel_server_t *s, alfup_err_t *err)
{
    int rc;
    while ((rc = read_one(s, err)) == ALFUP_OK)
        ;
    return rc == ALFUP_AGAIN ? ALFUP_OK : ALFUP_ERR;
}

/* ---- the CRL changed: authenticated sessions are checked again ---- */

#define CRL_CHECK_INTERVAL_MS 1000u

/* Checks one authenticated session made under an older CRL; cuts it when the CRL now revokes
 * its certificate (peer_down when it was online, then peer_refused). 1 when it was cut. */
static int recheck_session(channel_server_t *s, session_t *session, unsigned generation)
{
    alfup_err_t err;
    session->tls_generation = generation;
    int revoked = secure_link_peer_revoked(session->link, s->tls, &err);
    if (revoked < 0)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "agent %s at %s: certificate check after the CRL changed: %s; "
                  "session kept, its next handshake decides", session->identity.name, session->address, err.msg);
    if (revoked != 1)
        return 0;
    char name[sizeof session->identity.name];
    snprintf(name, sizeof name, "%s", session->identity.name);
    note_revoked(s, name); /* its next handshakes get the TLS alert that says why */
    refuse(s, session, err.msg);
    if (s->events.peer_refused)
        s->events.peer_refused(s->events.arg, name, err.msg);
    return 1;
}

/* A CRL change reaches new handshakes through tls_context_current; this brings it to the
 * sessions already authenticated. A handshake that began under the old CRL is checked once
 * it is authenticated (the generation stays unchecked until then). */
static void recheck_certificates(channel_server_t *s, uint64_t now)
{
    if (s->crl_checked_ms != 0 && now - s->crl_checked_ms < CRL_CHECK_INTERVAL_MS)
        return;
    s->crl_checked_ms = now;
    alfup_err_t err = {{0}};
    tls_context_current(s->tls, &err);
    if (err.msg[0])
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "reloading the CRL failed, keeping the old one: %s", err.msg);
    unsigned generation = tls_context_generation(s->tls);
    if (generation == s->checked_generation)
        return;
    int handshakes_left = 0;
restart:
    for (size_t i = 0; i < s->count; i++) {
        session_t *session = s->sessions[i];
        if (session->tls_generation == generation || session->state == SESSION_CLOSED)
            continue;
        if (session->state == SESSION_HANDSHAKE)
            handshakes_left = 1;
        else if (recheck_session(s, session, generation))
            goto restart; /* the owner's reaction may have reordered the table */
    }
    if (!handshakes_left)
        s->checked_generation = generation;
}

/* ---- housekeeping ---- */

void channel_server_tick(channel_server_t *s)
{
    uint64_t now = alfup_now_mono_ms();
    recheck_certificates(s, now);
    for (size_t i = s->count; i-- > 0;) {
        session_t *session = s->sessions[i]; /* dropping swaps in an already visited one */
        if (session->state == SESSION_ONLINE &&
            now - session->last_rx_ms > (uint64_t)s->config.heartbeat_timeout_s * 1000u) {
            alfup_log(LOG_LEVEL_WARN, COMPONENT, "agent %s at %s: silent for %u s, session dropped",
                      session->identity.name, session->address, s->config.heartbeat_timeout_s);
            drop_session(s, session, "heartbeat timeout");
        } else if (session->state == SESSION_CLOSED &&
                   now - session->created_ms > (uint64_t)s->config.handshake_timeout_s * 1000u) {
            drop_session(s, session, NULL);
        } else if (session->state != SESSION_ONLINE &&
                   now - session->created_ms > (uint64_t)s->config.handshake_timeout_s * 1000u) {
            alfup_log(LOG_LEVEL_WARN, COMPONENT, "refused peer %s: handshake not finished within %u s",
                      session->address, s->config.handshake_timeout_s);
            drop_session(s, session, NULL);
        }
    }
    reap_dead(s);
}

void channel_server_counts(const channel_server_t *s, unsigned *sessions, unsigned *online)
{
    *sessions = s->pending + s->online;
    *online = s->online;
}

const char *channel_server_endpoint(const channel_server_t *s)
{
    return s->endpoint;
}

void *channel_server_socket(channel_server_t *s)
{
    return s->socket;
}

channel_server_t *channel_server_new(void *zmq_context, const channel_server_config_t *config,
                                     const channel_server_events_t *events, alfup_err_t *err)
{
    channel_server_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return alfup_err_set(err, "channel: out of memory"), NULL;
    s->config = *config;
    s->events = *events;
    s->by_routing_id = key_map_new();
    s->by_name = key_map_new();
    if (s->by_routing_id == NULL || s->by_name == NULL) {
        alfup_err_set(err, "channel: out of memory");
        goto fail;
    }
    s->tls = tls_context_new(&config->tls, TLS_SIDE_SERVER, err);
    if (s->tls == NULL)
        goto fail;
    s->socket = zmq_socket(zmq_context, ZMQ_ROUTER);
    if (s->socket == NULL) {
        alfup_err_set(err, "channel: socket: %s", zmq_strerror(errno));
        goto fail;
    }
    int64_t max_size = WIRE_FRAME_MAX;
    int one = 1, linger = 0;
    zmq_setsockopt(s->socket, ZMQ_MAXMSGSIZE, &max_size, sizeof max_size);
    zmq_setsockopt(s->socket, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(s->socket, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(s->socket, config->listen) != 0) {
        alfup_err_set(err, "channel: bind %s: %s", config->listen, zmq_strerror(errno));
        goto fail;
    }
    size_t endpoint_len = sizeof s->endpoint;
    if (zmq_getsockopt(s->socket, ZMQ_LAST_ENDPOINT, s->endpoint, &endpoint_len) != 0)
        snprintf(s->endpoint, sizeof s->endpoint, "%s", config->listen);
    return s;
fail:
    channel_server_destroy(&s);
    return NULL;
}

void channel_server_destroy(channel_server_t **server_p)
{
    if (server_p == NULL || *server_p == NULL)
        return;
    channel_server_t *s = *server_p;
    while (s->count > 0)
        drop_session(s, s->sessions[s->count - 1], NULL);
    reap_dead(s);
    str_list_clear(&s->revoked_names);
    free(s->sessions);
    key_map_destroy(&s->by_routing_id);
    key_map_destroy(&s->by_name);
    if (s->socket)
        zmq_close(s->socket);
    tls_context_destroy(&s->tls);
    free(s);
    *server_p = NULL;
}

int64_t channel_server_peer_expiry(channel_server_t *s, const char *name)
{
    session_t *session = find_online(s, name);
    return session ? session->identity.not_after_unix : 0;
}
