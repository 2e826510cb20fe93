/* fleet_runner_tick.c -- one fleet's tick: each run's state read back, the failures counted against the
 * threshold, fleet_decide asked, and each prepare or cutover journaled (keyed by fleet, deployment, action and
 * window occurrence) before it is acted on, so a restarted controller never takes it twice. */
#include "fleet_runner_internal.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

#define COMPONENT FLEET_RUNNER_COMPONENT
#define MS_PER_S 1000
#define ACTION_PREPARE "prepare"
#define ACTION_CUTOVER "cutover"
#define PREPARE_OCCURRENCE 0 /* a deployment prepares once per fleet, whichever window it prepares for */

static fleet_state_t state_of_run(const fleet_run_view_t *v)
{
    switch (v->state) {
    case RUN_SUCCEEDED: return FLEET_SUCCEEDED;
    case RUN_FAILED:
    case RUN_CANCELLED: return FLEET_FAILED;
    case RUN_ROLLED_BACK: return FLEET_ROLLED_BACK;
    case RUN_ROLLING_BACK: return FLEET_CUTTING_OVER; /* still running: it settles rolled back */
    default:
        /* past the cutover, waiting at a later gate (the decommission, which always waits): the new version
         * serves, and removing the old system is an operator's decision, not the fleet's */
        if (v->cutover_approved && v->state == RUN_WAITING && strcmp(v->waiting_gate, FLEET_CUTOVER_GATE) != 0)
            return FLEET_SUCCEEDED;
        if (v->cutover_approved)
            return FLEET_CUTTING_OVER;
        if (v->state == RUN_WAITING && strcmp(v->waiting_gate, FLEET_CUTOVER_GATE) == 0)
            return FLEET_PREPARED;
        return FLEET_PREPARING;
    }
}

static bool is_settled(fleet_state_t state)
{
    return state == FLEET_SUCCEEDED || state == FLEET_FAILED || state == FLEET_ROLLED_BACK;
}

/* The event a member's new state is reported with ("" for none: the runner reported it when it acted). */
static const char *transition_event(fleet_state_t from, fleet_state_t to)
{
    switch (to) {
    case FLEET_PREPARED: return "prepared";
    case FLEET_CUTTING_OVER: return from == FLEET_PREPARED || from == FLEET_PREPARING ? "cutover-started" : "";
    case FLEET_SUCCEEDED: return "succeeded";
    case FLEET_FAILED: return "failed";
    case FLEET_ROLLED_BACK: return "rolled-back";
    default: return "";
    }
}

/* Reads member i's run back: a paused run (the controller restarted) is resumed, a new state journaled and
 * reported. */
static void sync_member(fleet_runner_t *r, fleet_active_t *fa, size_t i, int64_t now)
{
    fleet_runner_member_t *m = &fa->members[i];
    const char *name = fa->fleet->deployments[i].name;
    if (m->run_id[0] == '\0')
        return;
    fleet_run_view_t v = {0};
    r->ops.view_run(r->ops.arg, m->run_id, &v);
    if (!v.found) {
        snprintf(m->note, sizeof m->note, "run %s is not in the controller's journal", m->run_id);
        return;
    }
    alfup_err_t err;
    if (v.paused && !run_state_is_final(v.state)) {
        if (r->ops.resume(r->ops.arg, m->run_id, &err) == ALFUP_OK)
            fleet_runner_event(r, fa, name, m->run_id, "run-resumed",
                               "the controller restarted: the fleet continues its run");
        else
            snprintf(m->note, sizeof m->note, "resume: %s", err.msg);
    }
    fleet_state_t state = state_of_run(&v);
    if (v.error[0])
        snprintf(m->note, sizeof m->note, "%s", v.error);
    if (state == FLEET_PREPARED || state == FLEET_PREPARING || state == FLEET_CUTTING_OVER) /* not once settled */
        m->member.estimate_s = r->ops.estimate_s(r->ops.arg, m->run_id, now, m->basis, sizeof m->basis);
    if (state == m->member.state)
        return;
    const char *event = transition_event(m->member.state, state);
    m->member.state = state;
    if (is_settled(state))
        m->member.settled_at = now;
    fleet_runner_save_member(r, fa, i);
    char detail[FLEET_NOTE_MAX + FLEET_ESTIMATE_BASIS_MAX];
    if (state == FLEET_PREPARED)
        snprintf(detail, sizeof detail, "waits at the cutover gate; estimate %s%s%s",
                 m->member.estimate_s < 0 ? "unknown" : "known", m->basis[0] ? ": " : "", m->basis);
    else if (state == FLEET_CUTTING_OVER)
        snprintf(detail, sizeof detail, "the cutover gate was approved outside the fleet");
    else if (state == FLEET_SUCCEEDED && v.waiting_gate[0])
        snprintf(detail, sizeof detail, "the new version serves; the run waits at gate '%s' for an operator",
                 v.waiting_gate);
    else
        snprintf(detail, sizeof detail, "%s", v.error);
    if (event[0])
        fleet_runner_event(r, fa, name, m->run_id, event, detail);
}

