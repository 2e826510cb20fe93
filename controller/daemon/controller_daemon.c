/* controller_daemon.c -- the controller's loop: accepts agents, journals and acknowledges
 * their results, answers the local command line. */
#include "controller_daemon.h"

#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "admin_server.h"
#include "agent_registry.h"
#include "api_bridge.h"
#include "api_commands.h"
#include "api_server.h"
#include "audit_log.h"
#include "event_log.h"
#include "cert_identity.h"
#include "fleet_commands.h"
#include "channel_server.h"
#include "journal.h"
#include "log.h"
#include "ping_waits.h"
#include "result_batch.h"
#include "run_commands.h"
#include "run_engine.h"
#include "webhook_sender.h"

#define COMPONENT "controller"
#define POLL_MS 200
#define FLEET_TICK_MS 1000 /* how often the fleet runner decides */
#define POLL_ITEMS_MAX (1 + 1 + 1 + ADMIN_MAX_CLIENTS)

typedef struct controller_daemon {
    const controller_config_t *config;
    channel_server_t *channel;
    journal_t *journal;
    admin_server_t *admin;
    api_bridge_t *api_bridge;  /* the API thread's requests (NULL without an api: section) */
    api_server_t *api;
    webhook_sender_t *webhooks;  /* NULL without a webhooks: list */
    agent_registry_t registry;
    ping_wait_t *pings;
    uint64_t step_counter;
    run_engine_t *engine;
    fleet_runner_t *fleets;
    uint64_t fleet_tick_mono_ms; /* the next fleet tick */
    result_batch_t results;    /* recorded in the open journal batch, not yet acknowledged */
    result_batch_t committed;  /* on disk, not yet acknowledged nor handed on */
} controller_daemon_t;

/* ---- agents' events ---- */

/* An agent up or down, for the API's event stream. */
static void agent_event(controller_daemon_t *d, const char *name, const char *state, const char *detail)
{
    json_t *data = json_pack("{s:s, s:s, s:s}", "agent", name, "state", state, "detail", detail ? detail : "");
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    alfup_err_t err;
    if (text == NULL || event_log_append(d->journal, "agent", "", text, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "agent %s %s: not in the event stream: %s", name, state,
                  text ? err.msg : "out of memory");
    free(text);
}

static void on_peer_up(void *arg, const char *name, unsigned roles, const char *address)
{
    controller_daemon_t *d = arg;
    if (agent_registry_up(&d->registry, name, roles, address) != 0)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "agent %s: out of memory", name);
    agent_entry_t *entry = agent_registry_find(&d->registry, name);
    if (entry)
        entry->cert_not_after_unix = channel_server_peer_expiry(d->channel, name);
    agent_event(d, name, "online", address);
    run_engine_on_agent_up(d->engine, name);
}

static void on_peer_down(void *arg, const char *name, const char *reason)
{
    controller_daemon_t *d = arg;
    agent_registry_down(&d->registry, name);
    agent_event(d, name, "offline", reason);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "agent %s offline: %s", name, reason);
}

/* name's authenticated session was cut: the reloaded CRL revokes its certificate. */
static void on_peer_refused(void *arg, const char *name, const char *reason)
{
    controller_daemon_t *d = arg;
    if (agent_registry_refused(&d->registry, name, reason) != 0)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "agent %s: out of memory", name);
    alfup_log(LOG_LEVEL_WARN, COMPONENT, "agent %s refused: %s; its steps fail until it connects with a valid "
              "certificate", name, reason);
    run_engine_on_agent_refused(d->engine, name, reason);
}

static void acknowledge(controller_daemon_t *d, const char *agent, const char *step_id)
{
    alfup_msg_t ack = {.kind = MSG_RESULT_ACK, .ack_step_id = (char *)step_id};
    alfup_err_t err;
    if (channel_server_send(d->channel, agent, &ack, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "ack of step %s not sent (the agent will re-send): %s", step_id,
                  err.msg);
}

/* The result is on disk: log it, acknowledge it, hand it on. agent must not be the session's own
 * name (an ack that fails drops the session): it is the channel's copy or the batch's. */
static void settle_result(controller_daemon_t *d, const char *agent, const msg_step_result_t *result)
{
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "step %s on %s: %s%s%s", result->step_id, agent,
              step_status_name(result->status), result->error && result->error[0] ? ": " : "",
              result->error ? result->error : "");
    acknowledge(d, agent, result->step_id); /* only after it is on disk */
    if (!run_engine_on_result(d->engine, agent, result))
        ping_waits_answer(d->pings, result);
}

