/* test_channel.c -- the secure channel end to end in one process: real sockets, real TLS 1.3,
 * certificates made by certs/alfup-certs (ALFUP_TEST_CERTS, see channel_test.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include <cmocka.h>

#include "cert_identity.h"
#include "channel_client.h"
#include "channel_server.h"
#include "file_util.h"
#include "wire_frame.h"

#define MAX_PEERS 16
#define MAX_CLIENTS 8

typedef struct server_probe {
    int up_count, down_count, results;
    char up_names[MAX_PEERS][64];
    unsigned up_roles[MAX_PEERS];
    char last_result_step[64];
    int refused_count;
    char last_down_name[64], last_down_reason[128], refused_name[64], refused_reason[128];
} server_probe_t;

typedef struct client_probe {
    channel_client_t *client;
    const char *hello_name;
    int connected, requests;
} client_probe_t;

typedef struct world {
    void *zmq;
    channel_server_t *server;
    server_probe_t server_probe;
    client_probe_t clients[MAX_CLIENTS];
    int client_count;
    char endpoint[256];
    const char *certs;
    const char *crl;        /* the server's CRL when not ca/crl.pem */
} world_t;

static char *cert_path(const world_t *w, const char *ca, const char *file)
{
    static char paths[8][512]; /* test-only: a few short-lived paths per call site */
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s/%s", w->certs, ca, file);
    return p;
}

/* ---- server side ---- */

static void on_up(void *arg, const char *name, unsigned roles, const char *address)
{
    server_probe_t *p = arg;
    (void)address;
    if (p->up_count < MAX_PEERS) {
        snprintf(p->up_names[p->up_count], sizeof p->up_names[0], "%s", name);
        p->up_roles[p->up_count] = roles;
    }
    p->up_count++;
}

static void on_down(void *arg, const char *name, const char *reason)
{
    server_probe_t *p = arg;
    snprintf(p->last_down_name, sizeof p->last_down_name, "%s", name);
    snprintf(p->last_down_reason, sizeof p->last_down_reason, "%s", reason);
    p->down_count++;
}

static void on_refused(void *arg, const char *name, const char *reason)
{
    server_probe_t *p = arg;
    snprintf(p->refused_name, sizeof p->refused_name, "%s", name);
    snprintf(p->refused_reason, sizeof p->refused_reason, "%s", reason);
    p->refused_count++;
}

static void on_server_message(void *arg, const char *name, const alfup_msg_t *msg)
{
    server_probe_t *p = arg;
    (void)name;
    if (msg->kind == MSG_STEP_RESULT) {
        p->results++;
        snprintf(p->last_result_step, sizeof p->last_result_step, "%s", msg->result.step_id);
    }
}

static void start_server(world_t *w, const char *listen, const char *cert_name, unsigned heartbeat_timeout_s)
{
    char cert[64], key[64];
    snprintf(cert, sizeof cert, "%s.pem", cert_name);
    snprintf(key, sizeof key, "%s.key", cert_name);
    channel_server_config_t config = {
        .listen = listen,
        .tls = {.ca = cert_path(w, "ca", "ca.pem"), .cert = cert_path(w, "ca", cert),
                .key = cert_path(w, "ca", key), .crl = w->crl ? w->crl : cert_path(w, "ca", "crl.pem")},
        .heartbeat_timeout_s = heartbeat_timeout_s, .handshake_timeout_s = 3,
        .max_pending_handshakes = 64, .required_roles = ROLE_AGENT_MASK};
    channel_server_events_t events = {on_up, on_down, on_server_message, &w->server_probe, on_refused};
    alfup_err_t err;
    w->server = channel_server_new(w->zmq, &config, &events, &err);
    if (w->server == NULL)
        fail_msg("server: %s", err.msg);
    snprintf(w->endpoint, sizeof w->endpoint, "%s", channel_server_endpoint(w->server));
}

/* ---- client side ---- */

static void on_connected(void *arg)
{
    client_probe_t *p = arg;
    p->connected++;
    alfup_msg_t hello = {.kind = MSG_HELLO};
    hello.hello = (msg_hello_t){.name = (char *)p->hello_name, .version = "test", .hostname = "test"};
    alfup_err_t err;
    channel_client_send(p->client, &hello, &err);
}

