/* bench_channel_agents.c -- N benchmark agents on one zmq_poller: TLS agents that answer ping
 * steps like alfup-agent (Hello, StepResult, ResultAck ignored), or plain echoing DEALERs. */
#include "bench_channel_agents.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <zmq.h>

#include "channel_client.h"
#include "message.h"

#define TICK_MS 200u
#define WAIT_MS 100
#define EVENTS_MAX 512
#define HEARTBEAT_S 5u
#define HANDSHAKE_TIMEOUT_S 10u
#define PATH_MAX_LEN 1024

typedef struct bench_agent {
    struct bench_agents *owner;
    channel_client_t *channel;  /* TLS mode */
    void *dealer;               /* echo mode */
    char name[16];
    char endpoint[160];         /* from its own source address: one "host" each */
    int up;
} bench_agent_t;

struct bench_agents {
    bench_agent_t *agents;
    unsigned count, up;
    int epoll_fd;               /* on every socket's ZMQ_FD (libzmq's zmq_poller is draft API) */
    uint64_t created_ms;        /* when the first session was created */
    uint64_t start_ms;          /* when the last one was: the serving loop starts */
    int reported;
};

static void set_up(bench_agent_t *a, int up)
{
    if (a->up == up)
        return;
    a->up = up;
    if (up)
        a->owner->up++;
    else
        a->owner->up--;
}

