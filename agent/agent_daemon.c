/* agent_daemon.c -- the agent's loop: says hello, answers step requests (a repeated step
 * id gets its recorded result), relays progress, re-sends unacknowledged results (on
 * connecting, then periodically with a growing interval until they are acknowledged), reaps
 * the service processes it adopted. */
#include "agent_daemon.h"

#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zmq.h>

#include "cert_identity.h"
#include "channel_client.h"
#include "log.h"
#include "proc_children.h"
#include "result_store.h"
#include "step.h"
#include "step_runner.h"

#define COMPONENT "agent"
#define POLL_MS 200
#define HANDSHAKE_TIMEOUT_S 10u
#define HOSTNAME_MAX 256
/* Unacknowledged results are re-sent this long after connecting or the last acknowledgement,
 * then at twice the interval each time (up to the maximum) while none is acknowledged: the
 * controller acknowledges only what its journal holds, and its journal may fail for a while. */
#define RESEND_BASE_MS 5000u
#define RESEND_MAX_MS 60000u

typedef struct agent_daemon {
    const agent_config_t *config;
    channel_client_t *channel;
    result_store_t *store;
    step_runner_t *runner;
    int resend_pending;          /* results may be unacknowledged: look for them at resend_at_ms */
    uint64_t resend_at_ms;       /* next look for unacknowledged results */
    unsigned resend_interval_ms; /* the wait after that look */
} agent_daemon_t;

static void send_or_log(agent_daemon_t *d, alfup_msg_t *msg, const char *what)
{
    alfup_err_t err;
    if (channel_client_established(d->channel) && channel_client_send(d->channel, msg, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "%s not sent (kept for later): %s", what, err.msg);
}

static void send_recorded(agent_daemon_t *d, const char *step_id)
{
    alfup_msg_t msg = {.kind = MSG_STEP_RESULT};
    alfup_err_t err;
    int found = result_store_get(d->store, step_id, &msg.result, &err);
    if (found == 1)
        send_or_log(d, &msg, "result");
    else if (found < 0)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "step %s: %s", step_id, err.msg);
    alfup_msg_clear(&msg);
}

/* Sends every unacknowledged result again, oldest first; how many. */
static size_t resend_unacked(agent_daemon_t *d)
{
    str_list_t unacked = {0};
    alfup_err_t err;
    if (result_store_unacked(d->store, &unacked, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "%s", err.msg);
    for (size_t i = 0; i < unacked.count; i++) {
        alfup_log(LOG_LEVEL_INFO, COMPONENT, "re-sending unacknowledged result of step %s", unacked.items[i]);
        send_recorded(d, unacked.items[i]);
    }
    size_t count = unacked.count;
    str_list_clear(&unacked);
    return count;
}

/* Results may be waiting for an acknowledgement: look for them after the base interval. */
static void resend_arm(agent_daemon_t *d)
{
    d->resend_pending = 1;
    d->resend_interval_ms = RESEND_BASE_MS;
    d->resend_at_ms = alfup_now_mono_ms() + RESEND_BASE_MS;
}

/* While connected, re-sends what is still unacknowledged when its time comes; the interval
 * doubles while results stay unacknowledged. Once none is left, the store is not looked at
 * again until a new result is reported (an idle agent does no work here). */
static void resend_due(agent_daemon_t *d)
{
    uint64_t now = alfup_now_mono_ms();
    if (!d->resend_pending || !channel_client_established(d->channel) || now < d->resend_at_ms)
        return;
    if (resend_unacked(d) == 0) {
        d->resend_pending = 0;
        return;
    }
    d->resend_at_ms = now + d->resend_interval_ms;
    d->resend_interval_ms = d->resend_interval_ms * 2 > RESEND_MAX_MS ? RESEND_MAX_MS : d->resend_interval_ms * 2;
}

static uint64_t backup_free_bytes(const char *backup_dir)
{
    struct statvfs vfs;
    if (statvfs(backup_dir, &vfs) != 0)
        return 0;
    return (uint64_t)vfs.f_bavail * vfs.f_frsize;
}

static void on_connected(void *arg)
{
    agent_daemon_t *d = arg;
    char hostname[HOSTNAME_MAX] = "";
    gethostname(hostname, sizeof hostname - 1);
    alfup_msg_t hello = {.kind = MSG_HELLO};
    hello.hello = (msg_hello_t){.name = d->config->name, .version = ALFUP_VERSION, .hostname = hostname,
                                .backup_free_bytes = backup_free_bytes(d->config->backup_dir)};
    send_or_log(d, &hello, "hello");
    if (resend_unacked(d) > 0)
        resend_arm(d);
}

static void on_disconnected(void *arg, const char *reason)
{
    (void)arg;
    alfup_log(LOG_LEVEL_WARN, COMPONENT, "controller unreachable (%s); steps keep running, results are kept",
              reason);
}

/* An answer that is not recorded: the same request later is judged again. */
static void refuse_now(agent_daemon_t *d, const msg_step_request_t *request, const char *why)
{
    alfup_msg_t msg = {.kind = MSG_STEP_RESULT};
    msg.result = (msg_step_result_t){.step_id = request->step_id, .kind = request->kind,
                                     .status = STEP_REFUSED, .error = (char *)why};
    alfup_log(LOG_LEVEL_WARN, COMPONENT, "step %s (%s) refused: %s", request->step_id, request->kind, why);
    send_or_log(d, &msg, "refusal");
}

static void on_request(agent_daemon_t *d, const msg_step_request_t *request)
{
    msg_step_result_t recorded;
    alfup_err_t err;
    int found = result_store_get(d->store, request->step_id, &recorded, &err);
    msg_step_result_clear(&recorded);
    if (found == 1) { /* asked again: answer from the record, never run twice */
        send_recorded(d, request->step_id);
        return;
    }
    if (found < 0) {
        refuse_now(d, request, err.msg);
        return;
    }
    if (step_runner_is_running(d->runner, request->step_id))
        return; /* its result will follow */
    if (step_kind_find(request->kind) == NULL) {
        refuse_now(d, request, "unknown step kind");
        return;
    }
    int rc = step_runner_start(d->runner, request, &err);
    if (rc == ALFUP_AGAIN)
        refuse_now(d, request, "agent busy: too many steps running");
    else if (rc != ALFUP_OK)
        refuse_now(d, request, err.msg);
}

static void on_message(void *arg, const alfup_msg_t *msg)
{
    agent_daemon_t *d = arg;
    alfup_err_t err;
    switch (msg->kind) {
    case MSG_STEP_REQUEST:
        on_request(d, &msg->request);
        break;
    case MSG_RESULT_ACK:
        if (result_store_ack(d->store, msg->ack_step_id, &err) != ALFUP_OK)
            alfup_log(LOG_LEVEL_ERROR, COMPONENT, "ack of step %s: %s", msg->ack_step_id, err.msg);
        else
            d->resend_interval_ms = RESEND_BASE_MS; /* the controller records again: no long wait */
        break;
    case MSG_STEP_CANCEL:
        if (!step_runner_cancel(d->runner, msg->ack_step_id))
            alfup_log(LOG_LEVEL_INFO, COMPONENT, "cancel of step %s: not running", msg->ack_step_id);
        break;
    default:
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "ignored unexpected message kind %d from the controller", (int)msg->kind);
    }
}

