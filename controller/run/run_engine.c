/* run_engine.c -- the state machine of upgrade runs. Every change is written to the journal
 * before it takes effect on the wire, so a restarted controller finds each run as it was.
 * Operator commands are in run_engine_commands.c, starting runs in run_engine_start.c. */
#include "run_engine_internal.h"

#include <stdlib.h>
#include <string.h>

#include "cert_identity.h"
#include "log.h"
#include "run_params.h"
#include "run_store.h"

#define COMPONENT ENGINE_COMPONENT
#define APPROVAL_MAX 160
#define REFUSAL_MAX 256

/* ---- persistence helpers: log, never lose the in-memory truth ---- */

void engine_save_run(run_engine_t *e, run_t *run)
{
    alfup_err_t err;
    if (run_store_save_run(e->journal, run, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "%s", err.msg);
}

int engine_save_step(run_engine_t *e, run_t *run, int rollback, size_t index)
{
    alfup_err_t err;
    if (run_store_save_step(e->journal, run, rollback, index, &err) == ALFUP_OK)
        return ALFUP_OK;
    alfup_log(LOG_LEVEL_ERROR, COMPONENT, "%s", err.msg);
    return ALFUP_ERR;
}

void engine_set_text(char **field, const char *text)
{
    free(*field);
    *field = text ? strdup(text) : NULL;
}

void engine_finish(run_engine_t *e, run_t *run, run_state_t state)
{
    run->state = state;
    run->finished_unix_ms = alfup_now_unix_ms();
    engine_set_text(&run->waiting_gate, NULL);
    engine_save_run(e, run);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "run %s %s%s%s", run->id, run_state_name(state), run->error ? ": " : "",
              run->error ? run->error : "");
}

void engine_settle_failed(run_engine_t *e, run_t *run, int rollback, size_t index, run_step_state_t state,
                          const char *error)
{
    run_step_t *s = rollback ? &run->rollback_steps[index] : &run->steps[index];
    s->state = state;
    s->finished_unix_ms = alfup_now_unix_ms();
    if (error)
        engine_set_text(&s->result.error, error);
    if (!rollback && state == RSTEP_FAILED && run->failed_index < 0) {
        run->failed_index = (long)index;
        engine_save_run(e, run);
    }
    engine_save_step(e, run, rollback, index);
}

/* ---- sending ---- */

static int gate_approved(const run_t *run, const char *gate)
{
    return gate == NULL || str_list_contains(&run->approvals, gate);
}

/* 1 when agent is online and its certificate lacks the role step p runs for; error then
 * names the host, the step and the role. An offline agent is checked when it comes back
 * (engine_transmit), since any certificate may then present its name. */
static int role_missing(run_engine_t *e, const run_t *run, const planned_step_t *p, char *error, size_t len)
{
    int roles = e->io.agent_roles(e->io.arg, p->agent);
    if (roles < 0 || (roles & (int)cert_role_from_name(p->role)) != 0)
        return 0;
    char held[64];
    cert_roles_format((unsigned)roles, held, sizeof held);
    snprintf(error, len, "step %s on %s needs the role %s; the certificate now presenting %s lacks it "
             "(it holds: %s); not sent", p->id, p->agent, p->role, p->agent, held[0] ? held : "no role");
    alfup_log(LOG_LEVEL_ERROR, COMPONENT, "run %s: %s", run->id, error);
    return 1;
}

/* Sends (or re-sends) a step already marked SENT, journaling the send first when journal_it.
 * A missing agent is not an error here: the step goes out when the agent comes back, or times
 * out. The roles of the certificate that presents the agent's name now are checked first: a
 * step that lacks its role fails (ALFUP_ERR) and nothing is sent. */