static void on_client_message(void *arg, const alfup_msg_t *msg)
{
    client_probe_t *p = arg;
    if (msg->kind != MSG_STEP_REQUEST)
        return;
    p->requests++;
    alfup_msg_t reply = {.kind = MSG_STEP_RESULT};
    reply.result = (msg_step_result_t){.step_id = msg->request.step_id, .kind = msg->request.kind,
                                       .status = STEP_SUCCEEDED};
    alfup_err_t err;
    channel_client_send(p->client, &reply, &err);
}

static client_probe_t *add_client(world_t *w, const char *ca, const char *cert_name, const char *hello_name,
                                  unsigned heartbeat_s)
{
    client_probe_t *p = &w->clients[w->client_count++];
    char cert[64], key[64];
    snprintf(cert, sizeof cert, "%s.pem", cert_name);
    snprintf(key, sizeof key, "%s.key", cert_name);
    p->hello_name = hello_name;
    channel_client_config_t config = {
        .endpoint = w->endpoint,
        .tls = {.ca = cert_path(w, ca, "ca.pem"), .cert = cert_path(w, ca, cert), .key = cert_path(w, ca, key)},
        .heartbeat_s = heartbeat_s, .handshake_timeout_s = 2};
    channel_client_events_t events = {on_connected, NULL, on_client_message, p};
    alfup_err_t err;
    p->client = channel_client_new(w->zmq, &config, &events, &err);
    if (p->client == NULL)
        fail_msg("client %s: %s", cert_name, err.msg);
    return p;
}

/* Runs every socket for up to ms, or until done(w) holds. Returns done(w). */
static int pump(world_t *w, int ms, int (*done)(world_t *))
{
    uint64_t end = alfup_now_mono_ms() + (uint64_t)ms;
    while (alfup_now_mono_ms() < end) {
        zmq_pollitem_t items[1 + MAX_CLIENTS * CHANNEL_CLIENT_POLL_ITEMS];
        int n = 0;
        if (w->server)
            items[n++] = (zmq_pollitem_t){.socket = channel_server_socket(w->server), .events = ZMQ_POLLIN};
        for (int i = 0; i < w->client_count; i++)
            if (w->clients[i].client) {
                channel_client_poll_items(w->clients[i].client, items + n);
                n += CHANNEL_CLIENT_POLL_ITEMS;
            }
        zmq_poll(items, n, 20);
        alfup_err_t err;
        if (w->server) {
            channel_server_handle_input(w->server, &err);
            channel_server_tick(w->server);
        }
        for (int i = 0; i < w->client_count; i++)
            if (w->clients[i].client) {
                channel_client_handle_input(w->clients[i].client, &err);
                channel_client_tick(w->clients[i].client);
            }
        if (done && done(w))
            return 1;
    }
    return done ? done(w) : 0;
}

/* ---- fixtures and conditions ---- */

static int setup(void **state)
{
    world_t *w = calloc(1, sizeof *w);
    w->certs = getenv("ALFUP_TEST_CERTS");
    if (w->certs == NULL)
        fail_msg("ALFUP_TEST_CERTS is not set (run through channel_test.sh)");
    w->zmq = zmq_ctx_new();
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world_t *w = *state;
    for (int i = 0; i < w->client_count; i++)
        channel_client_destroy(&w->clients[i].client);
    channel_server_destroy(&w->server);
    zmq_ctx_term(w->zmq);
    free(w);
    return 0;
}

static int online_count(world_t *w)
{
    unsigned sessions, online;
    channel_server_counts(w->server, &sessions, &online);
    return (int)online;
}

static int three_online(world_t *w) { return online_count(w) == 3; }
static int one_online(world_t *w) { return online_count(w) == 1; }
static int got_result(world_t *w) { return w->server_probe.results > 0; }
static int someone_down(world_t *w) { return w->server_probe.down_count > 0; }
static int client0_connected(world_t *w) { return w->clients[0].connected > 0; }

static unsigned roles_of(const server_probe_t *p, const char *name)
{
    for (int i = 0; i < p->up_count && i < MAX_PEERS; i++)
        if (strcmp(p->up_names[i], name) == 0)
            return p->up_roles[i];
    return 0;
}