static void act_prepare(fleet_runner_t *r, fleet_active_t *fa, size_t i, int64_t now)
{
    fleet_runner_member_t *m = &fa->members[i];
    const fleet_deployment_t *dep = &fa->fleet->deployments[i];
    fleet_decision_t d;
    alfup_err_t err;
    char run_id[RUN_ID_MAX] = "";
    const char *event = "prepare-started";
    if (fleet_store_decide(r->journal, fa->fleet->name, dep->name, ACTION_PREPARE, PREPARE_OCCURRENCE, now * MS_PER_S,
                           &d, &err) != ALFUP_OK) {
        snprintf(m->note, sizeof m->note, "not started: the decision is not journaled: %s", err.msg);
        return;
    }
    if (d.done && d.run_id[0]) {
        snprintf(run_id, sizeof run_id, "%s", d.run_id);
        event = "run-adopted";
    } else if (r->ops.find_run(r->ops.arg, dep->plan_path, d.decided_ms, run_id, sizeof run_id) == 1) {
        event = "run-adopted"; /* started before the controller stopped, not recorded: never started twice */
    } else if (r->ops.start_run(r->ops.arg, dep->plan_path, run_id, sizeof run_id, &err) != ALFUP_OK) {
        if (strcmp(m->note, err.msg) != 0)
            fleet_runner_event(r, fa, dep->name, NULL, "start-refused", err.msg);
        snprintf(m->note, sizeof m->note, "%s", err.msg);
        return;
    }
    if (fleet_store_done(r->journal, fa->fleet->name, dep->name, ACTION_PREPARE, PREPARE_OCCURRENCE, run_id, &err) !=
        ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "fleet %s %s: %s", fa->fleet->name, dep->name, err.msg);
    snprintf(m->run_id, sizeof m->run_id, "%s", run_id);
    m->note[0] = '\0';
    m->member.state = FLEET_PREPARING;
    fleet_runner_save_member(r, fa, i);
    fleet_runner_event(r, fa, dep->name, run_id, event, dep->plan_path);
}

