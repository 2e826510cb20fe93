/* run_engine.c -- the state machine of upgrade runs. Every change is written to the journal
 * before it takes effect on the wire, so a restarted controller finds each run as it was. */
#include "run_engine.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert_identity.h"
#include "file_util.h"
#include "log.h"
#include "run_params.h"
#include "run_store.h"

#define COMPONENT "run"
#define APPROVAL_MAX 160

struct run_engine {
    journal_t *journal;
    char *workflows_dir;
    run_engine_io_t io;
    run_t *runs;          /* newest first */
};

/* ---- persistence helpers: log, never lose the in-memory truth ---- */

static void save_run(run_engine_t *e, run_t *run)
{
    alfup_err_t err;
    if (run_store_save_run(e->journal, run, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "%s", err.msg);
}

static int save_step(run_engine_t *e, run_t *run, int rollback, size_t index)
{
    alfup_err_t err;
    if (run_store_save_step(e->journal, run, rollback, index, &err) == ALFUP_OK)
        return ALFUP_OK;
    alfup_log(LOG_LEVEL_ERROR, COMPONENT, "%s", err.msg);
    return ALFUP_ERR;
}

static void set_text(char **field, const char *text)
{
    free(*field);
    *field = text ? strdup(text) : NULL;
}

static void finish(run_engine_t *e, run_t *run, run_state_t state)
{
    run->state = state;
    run->finished_unix_ms = alfup_now_unix_ms();
    set_text(&run->waiting_gate, NULL);
    save_run(e, run);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "run %s %s%s%s", run->id, run_state_name(state), run->error ? ": " : "",
              run->error ? run->error : "");
}

/* Marks a step failed (or cancelled) and, for the run's main sequence, keeps
 * the first failure as the reason the run stops. */
static void settle_failed(run_engine_t *e, run_t *run, int rollback, size_t index, run_step_state_t state,
                          const char *error)
{
    run_step_t *s = rollback ? &run->rollback_steps[index] : &run->steps[index];
    s->state = state;
    s->finished_unix_ms = alfup_now_unix_ms();
    if (error)
        set_text(&s->result.error, error);
    if (!rollback && state == RSTEP_FAILED && run->failed_index < 0) {
        run->failed_index = (long)index;
        save_run(e, run);
    }
    save_step(e, run, rollback, index);
}

/* 1 for a step that ended without success. */
static int step_ended_badly(const run_step_t *s)
{
    return s->state == RSTEP_FAILED || s->state == RSTEP_CANCELLED;
}

/* ---- sending ---- */

static int gate_approved(const run_t *run, const char *gate)
{
    return gate == NULL || str_list_contains(&run->approvals, gate);
}

/* Sends (or re-sends) a step already marked SENT. A missing agent is not an
 * error here: the step goes out when the agent comes back, or times out. */
static void transmit(run_engine_t *e, run_t *run, int rollback, size_t index)
{
    const planned_step_t *p = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    char step_id[ALFUP_STEP_ID_MAX + 1], approval[APPROVAL_MAX] = "";
    alfup_err_t err;
    kv_list_t params = {0};
    if (run_wire_step_id(run, rollback, index, step_id, sizeof step_id) != 0) {
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "run %s: step id of %s too long", run->id, p->id);
        return;
    }
    if (run_params_resolve(run, rollback, index, &params, &err) != ALFUP_OK) {
        settle_failed(e, run, rollback, index, RSTEP_FAILED, err.msg);
        kv_list_clear(&params);
        return;
    }
    if (p->gate)
        snprintf(approval, sizeof approval, "approved:%s:%s", run->id, p->gate);
    alfup_msg_t msg = {.kind = MSG_STEP_REQUEST};
    msg.request = (msg_step_request_t){.step_id = step_id, .kind = p->kind, .params = params, .approval = approval};
    if (journal_step_sent(e->journal, step_id, p->agent, p->kind, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "run %s: %s", run->id, err.msg);
    else if (e->io.send(e->io.arg, p->agent, &msg, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "run %s: step %s waits for its agent: %s", run->id, p->id, err.msg);
    kv_list_clear(&params);
}

static int role_ok(run_engine_t *e, const planned_step_t *p)
{
    int roles = e->io.agent_roles(e->io.arg, p->agent);
    return roles < 0 || (roles & (int)cert_role_from_name(p->role)) != 0;
}

static void send_step(run_engine_t *e, run_t *run, int rollback, size_t index)
{
    const planned_step_t *p = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    run_step_t *s = rollback ? &run->rollback_steps[index] : &run->steps[index];
    s->attempt = s->attempt ? s->attempt : 1;
    s->sent_unix_ms = alfup_now_unix_ms();
    s->sent_mono_ms = alfup_now_mono_ms();
    msg_step_result_clear(&s->result);
    if (!role_ok(e, p)) {
        settle_failed(e, run, rollback, index, RSTEP_FAILED, "the agent's certificate lacks the role this step needs");
        return;
    }
    s->state = RSTEP_SENT;
    if (save_step(e, run, rollback, index) != ALFUP_OK)
        return; /* not journaled: do not send */
    if (!rollback && index >= run->plan->rollback_from && !run->armed) {
        run->armed = 1;
        save_run(e, run);
    }
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "run %s: %s on %s (%s)", run->id, p->id, p->agent, p->kind);
    transmit(e, run, rollback, index);
}