static void round_trip(world_t *w, const char *agent)
{
    w->server_probe.results = 0;
    alfup_msg_t request = {.kind = MSG_STEP_REQUEST};
    request.request = (msg_step_request_t){.step_id = "ping.test.1", .kind = "ping", .approval = ""};
    alfup_err_t err;
    assert_int_equal(channel_server_send(w->server, agent, &request, &err), ALFUP_OK);
    assert_true(pump(w, 5000, got_result));
    assert_string_equal(w->server_probe.last_result_step, "ping.test.1");
}

/* ---- tests ---- */

static void test_three_agents_online_with_certificate_roles(void **state)
{
    world_t *w = *state;
    start_server(w, "tcp://127.0.0.1:*", "ctl", 30);
    add_client(w, "ca", "repo1", "repo1", 1);
    add_client(w, "ca", "db1", "db1", 1);
    add_client(w, "ca", "solr1", "solr1", 1);
    assert_true(pump(w, 10000, three_online));
    assert_int_equal(roles_of(&w->server_probe, "repo1"), ROLE_REPO);
    assert_int_equal(roles_of(&w->server_probe, "db1"), ROLE_DB);
    assert_int_equal(roles_of(&w->server_probe, "solr1"), ROLE_SOLR);
    round_trip(w, "db1");
    /* heartbeats keep them online past several intervals */
    pump(w, 2500, NULL);
    assert_int_equal(online_count(w), 3);
    assert_int_equal(w->server_probe.down_count, 0);
}

static void test_bad_peers_refused_while_good_one_is_served(void **state)
{
    world_t *w = *state;
    start_server(w, "tcp://127.0.0.1:*", "ctl", 30);
    add_client(w, "foreign", "evil1", "evil1", 1);      /* another CA */
    add_client(w, "ca", "revoked1", "revoked1", 1);     /* in crl.pem */
    add_client(w, "ca", "old1", "old1", 1);             /* expired */
    add_client(w, "ca", "op1", "op1", 1);               /* no agent role */
    add_client(w, "ca", "db1", "db2", 1);               /* name differs from its certificate */
    add_client(w, "ca", "repo1", "repo1", 1);
    pump(w, 4000, NULL);
    assert_int_equal(online_count(w), 1);
    assert_int_equal(w->server_probe.up_count, 1);
    assert_string_equal(w->server_probe.up_names[0], "repo1");
    round_trip(w, "repo1");
    alfup_msg_t request = {.kind = MSG_STEP_REQUEST};
    request.request = (msg_step_request_t){.step_id = "x.1", .kind = "ping", .approval = ""};
    alfup_err_t err;
    assert_int_equal(channel_server_send(w->server, "db1", &request, &err), ALFUP_ERR);
}

static void test_agent_refuses_controller_with_wrong_name(void **state)
{
    world_t *w = *state;
    start_server(w, "tcp://127.0.0.1:*", "wrongname", 30);
    add_client(w, "ca", "repo1", "repo1", 1);
    assert_false(pump(w, 3000, client0_connected));
    assert_int_equal(online_count(w), 0);
}

static void send_raw(void *dealer, const void *bytes, size_t len)
{
    assert_true(zmq_send(dealer, bytes, len, 0) >= 0);
}

