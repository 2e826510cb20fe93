/* step_replayer.c -- a test tool that speaks as the controller (channel_server, a controller
 * certificate) to one real agent and sends it the same step request again and again.
 *   step_replayer --listen EP --ca F --cert F --key F --agent NAME --id STEP_ID --kind KIND
 *                 [--param KEY=VALUE]... [--times N] [--burst B] [--no-ack] [--timeout-s S]
 * Waits for the agent, takes (and acknowledges) results it re-sends on connecting, then N times:
 * sends the request B times back to back and waits for its result. Every result for STEP_ID is
 * printed as one line "answer: status=.. started=.. finished=.. error=.. outputs=k=v;..", results
 * the agent re-sent on connecting as "resent: ...". Exit 0 when every round got its answer. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cert_identity.h"
#include "channel_server.h"

#define POLL_MS 50
#define SETTLE_MS 1000     /* how long extra answers are waited for after the last round */
#define RESENT_WAIT_MS 800 /* results re-sent on connecting arrive within this */

typedef struct replayer {
    const char *agent, *step_id, *kind;
    kv_list_t params;
    int times, burst, ack;
    unsigned timeout_s;
    channel_server_t *server;
    int online;
    int answers;   /* results for step_id since the first request */
    int requested; /* a request was sent: results are answers, not re-sends */
} replayer_t;

static void print_result(const char *label, const msg_step_result_t *r)
{
    printf("%s: status=%s started=%llu finished=%llu error=%s outputs=", label, step_status_name(r->status),
           (unsigned long long)r->started_unix_ms, (unsigned long long)r->finished_unix_ms, r->error ? r->error : "");
    for (size_t i = 0; i < r->outputs.count; i++)
        printf("%s%s=%s", i ? ";" : "", r->outputs.items[i].key, r->outputs.items[i].value);
    printf("\n");
    fflush(stdout);
}

static void on_up(void *arg, const char *name, unsigned roles, const char *address)
{
    replayer_t *r = arg;
    (void)roles;
    (void)address;
    if (strcmp(name, r->agent) == 0)
        r->online = 1;
}

static void on_down(void *arg, const char *name, const char *reason)
{
    replayer_t *r = arg;
    (void)reason;
    if (strcmp(name, r->agent) == 0)
        r->online = 0;
}

static void on_message(void *arg, const char *name, const alfup_msg_t *msg)
{
    replayer_t *r = arg;
    if (msg->kind != MSG_STEP_RESULT || strcmp(name, r->agent) != 0)
        return;
    if (strcmp(msg->result.step_id, r->step_id) == 0) {
        print_result(r->requested ? "answer" : "resent", &msg->result);
        r->answers += r->requested;
    }
    if (r->ack) {
        alfup_msg_t ack = {.kind = MSG_RESULT_ACK, .ack_step_id = msg->result.step_id};
        alfup_err_t err;
        if (channel_server_send(r->server, name, &ack, &err) != ALFUP_OK)
            fprintf(stderr, "step_replayer: ack: %s\n", err.msg);
    }
}

/* Runs the server until done(r) or ms pass; returns done(r). */
static int pump(replayer_t *r, long ms, int (*done)(const replayer_t *, int), int arg)
{
    zmq_pollitem_t item = {.socket = channel_server_socket(r->server), .events = ZMQ_POLLIN};
    for (long waited = 0; waited <= ms; waited += POLL_MS) {
        if (done && done(r, arg))
            return 1;
        zmq_poll(&item, 1, POLL_MS);
        alfup_err_t err;
        if (channel_server_handle_input(r->server, &err) != ALFUP_OK) {
            fprintf(stderr, "step_replayer: %s\n", err.msg);
            return 0;
        }
        channel_server_tick(r->server);
    }
    return done ? done(r, arg) : 1;
}

static int is_online(const replayer_t *r, int unused)
{
    (void)unused;
    return r->online;
}

static int has_answers(const replayer_t *r, int want)
{
    return r->answers >= want;
}