/* Watches socket's ZMQ_FD for a; the handler drains the socket whenever it fires. */
static int watch(bench_agent_t *a, void *socket)
{
    int fd = -1;
    size_t len = sizeof fd;
    if (zmq_getsockopt(socket, ZMQ_FD, &fd, &len) != 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = a};
    return epoll_ctl(a->owner->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- TLS agents ---- */

static void send_or_warn(bench_agent_t *a, alfup_msg_t *msg)
{
    alfup_err_t err;
    if (channel_client_send(a->channel, msg, &err) != ALFUP_OK)
        fprintf(stderr, "bench agent %s: %s\n", a->name, err.msg);
}

static void on_connected(void *arg)
{
    bench_agent_t *a = arg;
    alfup_msg_t hello = {.kind = MSG_HELLO};
    hello.hello = (msg_hello_t){.name = a->name, .version = ALFUP_VERSION, .hostname = "bench"};
    send_or_warn(a, &hello);
    set_up(a, 1);
}

static void on_disconnected(void *arg, const char *reason)
{
    bench_agent_t *a = arg;
    fprintf(stderr, "bench agent %s: session lost: %s\n", a->name, reason);
    set_up(a, 0);
}

/* Answers a step as the ping step does; any other kind is refused. */
static void answer_step(bench_agent_t *a, const msg_step_request_t *request)
{
    int ping = strcmp(request->kind, "ping") == 0;
    uint64_t now = alfup_now_unix_ms();
    alfup_msg_t msg = {.kind = MSG_STEP_RESULT};
    msg.result = (msg_step_result_t){.step_id = request->step_id, .kind = request->kind,
                                     .status = ping ? STEP_SUCCEEDED : STEP_REFUSED,
                                     .error = ping ? "" : "bench agent runs ping only",
                                     .started_unix_ms = now, .finished_unix_ms = now};
    const char *payload = kv_list_get(&request->params, "payload");
    if (ping && (kv_list_add(&msg.result.outputs, "payload", payload ? payload : "") != 0 ||
                 kv_list_add(&msg.result.outputs, "agent", a->name) != 0))
        msg.result.status = STEP_FAILED;
    send_or_warn(a, &msg);
    kv_list_clear(&msg.result.outputs);
}

static void on_message(void *arg, const alfup_msg_t *msg)
{
    bench_agent_t *a = arg;
    if (msg->kind == MSG_STEP_REQUEST)
        answer_step(a, &msg->request);
}

static int start_tls_agent(bench_agent_t *a, void *ctx, const char *endpoint, const char *dir)
{
    char ca[PATH_MAX_LEN], crl[PATH_MAX_LEN], cert[PATH_MAX_LEN], key[PATH_MAX_LEN];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(crl, sizeof crl, "%s/crl.pem", dir);
    snprintf(cert, sizeof cert, "%s/%s.pem", dir, a->name);
    snprintf(key, sizeof key, "%s/%s.key", dir, a->name);
    channel_client_config_t config = {.endpoint = endpoint,
                                      .tls = {.ca = ca, .cert = cert, .key = key, .crl = crl},
                                      .heartbeat_s = HEARTBEAT_S,
                                      .handshake_timeout_s = HANDSHAKE_TIMEOUT_S};
    channel_client_events_t events = {.connected = on_connected, .disconnected = on_disconnected,
                                      .message = on_message, .arg = a};
    alfup_err_t err;
    a->channel = channel_client_new(ctx, &config, &events, &err);
    if (a->channel == NULL) {
        fprintf(stderr, "bench agent %s: %s\n", a->name, err.msg);
        return -1;
    }
    zmq_pollitem_t items[CHANNEL_CLIENT_POLL_ITEMS];
    channel_client_poll_items(a->channel, items);
    for (int i = 0; i < CHANNEL_CLIENT_POLL_ITEMS; i++)
        if (watch(a, items[i].socket) != 0)
            return -1;
    /* a pipe that was never read from does not signal its first frame: read once now */
    return channel_client_handle_input(a->channel, &err) == ALFUP_OK ? 0 : -1;
}

/* ---- echo agents ---- */

static void echo_input(bench_agent_t *a)
{
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, a->dealer, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        if (zmq_msg_size(&msg) == strlen(BENCH_ECHO_WELCOME) &&
            memcmp(zmq_msg_data(&msg), BENCH_ECHO_WELCOME, zmq_msg_size(&msg)) == 0)
            set_up(a, 1);
        else if (zmq_msg_send(&msg, a->dealer, ZMQ_DONTWAIT) >= 0)
            continue; /* the message now belongs to ZeroMQ */
        zmq_msg_close(&msg);
    }
}

static int start_echo_agent(bench_agent_t *a, void *ctx, const char *endpoint)
{
    int linger = 0;
    a->dealer = zmq_socket(ctx, ZMQ_DEALER);
    if (a->dealer == NULL)
        return -1;
    zmq_setsockopt(a->dealer, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(a->dealer, endpoint) != 0 ||
        zmq_send(a->dealer, BENCH_ECHO_HELLO, strlen(BENCH_ECHO_HELLO), 0) < 0)
        return -1;
    if (watch(a, a->dealer) != 0)
        return -1;
    echo_input(a); /* a pipe that was never read from does not signal its first frame */
    return 0;
}

/* ---- the set ---- */

static bench_agents_t *agents_alloc(unsigned count)
{
    bench_agents_t *b = calloc(1, sizeof *b);
    if (b == NULL || (b->agents = calloc(count, sizeof *b->agents)) == NULL ||
        (b->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        fprintf(stderr, "bench: out of memory or descriptors\n");
        if (b)
            b->epoll_fd = -1;
        bench_agents_destroy(&b);
        return NULL;
    }
    b->count = count;
    b->created_ms = alfup_now_mono_ms();
    for (unsigned i = 0; i < count; i++) {
        b->agents[i].owner = b;
        snprintf(b->agents[i].name, sizeof b->agents[i].name, "a%04u", i + 1);
    }
    return b;
}

/* Agent i connects from its own loopback address 127.1.X.Y (ZeroMQ's "tcp://SOURCE;HOST:PORT"),
 * as agents on separate hosts do: the controller limits the handshakes one address may have
 * in progress, which would otherwise throttle a thousand agents that share 127.0.0.1. */
static const char *agent_endpoint(bench_agent_t *a, unsigned i, const char *endpoint)
{
    if (strncmp(endpoint, "tcp://127.", 10) != 0)
        return endpoint;
    snprintf(a->endpoint, sizeof a->endpoint, "tcp://127.1.%u.%u:0;%s", i / 250u, i % 250u + 1u, endpoint + 6);
    return a->endpoint;
}

bench_agents_t *bench_agents_new_tls(void *ctx, const char *endpoint, const char *cert_dir, unsigned count)
{
    bench_agents_t *b = agents_alloc(count);
    for (unsigned i = 0; b && i < count; i++)
        if (start_tls_agent(&b->agents[i], ctx, agent_endpoint(&b->agents[i], i, endpoint), cert_dir) != 0)
            bench_agents_destroy(&b);
    return b;
}

bench_agents_t *bench_agents_new_echo(void *ctx, const char *endpoint, unsigned count)
{
    bench_agents_t *b = agents_alloc(count);
    for (unsigned i = 0; b && i < count; i++) {
        if (start_echo_agent(&b->agents[i], ctx, agent_endpoint(&b->agents[i], i, endpoint)) != 0) {
            fprintf(stderr, "bench echo agent %u: %s\n", i + 1, zmq_strerror(errno));
            bench_agents_destroy(&b);
        }
    }
    return b;
}

static void handle(bench_agent_t *a)
{
    alfup_err_t err;
    if (a->dealer)
        echo_input(a);
    else if (channel_client_handle_input(a->channel, &err) != ALFUP_OK)
        fprintf(stderr, "bench agent %s: %s\n", a->name, err.msg);
}

/* Heartbeats, then a sweep of every socket: a send can consume the wake-up of a frame
 * that arrived meanwhile (ZMQ_FD is edge-like), so nothing waits longer than TICK_MS. */
static void tick_all(bench_agents_t *b)
{
    for (unsigned i = 0; i < b->count; i++) {
        if (b->agents[i].channel)
            channel_client_tick(b->agents[i].channel);
        handle(&b->agents[i]);
    }
}

int bench_agents_run(bench_agents_t *b, const volatile sig_atomic_t *stop)
{
    struct epoll_event events[EVENTS_MAX];
    uint64_t last_tick = alfup_now_mono_ms();
    b->start_ms = last_tick;
    while (!*stop) {
        int n = epoll_wait(b->epoll_fd, events, EVENTS_MAX, WAIT_MS);
        if (n < 0 && errno != EINTR) {
            perror("bench: epoll_wait");
            return -1;
        }
        for (int i = 0; i < n; i++)
            handle(events[i].data.ptr);
        uint64_t now = alfup_now_mono_ms();
        if (now - last_tick >= TICK_MS) {
            tick_all(b);
            last_tick = now;
        }
        if (!b->reported && b->up == b->count) {
            printf("connected %u in %.3f s (setup %.3f s)\n", b->count, (double)(now - b->start_ms) / 1000.0,
                   (double)(b->start_ms - b->created_ms) / 1000.0);
            fflush(stdout);
            b->reported = 1;
        }
    }
    return 0;
}

void bench_agents_destroy(bench_agents_t **agents_p)
{
    if (agents_p == NULL || *agents_p == NULL)
        return;
    bench_agents_t *b = *agents_p;
    for (unsigned i = 0; b->agents && i < b->count; i++) {
        channel_client_destroy(&b->agents[i].channel);
        if (b->agents[i].dealer)
            zmq_close(b->agents[i].dealer);
    }
    if (b->epoll_fd >= 0)
        close(b->epoll_fd);
    free(b->agents);
    free(b);
    *agents_p = NULL;
}
