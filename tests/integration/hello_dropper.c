/* hello_dropper.c -- an agent that leaves right after its Hello, while the controller has a step in
 * flight for it (issue 15, item 2). Loopback test tool only.
 *   hello_dropper ENDPOINT CA CERT KEY NAME ROUNDS [CONTROLLER_PID]
 * First it connects as NAME (a real TLS session on a DEALER, as an agent's), sends its Hello and
 * waits until the controller sends it a step request: that step is in flight. Then ROUNDS times:
 * a fresh session completes its handshake, sends its Hello and closes its DEALER at once; with
 * CONTROLLER_PID the controller is stopped (SIGSTOP) from just before the Hello until the socket
 * is closed, so that it reads the Hello only after the peer is gone, and its re-send of the step
 * to it fails. Last, a session that stays must be sent the step again: the controller lived
 * through it. Prints "step in flight: ID" and "step re-sent after N rounds: ID"; exit 0 only then. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zmq.h>

#include "secure_link.h"
#include "tls_context.h"
#include "wire_frame.h"

#define HANDSHAKE_WAIT_MS 15000
#define REQUEST_WAIT_MS 60000
#define HEARTBEAT_MS 1000
#define POLL_SLICE_MS 100
#define FLUSH_LINGER_MS 5000
#define CONTROLLER_HOST "127.0.0.1"

typedef struct peer {
    void *zmq;
    void *socket;
    secure_link_t *link;
    uint32_t epoch;
} peer_t;

static int flush(peer_t *p)
{
    uint8_t frame[WIRE_FRAME_MAX];
    size_t len;
    while ((len = secure_link_take_records(p->link, frame + WIRE_HEADER_BYTES, WIRE_PAYLOAD_MAX)) > 0) {
        wire_frame_header(WIRE_FRAME_TLS, p->epoch, frame);
        if (zmq_send(p->socket, frame, WIRE_HEADER_BYTES + len, 0) < 0)
            return -1;
    }
    return 0;
}

/* Reads frames for up to ms into the link. -1 when the controller reset or TLS failed. */
static int pump(peer_t *p, long ms)
{
    zmq_pollitem_t item = {.socket = p->socket, .events = ZMQ_POLLIN};
    if (zmq_poll(&item, 1, ms) < 0 && errno != EINTR)
        return -1;
    uint8_t buf[WIRE_FRAME_MAX];
    int len;
    while ((len = zmq_recv(p->socket, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0) {
        wire_frame_t frame;
        alfup_err_t err;
        if (wire_frame_parse(buf, (size_t)len, &frame, &err) != ALFUP_OK || frame.epoch != p->epoch)
            continue;
        if (frame.type == WIRE_FRAME_RESET) {
            fprintf(stderr, "hello_dropper: the controller reset the session\n");
            return -1;
        }
        if (secure_link_receive(p->link, frame.payload, frame.payload_len, &err) != ALFUP_OK) {
            fprintf(stderr, "hello_dropper: TLS: %s\n", err.msg);
            return -1;
        }
        if (flush(p) != 0)
            return -1;
    }
    return 0;
}

static void peer_close(peer_t *p, int linger_ms)
{
    if (p->socket) {
        zmq_setsockopt(p->socket, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
        zmq_close(p->socket);
    }
    if (p->zmq)
        zmq_ctx_term(p->zmq); /* returns once what was queued is sent (or linger ran out) */
    secure_link_destroy(&p->link);
    memset(p, 0, sizeof *p);
}

/* A DEALER in its own context (so closing it can wait for its last frame) and a finished
 * TLS handshake with the controller. */
static int peer_open(peer_t *p, const char *endpoint, tls_context_t *tls, uint32_t epoch)
{
    alfup_err_t err = {{0}};
    p->epoch = epoch;
    p->zmq = zmq_ctx_new();
    p->socket = p->zmq ? zmq_socket(p->zmq, ZMQ_DEALER) : NULL;
    if (p->socket == NULL || zmq_connect(p->socket, endpoint) != 0)
        return fprintf(stderr, "hello_dropper: connect %s: %s\n", endpoint, zmq_strerror(errno)), -1;
    p->link = secure_link_new(tls_context_current(tls, &err), TLS_SIDE_CLIENT, CONTROLLER_HOST, &err);
    if (p->link == NULL)
        return fprintf(stderr, "hello_dropper: %s\n", err.msg), -1;
    secure_link_receive(p->link, NULL, 0, &err); /* produces the ClientHello */
    if (flush(p) != 0)
        return -1;
    for (long waited = 0; !secure_link_established(p->link); waited += POLL_SLICE_MS) {
        if (waited >= HANDSHAKE_WAIT_MS)
            return fprintf(stderr, "hello_dropper: no handshake within %d ms\n", HANDSHAKE_WAIT_MS), -1;
        if (pump(p, POLL_SLICE_MS) != 0)
            return -1;
    }
    return 0;
}

static int send_msg(peer_t *p, alfup_msg_t *msg)
{
    alfup_err_t err;
    if (secure_link_send(p->link, msg, &err) != ALFUP_OK)
        return fprintf(stderr, "hello_dropper: send: %s\n", err.msg), -1;
    return flush(p);
}

static int send_hello(peer_t *p, const char *name)
{
    alfup_msg_t hello = {.kind = MSG_HELLO};
    hello.hello = (msg_hello_t){.name = (char *)name, .version = "hello_dropper", .hostname = "test"};
    return send_msg(p, &hello);
}

/* Waits for a step request (heartbeating meanwhile); copies its id. 0 when one came. */
static int await_request(peer_t *p, char *step_id, size_t len)
{
    for (long waited = 0, beat = 0; waited < REQUEST_WAIT_MS; waited += POLL_SLICE_MS) {
        if (pump(p, POLL_SLICE_MS) != 0)
            return -1;
        alfup_msg_t msg;
        alfup_err_t err;
        int rc;
        while ((rc = secure_link_next(p->link, &msg, &err)) == ALFUP_OK) {
            int found = msg.kind == MSG_STEP_REQUEST;
            if (found)
                snprintf(step_id, len, "%s", msg.request.step_id);
            alfup_msg_clear(&msg);
            if (found)
                return 0;
        }
        if (rc == ALFUP_ERR)
            return fprintf(stderr, "hello_dropper: %s\n", err.msg), -1;
        if (waited - beat >= HEARTBEAT_MS) {
            beat = waited;
            alfup_msg_t heartbeat = {.kind = MSG_HEARTBEAT};
            if (send_msg(p, &heartbeat) != 0)
                return -1;
        }
    }
    fprintf(stderr, "hello_dropper: no step request within %d ms\n", REQUEST_WAIT_MS);
    return -1;
}

/* One session that sends its Hello and is gone before the controller reads it. */
static int drop_round(const char *endpoint, tls_context_t *tls, const char *name, uint32_t epoch, pid_t controller)
{
    peer_t p = {0};
    int rc = peer_open(&p, endpoint, tls, epoch);
    if (rc == 0 && controller > 0 && kill(controller, SIGSTOP) != 0) {
        fprintf(stderr, "hello_dropper: SIGSTOP %d: %s\n", (int)controller, strerror(errno));
        rc = -1;
    }
    if (rc == 0)
        rc = send_hello(&p, name);
    peer_close(&p, FLUSH_LINGER_MS);
    if (controller > 0 && kill(controller, SIGCONT) != 0) {
        fprintf(stderr, "hello_dropper: SIGCONT %d: %s\n", (int)controller, strerror(errno));
        rc = -1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    if ((argc != 7 && argc != 8) || strncmp(argv[1], "tcp://127.", 10) != 0) {
        fprintf(stderr, "usage: hello_dropper tcp://127.x.x.x:PORT CA CERT KEY NAME ROUNDS [CONTROLLER_PID]\n");
        return 2;
    }
    const char *endpoint = argv[1], *name = argv[5];
    int rounds = atoi(argv[6]);
    pid_t controller = argc == 8 ? (pid_t)atol(argv[7]) : 0;
    tls_paths_t paths = {.ca = argv[2], .cert = argv[3], .key = argv[4]};
    alfup_err_t err;
    tls_context_t *tls = tls_context_new(&paths, TLS_SIDE_CLIENT, &err);
    if (tls == NULL)
        return fprintf(stderr, "hello_dropper: %s\n", err.msg), 1;
    int rc = 1;
    char first[ALFUP_STEP_ID_MAX + 1] = "", again[ALFUP_STEP_ID_MAX + 1] = "";
    peer_t keeper = {0};
    if (peer_open(&keeper, endpoint, tls, 1) != 0 || send_hello(&keeper, name) != 0 ||
        await_request(&keeper, first, sizeof first) != 0)
        goto out;
    printf("step in flight: %s\n", first);
    fflush(stdout);
    peer_close(&keeper, 0);
    for (int i = 0; i < rounds; i++)
        if (drop_round(endpoint, tls, name, 100u + (uint32_t)i, controller) != 0)
            goto out;
    if (peer_open(&keeper, endpoint, tls, 2) != 0 || send_hello(&keeper, name) != 0 ||
        await_request(&keeper, again, sizeof again) != 0)
        goto out;
    printf("step re-sent after %d rounds: %s\n", rounds, again);
    rc = strcmp(first, again) == 0 ? 0 : 1;
out:
    peer_close(&keeper, 0);
    tls_context_destroy(&tls);
    return rc;
}