/* ---- failure and rollback ---- */

static void cancel_in_flight(run_engine_t *e, run_t *run)
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

static void start_rollback(run_engine_t *e, run_t *run)
{
    cancel_in_flight(e, run);
    run->rollback_round++;
    for (size_t i = 0; i < run->plan->rollback_count; i++) {
        msg_step_result_clear(&run->rollback_steps[i].result);
        memset(&run->rollback_steps[i], 0, sizeof run->rollback_steps[i]);
        save_step(e, run, 1, i);
    }
    run->state = RUN_ROLLING_BACK;
    set_text(&run->waiting_gate, NULL);
    save_run(e, run);
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
    set_text(&run->error, error);
    run->failed_index = (long)index;
    if (index >= run->plan->rollback_until) {
        /* decommission has begun: the old system may be gone, there is nothing to go back to */
        finish(e, run, RUN_FAILED);
        return;
    }
    if (run->armed && run->plan->rollback_count > 0) {
        start_rollback(e, run);
        advance_rollback(e, run);
    } else {
        finish(e, run, RUN_FAILED);
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
    settle_failed(e, run, rollback, index, RSTEP_FAILED, error);
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
        set_text(&run->error, error);
        finish(e, run, RUN_FAILED);
        return;
    }
    finish(e, run, run->cancel_requested ? RUN_CANCELLED : RUN_ROLLED_BACK);
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
    set_text(&run->waiting_gate, p->gate);
    save_run(e, run);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "run %s waits for approval of '%s' (alfup-controller approve %s %s)",
              run->id, p->gate, run->id, p->gate);
    return 1;
}

static void advance_main(run_engine_t *e, run_t *run)
{
    size_t open = first_open(run);
    if (open == run->plan->step_count) {
        finish(e, run, RUN_SUCCEEDED);
        return;
    }
    unsigned stage = run->plan->steps[open].stage;
    size_t in_flight = 0;
    long failed = -1;
    for (size_t i = open; i < run->plan->step_count && run->plan->steps[i].stage == stage; i++) {
        timeout_step(e, run, 0, i);
        in_flight += run->steps[i].state == RSTEP_SENT;
        if (step_ended_badly(&run->steps[i]) && failed < 0)
            failed = (long)i;
    }
    if (failed >= 0) {
        if (in_flight > 0)
            cancel_in_flight(e, run); /* the stage failed: stop its siblings, then fail */
        else
            fail_run(e, run, run->failed_index >= 0 ? (size_t)run->failed_index : (size_t)failed);
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
            set_text(&run->waiting_gate, NULL);
            save_run(e, run);
        }
        send_step(e, run, 0, i);
    }
}

static void advance(run_engine_t *e, run_t *run)
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
        save_step(e, run, rollback, index);
    } else {
        settle_failed(e, run, rollback, index, result->status == STEP_CANCELLED ? RSTEP_CANCELLED : RSTEP_FAILED,
                      NULL);
    }
    advance(e, run);
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
}

void run_engine_on_agent_up(run_engine_t *e, const char *agent)
{
    for (run_t *run = e->runs; run; run = run->next) {
        if (run_state_is_final(run->state) && run->state != RUN_FAILED)
            continue;
        for (size_t i = 0; i < run->plan->step_count; i++)
            if (run->steps[i].state == RSTEP_SENT && strcmp(run->plan->steps[i].agent, agent) == 0)
                transmit(e, run, 0, i);
        for (size_t i = 0; i < run->plan->rollback_count; i++)
            if (run->rollback_steps[i].state == RSTEP_SENT && strcmp(run->plan->rollback[i].agent, agent) == 0)
                transmit(e, run, 1, i);
    }
}