/* Commits the open journal batch: what it recorded may be acted on from now on; its results
 * wait in d->committed until settle_results. ALFUP_ERR when the commit failed: the batch's
 * rows are gone and its results are dropped unacknowledged (their agents re-send them). */
static int commit_results(controller_daemon_t *d, alfup_err_t *err)
{
    if (!journal_in_batch(d->journal))
        return ALFUP_OK;
    int rc = journal_batch_commit(d->journal, err);
    if (rc != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "%s: %zu results not recorded nor acknowledged (their agents "
                  "re-send them)", err->msg, d->results.count);
    else if (result_batch_append(&d->committed, &d->results) != 0)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "out of memory: %zu recorded results not acknowledged (their "
                  "agents re-send them)", d->results.count);
    result_batch_clear(&d->results);
    return rc;
}

/* Acknowledges and hands on every committed result. Only from the top of the loop: the run
 * engine may be called, so never from inside one of its callbacks. */
static void settle_results(controller_daemon_t *d)
{
    alfup_err_t err;
    commit_results(d, &err);
    result_batch_t done;
    result_batch_take(&d->committed, &done);
    for (size_t i = 0; i < done.count; i++)
        settle_result(d, done.items[i].agent, &done.items[i].result);
    result_batch_clear(&done);
}

/* Records the result in the journal batch (opened here when none is); it is acknowledged when
 * the batch commits. Without a batch, it is settled at once as before. */
static void on_result(controller_daemon_t *d, const char *agent, const msg_step_result_t *result)
{
    alfup_err_t err;
    if (!journal_in_batch(d->journal) && journal_batch_begin(d->journal, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "%s; recording this result on its own", err.msg);
    int rc = journal_step_result(d->journal, agent, result, &err);
    if (rc == JOURNAL_NOT_SENT) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "result of step %s from %s not recorded: %s", result->step_id, agent,
                  err.msg);
        if (result->status != STEP_REFUSED) /* an unrecorded refusal: nothing on the agent to acknowledge */
            acknowledge(d, agent, result->step_id); /* never ours: let the agent forget it */
        return;
    }
    if (rc != ALFUP_OK) { /* disk full, I/O error: only what the journal holds is acknowledged */
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "result of step %s from %s not recorded nor acknowledged (the agent "
                  "re-sends it): %s", result->step_id, agent, err.msg);
        return;
    }
    if (!journal_in_batch(d->journal))
        settle_result(d, agent, result);
    else if (result_batch_add(&d->results, agent, result) != 0)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "result of step %s from %s: out of memory; not acknowledged, "
                  "the agent re-sends it", result->step_id, agent);
}

static void on_message(void *arg, const char *name, const alfup_msg_t *msg)
{
    controller_daemon_t *d = arg;
    agent_registry_seen(&d->registry, name, msg);
    if (msg->kind == MSG_STEP_RESULT)
        on_result(d, name, &msg->result);
    else if (msg->kind == MSG_STEP_PROGRESS)
        run_engine_on_progress(d->engine, name, &msg->progress);
}

/* ---- commands from the admin socket ---- */

static void new_step_id(controller_daemon_t *d, const char *kind, char *step_id, size_t len)
{
    snprintf(step_id, len, "%s.%llu.%llu", kind, (unsigned long long)alfup_now_unix_ms(),
             (unsigned long long)++d->step_counter);
}

/* Journals a "sent" row for every target (one batch: one fsync for the whole fan-out); a
 * target whose row could not be written is marked "not sent". */