static int send_request(replayer_t *r)
{
    alfup_msg_t msg = {.kind = MSG_STEP_REQUEST};
    msg.request = (msg_step_request_t){.step_id = (char *)r->step_id, .kind = (char *)r->kind, .approval = ""};
    msg.request.params = r->params;
    alfup_err_t err;
    if (channel_server_send(r->server, r->agent, &msg, &err) != ALFUP_OK) {
        fprintf(stderr, "step_replayer: request: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int replay(replayer_t *r)
{
    if (!pump(r, (long)r->timeout_s * 1000, is_online, 0)) {
        fprintf(stderr, "step_replayer: agent %s did not come online\n", r->agent);
        return 1;
    }
    pump(r, RESENT_WAIT_MS, NULL, 0);
    r->requested = 1;
    for (int round = 1; round <= r->times; round++) {
        for (int i = 0; i < r->burst; i++)
            if (send_request(r) != 0)
                return 1;
        if (!pump(r, (long)r->timeout_s * 1000, has_answers, round)) {
            fprintf(stderr, "step_replayer: round %d: no answer for %s\n", round, r->step_id);
            return 1;
        }
    }
    pump(r, SETTLE_MS, NULL, 0);
    printf("answers=%d\n", r->answers);
    return 0;
}

static int add_param(replayer_t *r, const char *pair)
{
    const char *eq = strchr(pair, '=');
    if (eq == NULL)
        return -1;
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(eq - pair), pair);
    return kv_list_add(&r->params, key, eq + 1);
}

int main(int argc, char **argv)
{
    replayer_t r = {.times = 1, .burst = 1, .ack = 1, .timeout_s = 20};
    channel_server_config_t config = {.heartbeat_timeout_s = 30,
                                      .handshake_timeout_s = 10,
                                      .max_pending_handshakes = 8,
                                      .required_roles = ROLE_AGENT_MASK};
    static const struct option options[] = {{"listen", 1, 0, 'l'}, {"ca", 1, 0, 'a'},     {"cert", 1, 0, 'c'},
                                            {"key", 1, 0, 'k'},    {"agent", 1, 0, 'g'},  {"id", 1, 0, 'i'},
                                            {"kind", 1, 0, 'K'},   {"param", 1, 0, 'p'},  {"times", 1, 0, 't'},
                                            {"burst", 1, 0, 'b'},  {"no-ack", 0, 0, 'n'}, {"timeout-s", 1, 0, 's'},
                                            {0, 0, 0, 0}};
    int opt, rc = 2;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'l': config.listen = optarg; break;
        case 'a': config.tls.ca = optarg; break;
        case 'c': config.tls.cert = optarg; break;
        case 'k': config.tls.key = optarg; break;
        case 'g': r.agent = optarg; break;
        case 'i': r.step_id = optarg; break;
        case 'K': r.kind = optarg; break;
        case 'p':
            if (add_param(&r, optarg) != 0)
                goto out;
            break;
        case 't': r.times = atoi(optarg); break;
        case 'b': r.burst = atoi(optarg); break;
        case 'n': r.ack = 0; break;
        case 's': r.timeout_s = (unsigned)atoi(optarg); break;
        default: goto out;
        }
    }
    if (!config.listen || !config.tls.ca || !config.tls.cert || !config.tls.key || !r.agent || !r.step_id || !r.kind ||
        r.times < 1 || r.burst < 1) {
        fprintf(stderr, "usage: see the comment at the top of step_replayer.c\n");
        goto out;
    }
    void *zmq = zmq_ctx_new();
    channel_server_events_t events = {on_up, on_down, on_message, &r, NULL};
    alfup_err_t err;
    r.server = channel_server_new(zmq, &config, &events, &err);
    if (r.server == NULL) {
        fprintf(stderr, "step_replayer: %s\n", err.msg);
        rc = 1;
    } else {
        rc = replay(&r);
    }
    channel_server_destroy(&r.server);
    zmq_ctx_term(zmq);
out:
    kv_list_clear(&r.params);
    return rc;
}