void run_engine_tick(run_engine_t *e)
{
    for (run_t *run = e->runs; run; run = run->next)
        advance(e, run);
}

/* ---- commands ---- */

const run_t *run_engine_find(const run_engine_t *e, const char *run_id)
{
    if (run_id == NULL)
        return e->runs;
    for (const run_t *run = e->runs; run; run = run->next)
        if (strcmp(run->id, run_id) == 0)
            return run;
    return NULL;
}

static run_t *find_run(run_engine_t *e, const char *run_id, alfup_err_t *err)
{
    run_t *run = (run_t *)run_engine_find(e, run_id);
    if (run == NULL)
        alfup_err_set(err, run_id ? "no run %s" : "no run yet%s", run_id ? run_id : "");
    return run;
}

int run_engine_approve(run_engine_t *e, const char *run_id, const char *gate, alfup_err_t *err)
{
    run_t *run = find_run(e, run_id, err);
    if (run == NULL)
        return ALFUP_ERR;
    if (gate == NULL && run->waiting_gate == NULL)
        return alfup_err_set(err, "run %s is %s, not waiting at a gate; name the gate to approve it ahead",
                             run->id, run_state_name(run->state));
    const char *name = gate ? gate : run->waiting_gate;
    int known = 0;
    for (size_t i = 0; i < run->plan->step_count && !known; i++)
        known = run->plan->steps[i].gate && strcmp(run->plan->steps[i].gate, name) == 0;
    if (!known)
        return alfup_err_set(err, "run %s has no gate '%s'", run->id, name);
    if (run_state_is_final(run->state))
        return alfup_err_set(err, "run %s is %s", run->id, run_state_name(run->state));
    if (!str_list_contains(&run->approvals, name)) {
        if (run_store_save_approval(e->journal, run, name, err) != ALFUP_OK || str_list_add(&run->approvals, name) != 0)
            return ALFUP_ERR;
    }
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "run %s: gate '%s' approved", run->id, name);
    advance(e, run);
    return ALFUP_OK;
}

/* A failed (not rolled back) run: retry its failed steps. A rolled-back or
 * cancelled run: the old system ran again since the backups, so everything from
 * the first step that stops it is done again (new backups, never a stale restore). */
static void reopen(run_engine_t *e, run_t *run, char *note, size_t note_len)
{
    size_t from = run->plan->step_count;
    if (run->state == RUN_FAILED && !run->armed) {
        for (size_t i = 0; i < run->plan->step_count; i++)
            if (step_ended_badly(&run->steps[i]) && i < from)
                from = i;
        snprintf(note, note_len, "retrying from %s", from < run->plan->step_count ? run->plan->steps[from].id : "?");
    } else {
        from = run->plan->rollback_from;
        snprintf(note, note_len, "the old system ran again after the failure, so the run restarts at %s "
                 "and takes new backups", run->plan->steps[from].id);
    }
    int retry_failed_only = run->state == RUN_FAILED && !run->armed;
    for (size_t i = from; i < run->plan->step_count; i++) {
        if (run->steps[i].state == RSTEP_PENDING)
            continue;
        if (retry_failed_only && run->steps[i].state == RSTEP_SUCCEEDED)
            continue; /* finished: never repeated */
        run->steps[i].state = RSTEP_PENDING;
        run->steps[i].attempt++;
        msg_step_result_clear(&run->steps[i].result);
        save_step(e, run, 0, i);
    }
    run->armed = from > run->plan->rollback_from ? run->armed : 0;
    run->failed_index = -1;
    run->cancel_requested = 0;
    set_text(&run->error, NULL);
    run->state = RUN_RUNNING;
    run->finished_unix_ms = 0;
}