static void journal_ping_targets(controller_daemon_t *d, ping_wait_t *w)
{
    alfup_err_t err;
    int batched = journal_batch_begin(d->journal, &err) == ALFUP_OK;
    if (!batched)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "ping: %s; journaling each target on its own", err.msg);
    for (size_t i = 0; i < w->count; i++) {
        ping_target_t *t = &w->targets[i];
        if (journal_step_sent(d->journal, t->step_id, t->agent, "ping", &err) != ALFUP_OK) {
            snprintf(t->status, sizeof t->status, "not sent");
            t->sent_us = 0;
            alfup_log(LOG_LEVEL_WARN, COMPONENT, "ping %s: %s", t->agent, err.msg);
        }
    }
    if (batched && journal_batch_commit(d->journal, &err) != ALFUP_OK) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "ping: %s", err.msg);
        for (size_t i = 0; i < w->count; i++) {
            snprintf(w->targets[i].status, sizeof w->targets[i].status, "not sent");
            w->targets[i].sent_us = 0;
        }
    }
}

static void send_ping_targets(controller_daemon_t *d, ping_wait_t *w, kv_list_t *params)
{
    for (size_t i = 0; i < w->count; i++) {
        ping_target_t *t = &w->targets[i];
        if (t->sent_us == 0)
            continue;
        alfup_msg_t msg = {.kind = MSG_STEP_REQUEST};
        msg.request = (msg_step_request_t){.step_id = t->step_id, .kind = "ping", .approval = ""};
        msg.request.params = *params;
        alfup_err_t err;
        if (channel_server_send(d->channel, t->agent, &msg, &err) != ALFUP_OK) {
            snprintf(t->status, sizeof t->status, "not sent");
            t->sent_us = 0;
            alfup_log(LOG_LEVEL_WARN, COMPONENT, "ping %s: %s", t->agent, err.msg);
        }
    }
}

/* Pings every online agent. Each target's round trip runs from the start of the fan-out
 * (journaling included) to its answer being on disk. */
static void start_ping(controller_daemon_t *d, uint64_t client_id, int json, unsigned hold_ms)
{
    ping_wait_t *w = calloc(1, sizeof *w);
    if (w == NULL || (d->registry.count && !(w->targets = calloc(d->registry.count, sizeof *w->targets)))) {
        free(w);
        admin_server_reply(d->admin, client_id, 1, "out of memory\n");
        return;
    }
    settle_results(d);
    uint64_t start_us = ping_now_us();
    w->client_id = client_id;
    w->json = json;
    w->deadline_ms = alfup_now_mono_ms() + PING_TIMEOUT_MS + hold_ms;
    for (size_t i = 0; i < d->registry.count; i++) {
        const agent_entry_t *a = &d->registry.agents[i];
        if (!a->online)
            continue;
        ping_target_t *t = &w->targets[w->count++];
        snprintf(t->agent, sizeof t->agent, "%s", a->name);
        new_step_id(d, "ping", t->step_id, sizeof t->step_id);
        t->sent_us = start_us;
    }
    journal_ping_targets(d, w);
    kv_list_t params = {0};
    kv_list_add(&params, "payload", "alfup-ping");
    if (hold_ms)
        kv_list_addf(&params, "hold_ms", "%u", hold_ms);
    send_ping_targets(d, w, &params);
    kv_list_clear(&params);
    if (ping_wait_index(w) != 0)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "ping: out of memory for its index; answers are matched slowly");
    w->next = d->pings;
    d->pings = w;
}

static void finish_pings(controller_daemon_t *d)
{
    uint64_t now = alfup_now_mono_ms();
    for (ping_wait_t **link = &d->pings; *link;) {
        ping_wait_t *w = *link;
        if (!ping_wait_done(w, now)) {
            link = &w->next;
            continue;
        }
        int all_ok = 0;
        char *report = ping_wait_report(w, &all_ok);
        admin_server_reply(d->admin, w->client_id, all_ok ? 0 : 1, report ? report : "out of memory\n");
        free(report);
        *link = w->next;
        ping_wait_free(w);
    }
}