static void test_hostile_frames_do_not_disturb_others(void **state)
{
    world_t *w = *state;
    start_server(w, "tcp://127.0.0.1:*", "ctl", 30);
    add_client(w, "ca", "repo1", "repo1", 1);
    assert_true(pump(w, 5000, one_online));
    void *raw = zmq_socket(w->zmq, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(raw, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_connect(raw, w->endpoint), 0);
    pump(w, 300, NULL);
    uint8_t garbage[300];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (uint8_t)(i * 37u + 11u);
    garbage[0] = WIRE_FRAME_TLS;
    send_raw(raw, garbage, sizeof garbage);               /* not a ClientHello */
    send_raw(raw, "\x01\x00", 2);                         /* shorter than a header */
    uint8_t reset_with_payload[8] = {WIRE_FRAME_RESET, 0, 0, 0, 1, 'x', 'y', 'z'};
    send_raw(raw, reset_with_payload, sizeof reset_with_payload);
    uint8_t tls_data_record[32] = {WIRE_FRAME_TLS, 0, 0, 0, 9, 0x17, 0x03, 0x03, 0x00, 0x10};
    send_raw(raw, tls_data_record, sizeof tls_data_record); /* application data before any handshake */
    size_t big = WIRE_FRAME_MAX + 1024;
    uint8_t *oversized = calloc(1, big);
    oversized[0] = WIRE_FRAME_TLS;
    send_raw(raw, oversized, big);                        /* over ZMQ_MAXMSGSIZE: connection dropped */
    free(oversized);
    pump(w, 1000, NULL);
    unsigned sessions, online;
    channel_server_counts(w->server, &sessions, &online);
    assert_int_equal(online, 1);
    assert_int_equal(sessions, 1); /* the hostile peer holds no session */
    round_trip(w, "repo1");
    zmq_close(raw);
}

static void test_agent_back_after_controller_restart(void **state)
{
    world_t *w = *state;
    start_server(w, "tcp://127.0.0.1:*", "ctl", 30);
    add_client(w, "ca", "repo1", "repo1", 1);
    assert_true(pump(w, 5000, one_online));
    char endpoint[256];
    snprintf(endpoint, sizeof endpoint, "%s", w->endpoint);
    channel_server_destroy(&w->server);
    pump(w, 500, NULL);
    memset(&w->server_probe, 0, sizeof w->server_probe);
    start_server(w, endpoint, "ctl", 30);
    assert_true(pump(w, 10000, one_online));
    assert_int_equal(w->server_probe.up_count, 1);
    round_trip(w, "repo1");
}

static void test_second_connection_with_same_certificate_replaces_first(void **state)
{
    world_t *w = *state;
    start_server(w, "tcp://127.0.0.1:*", "ctl", 30);
    add_client(w, "ca", "repo1", "repo1", 60);
    assert_true(pump(w, 5000, one_online));
    channel_client_destroy(&w->clients[0].client); /* gone without a goodbye */
    add_client(w, "ca", "repo1", "repo1", 60);
    pump(w, 1500, NULL);
    unsigned sessions, online;
    channel_server_counts(w->server, &sessions, &online);
    assert_int_equal(online, 1);
    assert_int_equal(sessions, 1);
    assert_int_equal(w->server_probe.up_count, 2);
    assert_int_equal(w->server_probe.down_count, 0);
    round_trip(w, "repo1");
}

static void test_silent_agent_expires(void **state)
{
    world_t *w = *state;
    start_server(w, "tcp://127.0.0.1:*", "ctl", 1);
    add_client(w, "ca", "repo1", "repo1", 60); /* heartbeats far apart: silent */
    assert_true(pump(w, 5000, one_online));
    assert_true(pump(w, 4000, someone_down));
    assert_int_equal(online_count(w), 0);
}

/* Replaces dst by a copy of src (a new file: a new mtime, as alfup-certs revoke does). */
static void copy_file(const char *src, const char *dst)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    alfup_err_t err;
    if (file_read_all(src, 1u << 20, &bytes, &len, &err) != ALFUP_OK ||
        file_write_atomic(dst, bytes, len, 0644, &err) != ALFUP_OK)
        fail_msg("copy %s to %s: %s", src, dst, err.msg);
    free(bytes);
}

static int two_online(world_t *w) { return online_count(w) == 2; }
static int someone_refused(world_t *w) { return w->server_probe.refused_count > 0; }

/* The CRL the server reads is rewritten to revoke late1 while late1 and repo1 are online:
 * late1's session is cut within about a second with the revocation as the reason, repo1's
 * stays; late1's reconnections are refused at the handshake without a second peer_refused. */