int run_engine_resume(run_engine_t *e, const char *run_id, char *note, size_t note_len, alfup_err_t *err)
{
    run_t *run = find_run(e, run_id, err);
    if (run == NULL)
        return ALFUP_ERR;
    note[0] = '\0';
    if (run->state == RUN_SUCCEEDED)
        return alfup_err_set(err, "run %s already succeeded", run->id);
    if (run->state == RUN_ROLLING_BACK && !run->paused)
        return alfup_err_set(err, "run %s is rolling back; resume it once it is rolled back", run->id);
    if (run->paused) {
        run->paused = 0;
        snprintf(note, note_len, "continuing where the controller stopped");
        for (size_t i = 0; i < run->plan->step_count; i++)
            run->steps[i].sent_mono_ms = alfup_now_mono_ms();
        for (size_t i = 0; i < run->plan->rollback_count; i++)
            run->rollback_steps[i].sent_mono_ms = alfup_now_mono_ms();
    } else if (run_state_is_final(run->state)) {
        reopen(e, run, note, note_len);
    } else {
        return alfup_err_set(err, "run %s is %s; nothing to resume", run->id, run_state_name(run->state));
    }
    save_run(e, run);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "run %s resumed: %s", run->id, note);
    for (size_t i = 0; i < run->plan->step_count; i++)
        if (run->steps[i].state == RSTEP_SENT)
            transmit(e, run, 0, i);
    for (size_t i = 0; i < run->plan->rollback_count; i++)
        if (run->rollback_steps[i].state == RSTEP_SENT)
            transmit(e, run, 1, i);
    advance(e, run);
    return ALFUP_OK;
}

int run_engine_rollback(run_engine_t *e, const char *run_id, alfup_err_t *err)
{
    run_t *run = find_run(e, run_id, err);
    if (run == NULL)
        return ALFUP_ERR;
    if (run->state == RUN_ROLLING_BACK && !run->paused)
        return alfup_err_set(err, "run %s is already rolling back", run->id);
    if (run->state == RUN_SUCCEEDED)
        return alfup_err_set(err, "run %s succeeded; the old installation stays untouched and can be started "
                             "by hand if needed", run->id);
    run->paused = 0;
    if (run->error == NULL)
        set_text(&run->error, "rollback requested by an operator");
    start_rollback(e, run);
    advance(e, run);
    return ALFUP_OK;
}

int run_engine_cancel(run_engine_t *e, const char *run_id, alfup_err_t *err)
{
    run_t *run = find_run(e, run_id, err);
    if (run == NULL)
        return ALFUP_ERR;
    if (run_state_is_final(run->state))
        return alfup_err_set(err, "run %s is already %s", run->id, run_state_name(run->state));
    run->cancel_requested = 1;
    run->paused = 0;
    set_text(&run->error, "cancelled by an operator");
    if (run->armed && run->plan->rollback_count > 0 && run->state != RUN_ROLLING_BACK) {
        start_rollback(e, run); /* the old system was stopped: bring it back, then end cancelled */
        advance(e, run);
        return ALFUP_OK;
    }
    cancel_in_flight(e, run);
    if (run->state != RUN_ROLLING_BACK)
        finish(e, run, RUN_CANCELLED);
    return ALFUP_OK;
}

/* ---- starting runs ---- */

static void new_run_id(char *id, size_t len)
{
    unsigned char random[2] = {0, 0};
    RAND_bytes(random, sizeof random);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[16]; /* YYYYmmdd-HHMMSS */
    if (strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm) == 0)
        stamp[0] = '\0';
    snprintf(id, len, "run-%.15s-%02x%02x", stamp, random[0], random[1]);
}

/* Every agent of the plan online, with each role the plan gives it in its certificate. */
static int check_agents(run_engine_t *e, const run_plan_t *plan, alfup_err_t *err)
{
    for (size_t i = 0; i < plan->agents.count; i++) {
        const char *agent = plan->agents.items[i];
        int roles = e->io.agent_roles(e->io.arg, agent);
        if (roles < 0)
            return alfup_err_set(err, "%s: agent %s is not online", plan->plan_path, agent);
        char wanted[128];
        snprintf(wanted, sizeof wanted, "%s", plan->agent_roles.items[i]);
        char *save = NULL;
        for (char *role = strtok_r(wanted, ",", &save); role; role = strtok_r(NULL, ",", &save))
            if (!(roles & (int)cert_role_from_name(role)))
                return alfup_err_set(err, "%s: agent %s's certificate lacks the role %s the plan gives it",
                                     plan->plan_path, agent, role);
    }
    return ALFUP_OK;
}

static int deployment_busy(const run_engine_t *e, const char *deployment, alfup_err_t *err)
{
    for (const run_t *run = e->runs; run; run = run->next)
        if (!run_state_is_final(run->state) && strcmp(run->plan->deployment, deployment) == 0)
            return alfup_err_set(err, "deployment %s already has run %s (%s)%s", deployment, run->id,
                                 run_state_name(run->state), run->paused ? ", paused: resume or cancel it" : "");
    return ALFUP_OK;
}