static void reply_agents(controller_daemon_t *d, uint64_t client_id, int json)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL) {
        admin_server_reply(d->admin, client_id, 1, "out of memory\n");
        return;
    }
    agent_registry_print(&d->registry, json, f);
    fclose(f);
    admin_server_reply(d->admin, client_id, 0, text);
    free(text);
}

/* A run command from the admin socket that changes something: in the audit trail before its reply. */
static void audit_admin(void *arg, uint64_t client_id, int argc, char **argv, int exit_code, const char *reply)
{
    controller_daemon_t *d = arg;
    unsigned uid = 0;
    char who[128] = "uid ?", user_buf[1024];
    struct passwd pw, *found = NULL;
    if (admin_server_client_uid(d->admin, client_id, &uid) == 0) {
        getpwuid_r((uid_t)uid, &pw, user_buf, sizeof user_buf, &found);
        snprintf(who, sizeof who, "uid %u (%s)", uid, found ? found->pw_name : "?");
    }
    const char *run_id = argc >= 2 && strcmp(argv[0], "run") != 0 ? argv[1] : "";
    char run_buf[128] = "";
    if (strcmp(argv[0], "run") == 0 && exit_code == 0)
        snprintf(run_buf, sizeof run_buf, "%.*s", (int)strcspn(reply, "\n"), reply);
    audit_entry_t entry = {.who = who, .serial = "", .source = "admin", .address = d->config->admin,
                           .action = argv[0], .run_id = run_buf[0] ? run_buf : run_id, .status = exit_code,
                           .outcome = reply};
    alfup_err_t err;
    commit_results(d, &err); /* no batch open: the entry is on disk before the reply */
    if (audit_log_append(d->journal, &entry, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "%s by %s not in the audit trail: %s", argv[0], who, err.msg);
}

/* fleet start|pause|resume|cancel, drain, undrain: in the audit trail (action "fleet-start" ..., the fleet's
 * name where the run id goes) before the reply. */
static void handle_fleet_command(controller_daemon_t *d, uint64_t client_id, int argc, char **argv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out == NULL) {
        admin_server_reply(d->admin, client_id, 1, "out of memory\n");
        return;
    }
    alfup_err_t err;
    commit_results(d, &err); /* the fleet's decisions are journaled outside any batch */
    int exit_code = fleet_commands_answer(d->fleets, argc, argv, out);
    fclose(out);
    if (fleet_commands_is_action(argc, argv)) {
        char action[32], name[128] = "";
        snprintf(action, sizeof action, "%s%s%s", argv[0], argc >= 2 && strcmp(argv[0], "fleet") == 0 ? "-" : "",
                 argc >= 2 && strcmp(argv[0], "fleet") == 0 ? argv[1] : "");
        if (strcmp(argv[0], "fleet") == 0 && exit_code == 0)
            snprintf(name, sizeof name, "%.*s", (int)strcspn(text ? text : "", "\n"), text ? text : "");
        const char *fleet = strcmp(argv[0], "fleet") != 0 ? "" : argc >= 3 && argv[1][0] != 's' ? argv[2] : name;
        char *audit_argv[] = {action, (char *)fleet, NULL};
        audit_admin(d, client_id, 2, audit_argv, exit_code, text ? text : "");
    }
    admin_server_reply(d->admin, client_id, exit_code, text ? text : "");
    free(text);
}

static unsigned on_api_request(void *arg, const api_request_t *request, char **body)
{
    controller_daemon_t *d = arg;
    alfup_err_t err;
    commit_results(d, &err); /* no batch open: audit entries are on disk before the answer */
    api_commands_t commands = {.engine = d->engine, .registry = &d->registry, .journal = d->journal,
                               .config = &d->config->api, .controller = d->config, .fleets = d->fleets};
    return api_commands_answer(&commands, request, body);
}