static int transmit(run_engine_t *e, run_t *run, int rollback, size_t index, int journal_it)
{
    const planned_step_t *p = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    char step_id[ALFUP_STEP_ID_MAX + 1], approval[APPROVAL_MAX] = "", refused[REFUSAL_MAX];
    alfup_err_t err;
    kv_list_t params = {0};
    if (role_missing(e, run, p, refused, sizeof refused)) {
        engine_settle_failed(e, run, rollback, index, RSTEP_FAILED, refused);
        return ALFUP_ERR;
    }
    if (run_wire_step_id(run, rollback, index, step_id, sizeof step_id) != 0) {
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "run %s: step id of %s too long", run->id, p->id);
        return ALFUP_OK;
    }
    if (run_params_resolve(run, rollback, index, &params, &err) != ALFUP_OK) {
        engine_settle_failed(e, run, rollback, index, RSTEP_FAILED, err.msg);
        kv_list_clear(&params);
        return ALFUP_ERR;
    }
    if (p->gate)
        snprintf(approval, sizeof approval, "approved:%s:%s", run->id, p->gate);
    alfup_msg_t msg = {.kind = MSG_STEP_REQUEST};
    msg.request = (msg_step_request_t){.step_id = step_id, .kind = p->kind, .params = params, .approval = approval};
    run_step_t *s = rollback ? &run->rollback_steps[index] : &run->steps[index];
    s->asked_mono_ms = alfup_now_mono_ms();
    if (journal_it)
        s->ask_interval_ms = 0; /* a fresh send: the next ask after the base interval */
    if (journal_it && journal_step_sent(e->journal, step_id, p->agent, p->kind, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "run %s: %s", run->id, err.msg);
    else if (e->io.send(e->io.arg, p->agent, &msg, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "run %s: step %s waits for its agent: %s", run->id, p->id, err.msg);
    kv_list_clear(&params);
    return ALFUP_OK;
}

int engine_transmit(run_engine_t *e, run_t *run, int rollback, size_t index)
{
    return transmit(e, run, rollback, index, 1);
}

int engine_reask(run_engine_t *e, run_t *run, int rollback, size_t index)
{
    return transmit(e, run, rollback, index, 0);
}

static void send_step(run_engine_t *e, run_t *run, int rollback, size_t index)
{
    const planned_step_t *p = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    run_step_t *s = rollback ? &run->rollback_steps[index] : &run->steps[index];
    s->attempt = s->attempt ? s->attempt : 1;
    s->sent_unix_ms = alfup_now_unix_ms();
    s->sent_mono_ms = alfup_now_mono_ms();
    msg_step_result_clear(&s->result);
    char refused[REFUSAL_MAX];
    if (role_missing(e, run, p, refused, sizeof refused)) {
        engine_settle_failed(e, run, rollback, index, RSTEP_FAILED, refused);
        return;
    }
    if (engine_agent_refused(e, p->agent, refused, sizeof refused)) {
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "run %s: %s on %s fails: %s", run->id, p->id, p->agent, refused);
        engine_settle_failed(e, run, rollback, index, RSTEP_FAILED, refused);
        return;
    }
    s->state = RSTEP_SENT;
    if (engine_save_step(e, run, rollback, index) != ALFUP_OK)
        return; /* not journaled: do not send */
    if (!rollback && index >= run->plan->rollback_from && !run->armed) {
        run->armed = 1;
        engine_save_run(e, run);
    }
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "run %s: %s on %s (%s)", run->id, p->id, p->agent, p->kind);
    engine_transmit(e, run, rollback, index);
}

/* ---- failure and rollback ---- */

int engine_reached(const run_t *run, size_t from)
{
    for (size_t i = from; i < run->plan->step_count; i++)
        if (run->steps[i].state != RSTEP_PENDING)
            return 1;
    return 0;
}

void engine_cancel_in_flight(run_engine_t *e, run_t *run)
{
    for (size_t i = 0; i < run->plan->step_count; i++) {
        if (run->steps[i].state != RSTEP_SENT)
            continue;
        char step_id[ALFUP_STEP_ID_MAX + 1];
        if (run_wire_step_id(run, 0, i, step_id, sizeof step_id) != 0)
            continue;
        alfup_msg_t cancel = {.kind = MSG_STEP_CANCEL, .ack_step_id = step_id};
        alfup_err_t err;
        e->io.send(e->io.arg, run->plan->steps[i].agent, &cancel, &err);
    }
}

