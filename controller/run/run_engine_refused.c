/* run_engine_refused.c -- an agent refused while connected (its certificate revoked): its
 * steps fail with that reason at once instead of waiting for an agent that cannot come back. */
#include "run_engine_internal.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

#define COMPONENT ENGINE_COMPONENT

int engine_agent_refused(run_engine_t *e, const char *agent, char *error, size_t len)
{
    const char *reason = e->io.agent_refused ? e->io.agent_refused(e->io.arg, agent) : NULL;
    if (reason == NULL)
        return 0;
    snprintf(error, len, "agent %s refused: %s", agent, reason);
    return 1;
}

/* Fails every step of run sent to agent and still without a result. How many it failed. */
static size_t fail_sent_steps(run_engine_t *e, run_t *run, const char *agent, const char *error)
{
    size_t failed = 0;
    for (int rollback = 0; rollback <= 1; rollback++) {
        size_t count = rollback ? run->plan->rollback_count : run->plan->step_count;
        for (size_t i = 0; i < count; i++) {
            const planned_step_t *p = rollback ? &run->plan->rollback[i] : &run->plan->steps[i];
            const run_step_t *s = rollback ? &run->rollback_steps[i] : &run->steps[i];
            if (s->state != RSTEP_SENT || strcmp(p->agent, agent) != 0)
                continue;
            alfup_log(LOG_LEVEL_WARN, COMPONENT, "run %s: %s on %s fails: %s", run->id, p->id, agent, error);
            engine_settle_failed(e, run, rollback, i, RSTEP_FAILED, error);
            failed++;
        }
    }
    return failed;
}

void run_engine_on_agent_refused(run_engine_t *e, const char *agent, const char *reason)
{
    char error[512];
    snprintf(error, sizeof error, "agent %s refused: %s", agent, reason);
    for (run_t *run = e->runs; run; run = run->next) {
        if (run_state_is_final(run->state) && run->state != RUN_FAILED)
            continue;
        if (fail_sent_steps(e, run, agent, error) > 0)
            engine_advance(e, run); /* a paused or finished run stays as it is */
    }
}