static void on_admin_request(void *arg, uint64_t client_id, int argc, char **argv)
{
    controller_daemon_t *d = arg;
    int json = 0;
    unsigned hold_ms = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strncmp(argv[i], "--hold-ms=", 10) == 0)
            hold_ms = (unsigned)strtoul(argv[i] + 10, NULL, 10);
    }
    if (hold_ms > PING_HOLD_MAX_MS)
        hold_ms = PING_HOLD_MAX_MS;
    if (argc >= 1 && (strcmp(argv[0], "fleet") == 0 || strcmp(argv[0], "drain") == 0 ||
                      strcmp(argv[0], "undrain") == 0)) {
        handle_fleet_command(d, client_id, argc, argv);
        return;
    }
    if (argc >= 1 && strcmp(argv[0], "run") == 0 && fleet_runner_drained(d->fleets)) {
        admin_server_reply(d->admin, client_id, 1, "the controller is drained: no new run starts (undrain)\n");
        return;
    }
    if (run_commands_handle(d->engine, d->admin, client_id, argc, argv, audit_admin, d))
        return;
    if (argc >= 1 && strcmp(argv[0], "agents") == 0)
        reply_agents(d, client_id, json);
    else if (argc >= 1 && strcmp(argv[0], "ping") == 0)
        start_ping(d, client_id, json, hold_ms);
    else
        admin_server_reply(d->admin, client_id, 2, "unknown command\n");
}

/* ---- what the run engine uses ---- */

static int engine_send(void *arg, const char *agent, alfup_msg_t *msg, alfup_err_t *err)
{
    controller_daemon_t *d = arg;
    if (d->channel == NULL)
        return alfup_err_set(err, "agent %s is not online", agent);
    /* what the engine acts on, and the step it journaled, must be on disk before the agent hears of it */
    if (commit_results(d, err) != ALFUP_OK)
        return ALFUP_ERR;
    return channel_server_send(d->channel, agent, msg, err);
}

static const char *engine_agent_refused(void *arg, const char *agent)
{
    controller_daemon_t *d = arg;
    const agent_entry_t *entry = agent_registry_find(&d->registry, agent);
    return entry && entry->refused[0] ? entry->refused : NULL;
}

static int engine_agent_roles(void *arg, const char *agent)
{
    controller_daemon_t *d = arg;
    const agent_entry_t *entry = agent_registry_find(&d->registry, agent);
    return entry && entry->online ? (int)entry->roles : -1;
}

/* ---- the loop ---- */

static int loop(controller_daemon_t *d, const volatile sig_atomic_t *stop, alfup_err_t *err)
{
    zmq_pollitem_t items[POLL_ITEMS_MAX];
    while (!*stop) {
        items[0] = (zmq_pollitem_t){.socket = channel_server_socket(d->channel), .events = ZMQ_POLLIN};
        int count = 1;
        if (d->api_bridge)
            items[count++] = (zmq_pollitem_t){.socket = api_bridge_socket(d->api_bridge), .events = ZMQ_POLLIN};
        count += admin_server_poll_items(d->admin, items + count, POLL_ITEMS_MAX - count);
        if (zmq_poll(items, count, POLL_MS) < 0 && zmq_errno() != EINTR)
            return alfup_err_set(err, "poll: %s", zmq_strerror(zmq_errno()));
        int input_rc = channel_server_handle_input(d->channel, err);
        settle_results(d); /* one commit for every result this pass recorded */
        if (input_rc != ALFUP_OK)
            return ALFUP_ERR;
        admin_server_handle_input(d->admin);
        if (d->api_bridge)
            api_bridge_handle_input(d->api_bridge);
        channel_server_tick(d->channel);
        run_engine_tick(d->engine);
        if (alfup_now_mono_ms() >= d->fleet_tick_mono_ms) {
            alfup_err_t commit_err;
            commit_results(d, &commit_err); /* each decision is on disk before it is acted on */
            fleet_runner_tick(d->fleets);
            d->fleet_tick_mono_ms = alfup_now_mono_ms() + FLEET_TICK_MS;
        }
        finish_pings(d);
    }
    return ALFUP_OK;
}