void engine_start_rollback(run_engine_t *e, run_t *run)
{
    engine_cancel_in_flight(e, run);
    run->rollback_round++;
    for (size_t i = 0; i < run->plan->rollback_count; i++) {
        msg_step_result_clear(&run->rollback_steps[i].result);
        run_step_clear_progress(&run->rollback_steps[i]);
        memset(&run->rollback_steps[i], 0, sizeof run->rollback_steps[i]);
        engine_save_step(e, run, 1, i);
    }
    run->state = RUN_ROLLING_BACK;
    engine_set_text(&run->waiting_gate, NULL);
    engine_save_run(e, run);
    alfup_log(LOG_LEVEL_WARN, COMPONENT, "run %s: rolling back (round %u): stop the new services, start the old",
              run->id, run->rollback_round);
}

static void advance_rollback(run_engine_t *e, run_t *run);

static void fail_run(run_engine_t *e, run_t *run, size_t index)
{
    const planned_step_t *p = &run->plan->steps[index];
    const run_step_t *s = &run->steps[index];
    char error[1024];
    snprintf(error, sizeof error, "%s: step %s (%s, procedure %s) failed: %s", p->agent, p->workflow_step, p->kind,
             p->procedure, s->result.error && s->result.error[0] ? s->result.error : "no reason given");
    engine_set_text(&run->error, error);
    run->failed_index = (long)index;
    if (index >= run->plan->destructive_from) {
        /* decommission has begun: the old system may be gone, there is nothing to go back to */
        engine_finish(e, run, RUN_FAILED);
        return;
    }
    if (index >= run->plan->rollback_until) {
        /* the new version serves: going back would lose what was written to it since it started */
        snprintf(error + strlen(error), sizeof error - strlen(error),
                 "; the new version serves, so nothing was rolled back: `resume` retries the failed steps, "
                 "`rollback` would go back to the old system and lose what was written since the start");
        engine_set_text(&run->error, error);
        engine_finish(e, run, RUN_FAILED);
        return;
    }
    if (run->armed && run->plan->rollback_count > 0) {
        engine_start_rollback(e, run);
        advance_rollback(e, run);
    } else {
        engine_finish(e, run, RUN_FAILED);
    }
}

static void timeout_step(run_engine_t *e, run_t *run, int rollback, size_t index)
{
    const planned_step_t *p = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    run_step_t *s = rollback ? &run->rollback_steps[index] : &run->steps[index];
    if (s->state != RSTEP_SENT || p->timeout_s == 0 ||
        alfup_now_mono_ms() - s->sent_mono_ms < (uint64_t)p->timeout_s * 1000u)
        return;
    char error[256];
    snprintf(error, sizeof error, "no result from %s within %u s%s", p->agent, p->timeout_s,
             e->io.agent_roles(e->io.arg, p->agent) < 0 ? " (the agent is offline)" : "");
    engine_settle_failed(e, run, rollback, index, RSTEP_FAILED, error);
}

static void advance_rollback(run_engine_t *e, run_t *run)
{
    for (size_t i = 0; i < run->plan->rollback_count; i++) {
        run_step_t *s = &run->rollback_steps[i];
        timeout_step(e, run, 1, i);
        if (s->state == RSTEP_SENT)
            return;
        if (s->state == RSTEP_PENDING) {
            send_step(e, run, 1, i);
            if (run->rollback_steps[i].state != RSTEP_FAILED)
                return;
        }
    }
    const char *failed = NULL;
    for (size_t i = 0; i < run->plan->rollback_count && failed == NULL; i++)
        if (run->rollback_steps[i].state != RSTEP_SUCCEEDED)
            failed = run->plan->rollback[i].id;
    if (failed) {
        char error[1200];
        snprintf(error, sizeof error, "%s; ROLLBACK INCOMPLETE: %s failed, the old system may be down",
                 run->error ? run->error : "rollback requested", failed);
        engine_set_text(&run->error, error);
        engine_finish(e, run, RUN_FAILED);
        return;
    }
    engine_finish(e, run, run->cancel_requested ? RUN_CANCELLED : RUN_ROLLED_BACK);
}

/* ---- the main sequence ---- */

