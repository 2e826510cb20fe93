/* fuzz_plan.c -- libFuzzer target: any text given as a plan is either refused with a "FILE:LINE" message or
 * expands, against the shipped workflow, into steps that keep every promise the run engine relies on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_refusal.h"
#include "plan_diag.h"
#include "run_plan.h"

#ifndef ALFUP_FUZZ_WORKFLOWS_DIR
#define ALFUP_FUZZ_WORKFLOWS_DIR "deploy/workflows"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Only "{run.id}" and "${...}" may be left in a parameter value. */
static void check_value(const char *value)
{
    for (const char *p = strchr(value, '{'); p != NULL; p = strchr(p + 1, '{'))
        require(strncmp(p, "{run.id}", 8) == 0 || (p > value && p[-1] == '$'));
}

static void check_steps(const run_plan_t *plan, const planned_step_t *steps, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const planned_step_t *s = &steps[i];
        require(s->id && strlen(s->id) <= RUN_PLAN_STEP_ID_MAX && strchr(s->id, '@'));
        require(s->stage >= 1 && (i == 0 || s->stage >= steps[i - 1].stage));
        require(i > 0 || s->stage == 1);
        require(str_list_contains(&plan->agents, s->agent));
        require(s->timeout_s > 0);
        for (size_t k = 0; k < s->params.count; k++)
            check_value(s->params.items[k].value);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plan_diag_t diag = {0};
    run_plan_t *plan = run_plan_build_diag("fuzz.yaml", (const char *)data, size, ALFUP_FUZZ_WORKFLOWS_DIR, &diag);
    if (plan == NULL) {
        require_refusal_named(&diag, "fuzz.yaml");
        return 0;
    }
    require(plan_diag_count(&diag) == 0);
    require(plan->step_count > 0 && plan->rollback_from < plan->step_count);
    require(plan->rollback_until <= plan->step_count && plan->rollback_from < plan->rollback_until);
    check_steps(plan, plan->steps, plan->step_count);
    check_steps(plan, plan->rollback, plan->rollback_count);
    for (size_t i = 0; i < plan->step_count; i++)
        require(run_plan_find(plan, plan->steps[i].id) == (long)i);
    run_plan_destroy(&plan);
    return 0;
}
