/* run_engine_commands.c -- operator commands on runs: approve, resume, rollback, cancel. */
#include "run_engine_internal.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "run_store.h"

#define COMPONENT ENGINE_COMPONENT

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
    engine_advance(e, run);
    return ALFUP_OK;
}

/* 1 when no rollback ran since the old system was stopped, so the run's steps so far still hold:
 * a run that failed before anything stopped, or past the point where rollback ends by itself (the
 * new version serves), and any run whose decommission began (the old system may be partly gone:
 * backing it up again and restoring that over the new one would lose data). */
static int retry_failed_only(const run_t *run)
{
    if (engine_reached(run, run->plan->destructive_from))
        return 1;
    return run->state == RUN_FAILED &&
           (!run->armed || (run->failed_index >= 0 && (size_t)run->failed_index >= run->plan->rollback_until));
}

/* The first step of from's phase when that phase is redone on resume (redo_on_resume: the rehearsal,
 * whose database a failed schema upgrade left locked), else from. */
static size_t phase_start(const run_t *run, size_t from)
{
    const run_plan_t *plan = run->plan;
    if (from >= plan->step_count || !plan->steps[from].redo_phase)
        return from;
    while (from > 0 && strcmp(plan->steps[from - 1].phase, plan->steps[from].phase) == 0)
        from--;
    return from;
}

/* A failed (not rolled back) run: retry its failed steps (its whole phase when redo_on_resume). A rolled-back or
 * cancelled run: the old system ran again since the backups, so everything from
 * the first step that stops it is done again (new backups, never a stale restore). */
static void reopen(run_engine_t *e, run_t *run, char *note, size_t note_len)
{
    size_t from = run->plan->step_count;
    int failed_only = retry_failed_only(run);
    if (failed_only) {
        for (size_t i = 0; i < run->plan->step_count; i++)
            if (run_step_ended_badly(&run->steps[i]) && i < from)
                from = i;
        from = phase_start(run, from);
        snprintf(note, note_len, "retrying from %s", from < run->plan->step_count ? run->plan->steps[from].id : "?");
    } else {
        from = run->plan->rollback_from;
        snprintf(note, note_len, "the old system ran again after the failure, so the run restarts at %s "
                 "and takes new backups", run->plan->steps[from].id);
    }
    for (size_t i = from; i < run->plan->step_count; i++) {
        if (run->steps[i].state == RSTEP_PENDING)
            continue;
        if (failed_only && run->steps[i].state == RSTEP_SUCCEEDED &&
            !(run->plan->steps[i].redo_phase && strcmp(run->plan->steps[i].phase, run->plan->steps[from].phase) == 0))
            continue; /* finished: never repeated (but a redo_on_resume phase runs again whole) */
        run->steps[i].state = RSTEP_PENDING;
        run->steps[i].attempt++;
        msg_step_result_clear(&run->steps[i].result);
        run_step_clear_progress(&run->steps[i]);
        engine_save_step(e, run, 0, i);
    }
    run->armed = from > run->plan->rollback_from ? run->armed : 0;
    run->failed_index = -1;
    run->cancel_requested = 0;
    engine_set_text(&run->error, NULL);
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
    engine_save_run(e, run);
    alfup_log(LOG_LEVEL_INFO, COMPONENT, "run %s resumed: %s", run->id, note);
    for (size_t i = 0; i < run->plan->step_count; i++)
        if (run->steps[i].state == RSTEP_SENT)
            engine_transmit(e, run, 0, i);
    for (size_t i = 0; i < run->plan->rollback_count; i++)
        if (run->rollback_steps[i].state == RSTEP_SENT)
            engine_transmit(e, run, 1, i);
    engine_advance(e, run);
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
    if (engine_reached(run, run->plan->destructive_from))
        return alfup_err_set(err, "run %s: the decommission has begun, so the old system may be partly removed "
                             "and there is nothing to roll back to; `resume` retries what failed", run->id);
    run->paused = 0;
    if (run->error == NULL)
        engine_set_text(&run->error, "rollback requested by an operator");
    engine_start_rollback(e, run);
    engine_advance(e, run);
    return ALFUP_OK;
}

/* 1 when run failed, before anything stopped, in a phase redone on resume (the rehearsal): a cancel then
 * runs the rollback steps -- with nothing stopped they only remove what the phase kept (the rehearsal's
 * service, database and folder; the old services' starts find them running) -- and ends it cancelled. */
static int cancel_cleans_up(const run_t *run)
{
    return run->state == RUN_FAILED && !run->armed && run->failed_index >= 0 &&
           (size_t)run->failed_index < run->plan->step_count && run->plan->steps[run->failed_index].redo_phase &&
           run->plan->rollback_count > 0;
}

int run_engine_cancel(run_engine_t *e, const char *run_id, alfup_err_t *err)
{
    run_t *run = find_run(e, run_id, err);
    if (run == NULL)
        return ALFUP_ERR;
    if (cancel_cleans_up(run)) {
        run->cancel_requested = 1;
        run->paused = 0;
        engine_set_text(&run->error, "cancelled by an operator after the failure: removing what the failed "
                        "phase kept");
        engine_start_rollback(e, run);
        engine_advance(e, run);
        return ALFUP_OK;
    }
    if (run_state_is_final(run->state))
        return alfup_err_set(err, "run %s is already %s", run->id, run_state_name(run->state));
    run->cancel_requested = 1;
    run->paused = 0;
    engine_set_text(&run->error, "cancelled by an operator");
    /* once the new version serves (or the decommission began), a cancel stops the steps, never the new version */
    int keep_new = engine_reached(run, run->plan->rollback_until);
    if (run->armed && !keep_new && run->plan->rollback_count > 0 && run->state != RUN_ROLLING_BACK) {
        engine_start_rollback(e, run); /* the old system was stopped: bring it back, then end cancelled */
        engine_advance(e, run);
        return ALFUP_OK;
    }
    engine_cancel_in_flight(e, run);
    if (run->state != RUN_ROLLING_BACK)
        engine_finish(e, run, RUN_CANCELLED);
    return ALFUP_OK;
}