/* The index of the first main step not yet succeeded, or step_count. */
static size_t first_open(const run_t *run)
{
    size_t i = 0;
    while (i < run->plan->step_count && run->steps[i].state == RSTEP_SUCCEEDED)
        i++;
    return i;
}

/* Stops at a gate: every step of the stage that needs an unapproved gate waits. */
static int wait_at_gate(run_engine_t *e, run_t *run, const planned_step_t *p)
{
    if (run->state == RUN_WAITING && run->waiting_gate && strcmp(run->waiting_gate, p->gate) == 0)
        return 1;
    run->state = RUN_WAITING;
    engine_set_text(&run->waiting_gate, p->gate);
    engine_save_run(e, run);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "run %s waits for approval of '%s' (alfup-controller approve %s %s)",
              run->id, p->gate, run->id, p->gate);
    return 1;
}

static void advance_main(run_engine_t *e, run_t *run)
{
    size_t open = first_open(run);
    if (open == run->plan->step_count) {
        engine_finish(e, run, RUN_SUCCEEDED);
        return;
    }
    unsigned stage = run->plan->steps[open].stage;
    size_t in_flight = 0;
    long failed = -1;
    for (size_t i = open; i < run->plan->step_count && run->plan->steps[i].stage == stage; i++) {
        timeout_step(e, run, 0, i);
        in_flight += run->steps[i].state == RSTEP_SENT;
        if (run_step_ended_badly(&run->steps[i]) && failed < 0)
            failed = (long)i;
    }
    if (failed >= 0) {
        if (in_flight > 0)
            engine_cancel_in_flight(e, run); /* the stage failed: stop its siblings, then fail */
        else
            fail_run(e, run, run->failed_index >= 0 ? (size_t)run->failed_index : (size_t)failed);
        return;
    }
    if (engine_review_preflight(e, run, open) != ALFUP_OK) {
        fail_run(e, run, (size_t)run->failed_index); /* before anything stops: nothing to roll back */
        return;
    }
    for (size_t i = open; i < run->plan->step_count && run->plan->steps[i].stage == stage; i++) {
        const planned_step_t *p = &run->plan->steps[i];
        if (run->steps[i].state != RSTEP_PENDING)
            continue;
        if (!gate_approved(run, p->gate)) {
            if (in_flight == 0)
                wait_at_gate(e, run, p);
            return;
        }
        if (run->state == RUN_WAITING) {
            run->state = RUN_RUNNING;
            engine_set_text(&run->waiting_gate, NULL);
            engine_save_run(e, run);
        }
        send_step(e, run, 0, i);
    }
}

void engine_advance(run_engine_t *e, run_t *run)
{
    if (run->paused || run_state_is_final(run->state))
        return;
    if (run->state == RUN_ROLLING_BACK)
        advance_rollback(e, run);
    else
        advance_main(e, run);
}

/* ---- events ---- */

/* Finds the step whose current wire id is step_id. */
static run_t *find_step(run_engine_t *e, const char *step_id, int *rollback, size_t *index)
{
    for (run_t *run = e->runs; run; run = run->next) {
        size_t id_len = strlen(run->id);
        if (strncmp(step_id, run->id, id_len) != 0 || step_id[id_len] != '.')
            continue;
        char wire[ALFUP_STEP_ID_MAX + 1];
        for (int rb = 0; rb <= 1; rb++) {
            size_t count = rb ? run->plan->rollback_count : run->plan->step_count;
            for (size_t i = 0; i < count; i++) {
                if (run_wire_step_id(run, rb, i, wire, sizeof wire) == 0 && strcmp(wire, step_id) == 0) {
                    *rollback = rb;
                    *index = i;
                    return run;
                }
            }
        }
    }
    return NULL;
}