/* The API's inproc bridge, then its thread (which connects to the bridge). */
static int start_api(controller_daemon_t *d, void *zmq_context, alfup_err_t *err)
{
    const controller_api_t *api = &d->config->api;
    d->api_bridge = api_bridge_new(zmq_context, on_api_request, d, err);
    if (d->api_bridge == NULL)
        return ALFUP_ERR;
    api_server_config_t config = {.listen = api->listen, .ca = api->ca, .cert = api->cert, .key = api->key,
                                  .crl = api->crl, .idle_timeout_s = api->idle_timeout_s,
                                  .zmq_context = zmq_context, .console_dir = api->console_dir};
    d->api = api_server_new(&config, err);
    return d->api ? ALFUP_OK : ALFUP_ERR;
}

int controller_daemon_run(const controller_config_t *config, const volatile sig_atomic_t *stop,
                          alfup_err_t *err)
{
    controller_daemon_t d = {.config = config};
    int rc = ALFUP_ERR;
    void *zmq_context = zmq_ctx_new();
    if (zmq_context == NULL)
        return alfup_err_set(err, "zmq context: %s", zmq_strerror(zmq_errno()));
    cert_identity_t identity;
    if (cert_identity_read_file(config->tls.cert, &identity, err) != ALFUP_OK)
        goto out;
    if (!(identity.roles & ROLE_CONTROLLER)) {
        alfup_err_set(err, "%s: certificate carries no controller role", config->tls.cert);
        goto out;
    }
    d.journal = journal_open(config->journal, err);
    if (d.journal == NULL)
        goto out;
    run_engine_io_t io = {.send = engine_send, .agent_roles = engine_agent_roles, .arg = &d,
                          .agent_refused = engine_agent_refused};
    d.engine = run_engine_new(d.journal, config->workflows, &io, err);
    if (d.engine == NULL)
        goto out;
    fleet_runner_ops_t fleet_ops = fleet_commands_ops(d.engine);
    d.fleets = fleet_runner_new(d.journal, config->workflows, &fleet_ops, err);
    if (d.fleets == NULL)
        goto out;
    channel_server_config_t channel_config = {
        .listen = config->listen,
        .tls = {.ca = config->tls.ca, .cert = config->tls.cert, .key = config->tls.key, .crl = config->tls.crl},
        .heartbeat_timeout_s = config->heartbeat_timeout_s,
        .handshake_timeout_s = config->handshake_timeout_s,
        .max_pending_handshakes = config->max_pending_handshakes,
        .required_roles = ROLE_AGENT_MASK, .refused_roles = ROLE_CONSOLE_MASK | ROLE_CONTROLLER};
    channel_server_events_t events = {.peer_up = on_peer_up, .peer_down = on_peer_down, .message = on_message,
                                      .arg = &d, .peer_refused = on_peer_refused};
    d.channel = channel_server_new(zmq_context, &channel_config, &events, err);
    if (d.channel == NULL)
        goto out;
    d.admin = admin_server_new(config->admin, on_admin_request, &d, err);
    if (d.admin == NULL)
        goto out;
    if (config->api.listen && start_api(&d, zmq_context, err) != ALFUP_OK)
        goto out;
    if (config->webhooks.count && (d.webhooks = webhook_sender_new(config->journal, &config->webhooks, err)) == NULL)
        goto out;
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "controller %s %s listening on %s, admin socket %s%s%s", identity.name,
              ALFUP_VERSION, config->listen, config->admin, config->api.listen ? ", API https://" : "",
              config->api.listen ? config->api.listen : "");
    rc = loop(&d, stop, err);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "controller stopping");
out:
    while (d.pings) {
        ping_wait_t *next = d.pings->next;
        ping_wait_free(d.pings);
        d.pings = next;
    }
    result_batch_clear(&d.results); /* the loop committed and settled every batch it opened */
    result_batch_clear(&d.committed);
    webhook_sender_destroy(&d.webhooks);
    api_server_destroy(&d.api); /* its thread first: it talks to the bridge */
    api_bridge_destroy(&d.api_bridge);
    admin_server_destroy(&d.admin);
    fleet_runner_destroy(&d.fleets);
    run_engine_destroy(&d.engine);
    channel_server_destroy(&d.channel);
    journal_close(&d.journal);
    agent_registry_clear(&d.registry);
    zmq_ctx_term(zmq_context);
    return rc;
}