static void relay_reports(agent_daemon_t *d)
{
    alfup_msg_t report;
    while (step_runner_next_report(d->runner, &report) == ALFUP_OK) {
        if (report.kind == MSG_STEP_RESULT && !d->resend_pending)
            resend_arm(d);
        send_or_log(d, &report, report.kind == MSG_STEP_RESULT ? "result" : "progress");
        alfup_msg_clear(&report);
    }
}

static int check_identity(const agent_config_t *config, alfup_err_t *err)
{
    cert_identity_t identity;
    if (cert_identity_read_file(config->tls.cert, &identity, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (strcmp(identity.name, config->name) != 0)
        return alfup_err_set(err, "%s: name '%s' differs from the certificate's common name '%s' (%s)",
                             config->path ? config->path : "config", config->name, identity.name,
                             config->tls.cert);
    if ((identity.roles & ROLE_AGENT_MASK) == 0)
        return alfup_err_set(err, "%s: certificate carries no agent role (repo, db, solr)", config->tls.cert);
    return ALFUP_OK;
}

static int loop(agent_daemon_t *d, const volatile sig_atomic_t *stop, alfup_err_t *err)
{
    zmq_pollitem_t items[CHANNEL_CLIENT_POLL_ITEMS + 1];
    while (!*stop) {
        channel_client_poll_items(d->channel, items);
        items[CHANNEL_CLIENT_POLL_ITEMS] =
            (zmq_pollitem_t){.socket = step_runner_socket(d->runner), .events = ZMQ_POLLIN};
        if (zmq_poll(items, CHANNEL_CLIENT_POLL_ITEMS + 1, POLL_MS) < 0 && zmq_errno() != EINTR)
            return alfup_err_set(err, "poll: %s", zmq_strerror(zmq_errno()));
        if (channel_client_handle_input(d->channel, err) != ALFUP_OK)
            return ALFUP_ERR;
        relay_reports(d);
        resend_due(d);
        channel_client_tick(d->channel);
        proc_children_reap_orphans();
    }
    return ALFUP_OK;
}

int agent_daemon_run(const agent_config_t *config, const volatile sig_atomic_t *stop, alfup_err_t *err)
{
    if (check_identity(config, err) != ALFUP_OK)
        return ALFUP_ERR;
    alfup_err_t reaper_err;
    if (proc_children_become_subreaper(&reaper_err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "%s: a service left running by its start command is reaped by "
                  "init, not by the agent", reaper_err.msg);
    agent_daemon_t d = {.config = config};
    int rc = ALFUP_ERR;
    void *zmq_context = zmq_ctx_new();
    if (zmq_context == NULL)
        return alfup_err_set(err, "zmq context: %s", zmq_strerror(zmq_errno()));
    d.store = result_store_open(config->state_dir, err);
    if (d.store == NULL)
        goto out;
    d.runner = step_runner_new(zmq_context, config, d.store, err);
    if (d.runner == NULL)
        goto out;
    channel_client_config_t channel_config = {
        .endpoint = config->controller,
        .tls = {.ca = config->tls.ca, .cert = config->tls.cert, .key = config->tls.key, .crl = config->tls.crl},
        .heartbeat_s = config->heartbeat_s ? config->heartbeat_s : AGENT_DEFAULT_HEARTBEAT_S,
        .handshake_timeout_s = HANDSHAKE_TIMEOUT_S};
    channel_client_events_t events = {.connected = on_connected, .disconnected = on_disconnected,
                                      .message = on_message, .arg = &d};
    d.channel = channel_client_new(zmq_context, &channel_config, &events, err);
    if (d.channel == NULL)
        goto out;
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "agent %s %s started; controller %s", config->name, ALFUP_VERSION,
              config->controller);
    rc = loop(&d, stop, err);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "agent %s stopping", config->name);
out:
    channel_client_destroy(&d.channel);
    step_runner_destroy(&d.runner);
    result_store_destroy(&d.store);
    zmq_ctx_term(zmq_context);
    return rc;
}