int run_engine_check_agents(run_engine_t *e, const char *plan_path, alfup_err_t *err)
{
    uint8_t *text = NULL;
    size_t text_len = 0;
    int read_rc = file_read_all(plan_path, RUN_PLAN_FILE_MAX, &text, &text_len, err);
    if (read_rc != ALFUP_OK)
        return read_rc == FILE_MISSING ? alfup_err_set(err, "plan %s: no such file", plan_path) : ALFUP_ERR;
    run_plan_t *plan = run_plan_build(plan_path, (const char *)text, text_len, e->workflows_dir, err);
    int rc = plan ? check_agents(e, plan, err) : ALFUP_ERR;
    run_plan_destroy(&plan);
    free(text);
    return rc;
}

int run_engine_start(run_engine_t *e, const char *plan_path, char *run_id, size_t len, alfup_err_t *err)
{
    uint8_t *text = NULL;
    size_t text_len = 0;
    int read_rc = file_read_all(plan_path, RUN_PLAN_FILE_MAX, &text, &text_len, err);
    if (read_rc == FILE_MISSING)
        return alfup_err_set(err, "plan %s: no such file", plan_path);
    if (read_rc != ALFUP_OK)
        return ALFUP_ERR;
    run_t *run = calloc(1, sizeof *run);
    if (run == NULL) {
        free(text);
        return alfup_err_set(err, "out of memory");
    }
    run->plan_text = (char *)text;
    run->plan = run_plan_build(plan_path, run->plan_text, text_len, e->workflows_dir, err);
    if (run->plan == NULL || deployment_busy(e, run->plan->deployment, err) != ALFUP_OK ||
        check_agents(e, run->plan, err) != ALFUP_OK)
        goto fail;
    run->steps = calloc(run->plan->step_count + 1, sizeof *run->steps);
    run->rollback_steps = calloc(run->plan->rollback_count + 1, sizeof *run->rollback_steps);
    if (!run->steps || !run->rollback_steps) {
        alfup_err_set(err, "out of memory");
        goto fail;
    }
    new_run_id(run->id, sizeof run->id);
    run->state = RUN_RUNNING;
    run->failed_index = -1;
    run->created_unix_ms = alfup_now_unix_ms();
    if (run_store_save_run(e->journal, run, err) != ALFUP_OK)
        goto fail;
    for (size_t i = 0; i < run->plan->step_count; i++)
        save_step(e, run, 0, i);
    run->next = e->runs;
    e->runs = run;
    snprintf(run_id, len, "%s", run->id);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "run %s started: deployment %s, plan %s, %zu steps", run->id,
              run->plan->deployment, plan_path, run->plan->step_count);
    advance(e, run);
    return ALFUP_OK;
fail:
    run_free(run);
    return ALFUP_ERR;
}

run_engine_t *run_engine_new(journal_t *journal, const char *workflows_dir, const run_engine_io_t *io,
                             alfup_err_t *err)
{
    run_engine_t *e = calloc(1, sizeof *e);
    if (e == NULL || (e->workflows_dir = strdup(workflows_dir)) == NULL) {
        free(e);
        return alfup_err_set(err, "out of memory"), NULL;
    }
    e->journal = journal;
    e->io = *io;
    if (run_store_init(journal, err) != ALFUP_OK || run_store_load(journal, workflows_dir, &e->runs, err) != ALFUP_OK) {
        run_engine_destroy(&e);
        return NULL;
    }
    for (run_t *run = e->runs; run; run = run->next) {
        if (run_state_is_final(run->state) || run->paused)
            continue;
        run->paused = 1; /* shown as it was; continues on `resume` */
        save_run(e, run);
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "run %s was %s when the controller stopped; paused until "
                  "'alfup-controller resume %s'", run->id, run_state_name(run->state), run->id);
    }
    return e;
}

void run_engine_destroy(run_engine_t **engine_p)
{
    if (engine_p == NULL || *engine_p == NULL)
        return;
    run_engine_t *e = *engine_p;
    while (e->runs) {
        run_t *next = e->runs->next;
        run_free(e->runs);
        e->runs = next;
    }
    free(e->workflows_dir);
    free(e);
    *engine_p = NULL;
}