static void act_cutover(fleet_runner_t *r, fleet_active_t *fa, size_t i, int64_t now)
{
    fleet_runner_member_t *m = &fa->members[i];
    const char *name = fa->fleet->deployments[i].name;
    int64_t occurrence = fa->outcome.slot.occurrence.start;
    fleet_decision_t d;
    alfup_err_t err;
    if (fleet_store_decide(r->journal, fa->fleet->name, name, ACTION_CUTOVER, occurrence, now * MS_PER_S, &d, &err) !=
        ALFUP_OK) {
        snprintf(m->note, sizeof m->note, "cutover not started: the decision is not journaled: %s", err.msg);
        return;
    }
    fleet_run_view_t v = {0};
    r->ops.view_run(r->ops.arg, m->run_id, &v);
    if (!v.cutover_approved && r->ops.approve(r->ops.arg, m->run_id, FLEET_CUTOVER_GATE, &err) != ALFUP_OK) {
        if (strcmp(m->note, err.msg) != 0)
            fleet_runner_event(r, fa, name, m->run_id, "cutover-refused", err.msg);
        snprintf(m->note, sizeof m->note, "%s", err.msg);
        return;
    }
    if (fleet_store_done(r->journal, fa->fleet->name, name, ACTION_CUTOVER, occurrence, m->run_id, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "fleet %s %s: %s", fa->fleet->name, name, err.msg);
    m->member.state = FLEET_CUTTING_OVER;
    m->note[0] = '\0';
    fleet_runner_save_member(r, fa, i);
    fleet_runner_event(r, fa, name, m->run_id, "cutover-started", m->verdict.text);
}

/* A wait is reported when its reason changes, and a window that does not fit once per window occurrence. */
static void report_wait(fleet_runner_t *r, fleet_active_t *fa, size_t i)
{
    fleet_runner_member_t *m = &fa->members[i];
    int64_t occurrence = fa->outcome.has_slot ? fa->outcome.slot.occurrence.start : 0;
    if (m->last_why == (int)m->verdict.why && (m->verdict.why != FLEET_WHY_NO_FIT || m->last_occurrence == occurrence))
        return;
    m->last_why = (int)m->verdict.why;
    m->last_occurrence = occurrence;
    fleet_runner_event(r, fa, fa->fleet->deployments[i].name, m->run_id[0] ? m->run_id : NULL, "deferred",
                       m->verdict.text);
}

/* Halted once the failures reach the threshold; finished once every deployment settled. */
static void settle_fleet(fleet_runner_t *r, fleet_active_t *fa)
{
    size_t settled = 0;
    fa->failures = 0;
    for (size_t i = 0; i < fa->fleet->deployment_count; i++) {
        fleet_state_t s = fa->members[i].member.state;
        settled += is_settled(s);
        fa->failures += s == FLEET_FAILED || s == FLEET_ROLLED_BACK;
    }
    char detail[FLEET_NOTE_MAX];
    bool open = fa->state == FLEET_RUNNING || fa->state == FLEET_PAUSED;
    if (open && fa->failures >= fa->fleet->halt_failures) {
        snprintf(detail, sizeof detail,
                 "%u failed or rolled back, the threshold is %u: nothing new starts; running "
                 "cutovers finish or roll back",
                 fa->failures, fa->fleet->halt_failures);
        fleet_runner_set_state(r, fa, FLEET_HALTED, detail);
    } else if (open && settled == fa->fleet->deployment_count) {
        snprintf(detail, sizeof detail, "every deployment settled: %zu succeeded, %u failed or rolled back",
                 settled - fa->failures, fa->failures);
        fleet_runner_set_state(r, fa, FLEET_FINISHED, detail);
    }
}

static void decide_and_act(fleet_runner_t *r, fleet_active_t *fa, int64_t now)
{
    size_t count = fa->fleet->deployment_count;
    fleet_member_t *members = malloc(count * sizeof *members);
    fleet_verdict_t *verdicts = malloc(count * sizeof *verdicts);
    fleet_tick_t tick = {.now = now, .failures = fa->failures, .drained = r->drained};
    alfup_err_t err;
    for (size_t i = 0; members && i < count; i++)
        members[i] = fa->members[i].member;
    if (members == NULL || verdicts == NULL || fleet_decide(fa->fleet, members, &tick, verdicts, &fa->outcome, &err)) {
        alfup_log(LOG_LEVEL_ERROR, COMPONENT, "fleet %s: no decision this tick: %s", fa->fleet->name,
                  members && verdicts ? err.msg : "out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        fa->members[i].verdict = verdicts[i];
    if (fa->state != FLEET_RUNNING)
        goto out; /* paused, halted, cancelled: the verdicts are shown, nothing is acted on */
    for (size_t i = 0; i < count; i++) {
        if (verdicts[i].action == FLEET_ACT_PREPARE)
            act_prepare(r, fa, i, now);
        else if (verdicts[i].action == FLEET_ACT_CUTOVER)
            act_cutover(r, fa, i, now);
    }
    /* the waits are only reported: one commit for all of them (a fleet's first tick defers most of it) */
    bool batched = !journal_in_batch(r->journal) && journal_batch_begin(r->journal, &err) == ALFUP_OK;
    for (size_t i = 0; i < count; i++)
        if (verdicts[i].action == FLEET_ACT_WAIT)
            report_wait(r, fa, i);
    if (batched && journal_batch_commit(r->journal, &err) != ALFUP_OK)
        alfup_log(LOG_LEVEL_WARN, COMPONENT, "fleet %s: the deferrals of this tick are not in the event log: %s",
                  fa->fleet->name, err.msg);
out:
    free(members);
    free(verdicts);
}

void fleet_runner_tick_fleet(fleet_runner_t *r, fleet_active_t *fa)
{
    int64_t now = r->ops.now(r->ops.arg);
    fa->fleet->approve_cutovers = fa->approve_cutovers;
    for (size_t i = 0; i < fa->fleet->deployment_count; i++)
        sync_member(r, fa, i, now);
    settle_fleet(r, fa);
    if (fa->state != FLEET_FINISHED)
        decide_and_act(r, fa, now);
    fleet_run_state_t before = fa->state;
    settle_fleet(r, fa);
    if (fa->state != before)
        decide_and_act(r, fa, now); /* the verdicts status shows, as of the new state (nothing is acted on) */
}