static int copy_result(msg_step_result_t *dst, const msg_step_result_t *src)
{
    msg_step_result_clear(dst);
    dst->step_id = strdup(src->step_id);
    dst->kind = strdup(src->kind ? src->kind : "");
    dst->error = strdup(src->error ? src->error : "");
    dst->status = src->status;
    dst->started_unix_ms = src->started_unix_ms;
    dst->finished_unix_ms = src->finished_unix_ms;
    if (!dst->step_id || !dst->kind || !dst->error)
        return -1;
    for (size_t i = 0; i < src->outputs.count; i++)
        if (kv_list_add(&dst->outputs, src->outputs.items[i].key, src->outputs.items[i].value) != 0)
            return -1;
    for (size_t i = 0; i < src->log_lines.count; i++)
        if (str_list_add(&dst->log_lines, src->log_lines.items[i]) != 0)
            return -1;
    return 0;
}

int run_engine_on_result(run_engine_t *e, const char *agent, const msg_step_result_t *result)
{
    int rollback;
    size_t index;
    run_t *run = find_step(e, result->step_id, &rollback, &index);
    if (run == NULL)
        return 0;
    const planned_step_t *p = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    run_step_t *s = rollback ? &run->rollback_steps[index] : &run->steps[index];
    if (strcmp(p->agent, agent) != 0 || s->state != RSTEP_SENT)
        return 1; /* not its agent, or already settled (a re-sent result) */
    if (copy_result(&s->result, result) != 0)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "run %s: out of memory keeping the result of %s", run->id, p->id);
    if (result->status == STEP_SUCCEEDED) {
        s->state = RSTEP_SUCCEEDED;
        s->finished_unix_ms = alfup_now_unix_ms();
        engine_save_step(e, run, rollback, index);
    } else {
        engine_settle_failed(e, run, rollback, index,
                             result->status == STEP_CANCELLED ? RSTEP_CANCELLED : RSTEP_FAILED, NULL);
    }
    engine_advance(e, run);
    return 1;
}

void run_engine_on_progress(run_engine_t *e, const char *agent, const msg_step_progress_t *progress)
{
    int rollback;
    size_t index;
    run_t *run = find_step(e, progress->step_id, &rollback, &index);
    if (run == NULL)
        return;
    run_step_t *s = rollback ? &run->rollback_steps[index] : &run->steps[index];
    const planned_step_t *p = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    if (strcmp(p->agent, agent) != 0)
        return;
    char *message = strdup(progress->message ? progress->message : "");
    free(s->progress.step_id);
    free(s->progress.message);
    s->progress = *progress;
    s->progress.step_id = NULL;
    s->progress.message = message;
    s->progress_mono_ms = alfup_now_mono_ms();
    /* the event stream gets at most one progress event per step per RUN_PROGRESS_EVENT_MIN_MS: an agent
     * reporting fast does not flood the journal (the latest progress is always in the run's status) */
    if (s->progress_event_mono_ms && s->progress_mono_ms - s->progress_event_mono_ms < RUN_PROGRESS_EVENT_MIN_MS)
        return;
    s->progress_event_mono_ms = s->progress_mono_ms;
    alfup_err_t err;
    if (run_store_progress_event(e->journal, run, rollback, index, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_WARN, ENGINE_COMPONENT, "run %s: progress of %s not in the event stream: %s", run->id,
                  p->id, err.msg);
}

void run_engine_on_agent_up(run_engine_t *e, const char *agent)
{
    for (run_t *run = e->runs; run; run = run->next) {
        if (run_state_is_final(run->state) && run->state != RUN_FAILED)
            continue;
        size_t failed = 0;
        for (size_t i = 0; i < run->plan->step_count; i++)
            if (run->steps[i].state == RSTEP_SENT && strcmp(run->plan->steps[i].agent, agent) == 0)
                failed += engine_transmit(e, run, 0, i) != ALFUP_OK;
        for (size_t i = 0; i < run->plan->rollback_count; i++)
            if (run->rollback_steps[i].state == RSTEP_SENT && strcmp(run->plan->rollback[i].agent, agent) == 0)
                failed += engine_transmit(e, run, 1, i) != ALFUP_OK;
        if (failed > 0)
            engine_advance(e, run); /* a paused or finished run stays as it is */
    }
}

void run_engine_tick(run_engine_t *e)
{
    for (run_t *run = e->runs; run; run = run->next) {
        engine_advance(e, run);
        engine_reask_due(e, run);
    }
}
