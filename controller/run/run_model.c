/* run_model.c -- names of run and step states, wire step ids, freeing runs. */
#include "run_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *run_state_name(run_state_t state)
{
    switch (state) {
    case RUN_RUNNING: return "running";
    case RUN_WAITING: return "waiting";
    case RUN_ROLLING_BACK: return "rolling-back";
    case RUN_SUCCEEDED: return "succeeded";
    case RUN_FAILED: return "failed";
    case RUN_ROLLED_BACK: return "rolled-back";
    case RUN_CANCELLED: return "cancelled";
    }
    return "unknown";
}

const char *run_step_state_name(run_step_state_t state)
{
    switch (state) {
    case RSTEP_PENDING: return "pending";
    case RSTEP_SENT: return "running";
    case RSTEP_SUCCEEDED: return "succeeded";
    case RSTEP_FAILED: return "failed";
    case RSTEP_SKIPPED: return "skipped";
    case RSTEP_CANCELLED: return "cancelled";
    }
    return "unknown";
}

int run_step_ended_badly(const run_step_t *step)
{
    return step->state == RSTEP_FAILED || step->state == RSTEP_CANCELLED;
}

int run_state_is_final(run_state_t state)
{
    return state == RUN_SUCCEEDED || state == RUN_FAILED || state == RUN_ROLLED_BACK || state == RUN_CANCELLED;
}

int run_wire_step_id(const run_t *run, int rollback, size_t index, char *buf, size_t len)
{
    const planned_step_t *step = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    const run_step_t *state = rollback ? &run->rollback_steps[index] : &run->steps[index];
    int n;
    if (rollback)
        n = snprintf(buf, len, "%s.rb%u.%s", run->id, run->rollback_round, step->id);
    else if (state->attempt > 1)
        n = snprintf(buf, len, "%s.%s.a%u", run->id, step->id, state->attempt);
    else
        n = snprintf(buf, len, "%s.%s", run->id, step->id);
    return n < 0 || (size_t)n >= len || n > ALFUP_STEP_ID_MAX ? -1 : 0;
}

void run_step_clear_progress(run_step_t *step)
{
    free(step->progress.step_id);
    free(step->progress.message);
    memset(&step->progress, 0, sizeof step->progress);
    step->progress_mono_ms = 0;
}

static void free_steps(run_step_t *steps, size_t count)
{
    for (size_t i = 0; steps && i < count; i++) {
        msg_step_result_clear(&steps[i].result);
        run_step_clear_progress(&steps[i]);
    }
    free(steps);
}

void run_free(run_t *run)
{
    if (run == NULL)
        return;
    if (run->plan) {
        free_steps(run->steps, run->plan->step_count);
        free_steps(run->rollback_steps, run->plan->rollback_count);
    }
    run_plan_destroy(&run->plan);
    free(run->plan_text);
    free(run->error);
    free(run->waiting_gate);
    str_list_clear(&run->approvals);
    free(run);
}
