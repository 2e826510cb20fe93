/* run_engine_reask.c -- steps in flight with no result are asked for again: a result the journal
 * could not record (disk full, I/O error) is not acknowledged, and the agent answers a repeated
 * step id from its durable record (or ignores it while the step still runs), so nothing runs twice
 * and no result waits for the step's timeout. */
#include "run_engine_internal.h"

#include <string.h>

#include "log.h"

#define COMPONENT ENGINE_COMPONENT
#define REASK_BASE_MS 15000u
#define REASK_MAX_FACTOR 20u

/* Asks again for one step when it is due; the wait doubles each time, up to 20 times the first.
 * 1 when the step failed instead (the certificate now presenting its agent lacks its role). */
static int reask_step(run_engine_t *e, run_t *run, int rollback, size_t index, uint64_t now)
{
    const planned_step_t *p = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    run_step_t *s = rollback ? &run->rollback_steps[index] : &run->steps[index];
    if (s->state != RSTEP_SENT || e->io.agent_roles(e->io.arg, p->agent) < 0)
        return 0; /* an offline agent is sent the step when it comes back */
    unsigned base = e->io.reask_ms ? e->io.reask_ms : REASK_BASE_MS;
    unsigned interval = s->ask_interval_ms ? s->ask_interval_ms : base;
    if (now - s->asked_mono_ms < interval)
        return 0;
    s->ask_interval_ms = interval * 2 > base * REASK_MAX_FACTOR ? base * REASK_MAX_FACTOR : interval * 2;
    alfup_log(LOG_LEVEL_DEBUG, COMPONENT, "run %s: no result of %s from %s after %u s: asking again", run->id,
              p->id, p->agent, interval / 1000u);
    return engine_reask(e, run, rollback, index) != ALFUP_OK;
}

void engine_reask_due(run_engine_t *e, run_t *run)
{
    if (run_state_is_final(run->state) && run->state != RUN_FAILED)
        return;
    uint64_t now = alfup_now_mono_ms();
    size_t failed = 0;
    for (size_t i = 0; i < run->plan->step_count; i++)
        failed += reask_step(e, run, 0, i, now);
    for (size_t i = 0; i < run->plan->rollback_count; i++)
        failed += reask_step(e, run, 1, i, now);
    if (failed > 0)
        engine_advance(e, run);
}