static void test_certificate_revoked_while_online_cuts_that_session_only(void **state)
{
    world_t *w = *state;
    char live[512];
    snprintf(live, sizeof live, "%s/ca/crl-live.pem", w->certs);
    copy_file(cert_path(w, "ca", "crl-before-late1.pem"), live);
    w->crl = live;
    start_server(w, "tcp://127.0.0.1:*", "ctl", 30);
    add_client(w, "ca", "late1", "late1", 1);
    add_client(w, "ca", "repo1", "repo1", 1);
    assert_true(pump(w, 10000, two_online));

    copy_file(cert_path(w, "ca", "crl-before-late1.pem"), live); /* a new CRL revoking nobody new */
    assert_false(pump(w, 1500, someone_refused));
    assert_int_equal(online_count(w), 2);

    copy_file(cert_path(w, "ca", "crl.pem"), live); /* late1 revoked */
    assert_true(pump(w, 3000, someone_refused));
    assert_string_equal(w->server_probe.refused_name, "late1");
    assert_string_equal(w->server_probe.refused_reason, "certificate revoked");
    assert_int_equal(w->server_probe.down_count, 1);
    assert_string_equal(w->server_probe.last_down_name, "late1");
    assert_string_equal(w->server_probe.last_down_reason, "certificate revoked");
    assert_int_equal(online_count(w), 1);
    round_trip(w, "repo1");

    pump(w, 2500, NULL); /* late1 retries: refused at each handshake, never online again */
    assert_int_equal(online_count(w), 1);
    assert_int_equal(w->server_probe.refused_count, 1);
    assert_int_equal(w->server_probe.up_count, 2);
}

/* Issue 15: a controller that never had a session with an agent whose certificate is revoked (it
 * restarted after the revocation) still names it: the first handshake with the revoked certificate
 * is let finish, so the name is proven, then refused with peer_refused; later handshakes are refused
 * outright (the TLS alert), without another peer_refused. */
static void test_revoked_certificate_at_handshake_is_named_once(void **state)
{
    world_t *w = *state;
    start_server(w, "tcp://127.0.0.1:*", "ctl", 30);
    add_client(w, "ca", "revoked1", "revoked1", 1);
    add_client(w, "ca", "repo1", "repo1", 1);
    assert_true(pump(w, 5000, someone_refused));
    assert_string_equal(w->server_probe.refused_name, "revoked1");
    assert_string_equal(w->server_probe.refused_reason, "certificate revoked");
    assert_int_equal(w->server_probe.down_count, 0); /* it was never online */
    pump(w, 2500, NULL);                              /* revoked1 retries, refused at each handshake */
    assert_int_equal(w->server_probe.refused_count, 1);
    assert_int_equal(online_count(w), 1);
    assert_int_equal(w->server_probe.up_count, 1);
    assert_string_equal(w->server_probe.up_names[0], "repo1");
}

/* A certificate in a revoked name and serial, under the CA's name and key identifier but not signed
 * by the CA, is refused without naming anyone: the signatures are checked after the CRL. */
static void test_forged_certificate_in_a_revoked_name_names_nobody(void **state)
{
    world_t *w = *state;
    start_server(w, "tcp://127.0.0.1:*", "ctl", 30);
    add_client(w, "forged", "revoked1", "revoked1", 1);
    add_client(w, "ca", "repo1", "repo1", 1);
    pump(w, 3000, NULL);
    assert_int_equal(w->server_probe.refused_count, 0);
    assert_int_equal(online_count(w), 1);
    assert_int_equal(w->server_probe.up_count, 1);
    assert_string_equal(w->server_probe.up_names[0], "repo1");
}

static int someone_online(world_t *w) { return w->server_probe.up_count > 0; }

/* twin1 was renewed and its old certificate revoked: while the new one holds the name, the old one
 * is refused outright and does not get the name's steps failed (no peer_refused). */
static void test_revoked_old_certificate_does_not_refuse_the_name_a_valid_one_holds(void **state)
{
    world_t *w = *state;
    start_server(w, "tcp://127.0.0.1:*", "ctl", 30);
    add_client(w, "ca", "twin1", "twin1", 1);
    assert_true(pump(w, 5000, someone_online));
    add_client(w, "ca", "twin1-old", "twin1", 1);
    pump(w, 2500, NULL);
    assert_int_equal(w->server_probe.refused_count, 0);
    assert_int_equal(w->server_probe.down_count, 0);
    assert_int_equal(online_count(w), 1);
    round_trip(w, "twin1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_three_agents_online_with_certificate_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_peers_refused_while_good_one_is_served, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agent_refuses_controller_with_wrong_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_frames_do_not_disturb_others, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agent_back_after_controller_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_connection_with_same_certificate_replaces_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_silent_agent_expires, setup, teardown),
        cmocka_unit_test_setup_teardown(test_certificate_revoked_while_online_cuts_that_session_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_revoked_certificate_at_handshake_is_named_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_certificate_in_a_revoked_name_names_nobody, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_old_certificate_does_not_refuse_the_name_a_valid_one_holds,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
