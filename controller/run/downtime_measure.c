/* downtime_measure.c -- finding what a run measured before its cutover (downtime_measure.h). */
#include "downtime_measure.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KIND_SERVICE_STOP "service-stop"
#define KIND_SERVICE_START "service-start"

int downtime_span(const run_plan_t *plan, size_t *from, size_t *to)
{
    if (plan == NULL || plan->rollback_from >= plan->step_count)
        return -1;
    size_t end = plan->rollback_until < plan->step_count ? plan->rollback_until : plan->step_count;
    size_t last = plan->rollback_from;
    for (size_t i = plan->rollback_from; i < end; i++)
        if (strcmp(plan->steps[i].kind, KIND_SERVICE_START) == 0)
            last = i;
    *from = plan->rollback_from;
    *to = last + 1;
    return 0;
}

int64_t downtime_step_wall_ms(const run_step_t *step)
{
    if (step->state != RSTEP_SUCCEEDED || step->sent_unix_ms == 0 || step->finished_unix_ms < step->sent_unix_ms)
        return -1;
    return (int64_t)(step->finished_unix_ms - step->sent_unix_ms);
}

int downtime_output_i64(const run_step_t *step, const char *key, int64_t *value)
{
    const char *text = kv_list_get(&step->result.outputs, key);
    if (text == NULL || text[0] < '0' || text[0] > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll(text, &end, 10);
    if (errno != 0 || end == text || (*end != '\0' && *end != '.'))
        return -1;
    *value = parsed;
    return 0;
}

int downtime_is_rehearsal(const run_t *run, size_t index)
{
    const planned_step_t *p = &run->plan->steps[index];
    return (p->phase != NULL && strcmp(p->phase, DOWNTIME_REHEARSAL_PHASE) == 0) ||
           kv_list_get(&run->steps[index].result.outputs, DOWNTIME_START_TO_READY) != NULL;
}

long downtime_find_output(const run_t *run, size_t before, const char *key)
{
    for (size_t i = before; i-- > 0;)
        if (run->steps[i].state == RSTEP_SUCCEEDED && kv_list_get(&run->steps[i].result.outputs, key))
            return (long)i;
    return -1;
}

long downtime_find_kind(const run_t *run, size_t before, const char *kind, const char *agent)
{
    for (size_t i = before; i-- > 0;) {
        const planned_step_t *p = &run->plan->steps[i];
        if (run->steps[i].state == RSTEP_SUCCEEDED && strcmp(p->kind, kind) == 0 &&
            (agent == NULL || strcmp(p->agent, agent) == 0))
            return (long)i;
    }
    return -1;
}

long downtime_fastest_kind(const run_t *run, size_t before, const char *kind, const char *agent, int64_t *ms)
{
    long best = -1;
    *ms = 0;
    for (size_t i = 0; i < before; i++) {
        const planned_step_t *p = &run->plan->steps[i];
        int64_t wall = downtime_step_wall_ms(&run->steps[i]);
        if (strcmp(p->kind, kind) != 0 || strcmp(p->agent, agent) != 0 || wall < 0)
            continue;
        if (best < 0 || wall < *ms) {
            *ms = wall;
            best = (long)i;
        }
    }
    return best;
}

long downtime_slowest_stop(const run_t *run, size_t before, const char *agent)
{
    long best = -1;
    int64_t best_ms = -1;
    for (size_t i = 0; i < before; i++) {
        const planned_step_t *p = &run->plan->steps[i];
        const char *already = kv_list_get(&run->steps[i].result.outputs, "already_stopped");
        int64_t ms = downtime_step_wall_ms(&run->steps[i]);
        if (strcmp(p->kind, KIND_SERVICE_STOP) != 0 || strcmp(p->agent, agent) != 0 || ms < 0 ||
            (already != NULL && strcmp(already, "yes") == 0))
            continue;
        if (ms > best_ms) {
            best_ms = ms;
            best = (long)i;
        }
    }
    return best;
}

static int is_start_on(const run_plan_t *plan, size_t i, const char *agent)
{
    return strcmp(plan->steps[i].kind, KIND_SERVICE_START) == 0 && strcmp(plan->steps[i].agent, agent) == 0;
}

long downtime_staging_start(const run_t *run, size_t from, size_t to, size_t index)
{
    const run_plan_t *plan = run->plan;
    const char *agent = plan->steps[index].agent;
    size_t later = 0; /* the cutover's starts on agent after index */
    for (size_t i = index + 1; i < to; i++)
        later += (size_t)is_start_on(plan, i, agent);
    long found = -1;
    for (size_t i = from; i-- > 0;) {
        if (!is_start_on(plan, i, agent) || run->steps[i].state != RSTEP_SUCCEEDED || downtime_is_rehearsal(run, i))
            continue;
        found = (long)i;
        if (later-- == 0)
            break;
    }
    return found;
}
