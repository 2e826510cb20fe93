/* run_params.c -- substitution of {run.id} and ${step.output} in step parameters. */
#include "run_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARAM_VALUE_MAX 8192

/* The output key of the succeeded step workflow_step on agent, or NULL. */
static const char *find_output(const run_t *run, const char *agent, const char *workflow_step, const char *key)
{
    for (size_t i = 0; i < run->plan->step_count; i++) {
        const planned_step_t *p = &run->plan->steps[i];
        if (strcmp(p->workflow_step, workflow_step) == 0 && strcmp(p->agent, agent) == 0 &&
            run->steps[i].state == RSTEP_SUCCEEDED)
            return kv_list_get(&run->steps[i].result.outputs, key);
    }
    return NULL;
}

/* Appends to buf the value of the reference "STEP.KEY" (text of ref_len bytes). */
static int append_reference(const run_t *run, const planned_step_t *step, const char *ref, size_t ref_len,
                            char *buf, size_t *used, alfup_err_t *err)
{
    char name[256];
    if (ref_len >= sizeof name)
        return alfup_err_set(err, "step %s: reference too long", step->id);
    memcpy(name, ref, ref_len);
    name[ref_len] = '\0';
    char *dot = strrchr(name, '.');
    if (dot == NULL)
        return alfup_err_set(err, "step %s: reference ${%s} is not STEP.OUTPUT", step->id, name);
    *dot = '\0';
    const char *value = find_output(run, step->agent, name, dot + 1);
    if (value == NULL)
        return alfup_err_set(err, "step %s: no output '%s' of step %s on %s", step->id, dot + 1, name, step->agent);
    int n = snprintf(buf + *used, PARAM_VALUE_MAX - *used, "%s", value);
    if (n < 0 || (size_t)n >= PARAM_VALUE_MAX - *used)
        return alfup_err_set(err, "step %s: parameter too long", step->id);
    *used += (size_t)n;
    return ALFUP_OK;
}

/* {run.id} is the run's id, with ".aN" from the step's second attempt on: a step done again
 * after a rollback or a failure writes its backups beside the first attempt's, never over
 * them (backup steps refuse an archive that exists, and the first attempt's stay intact). */
static int resolve_value(const run_t *run, const planned_step_t *step, unsigned attempt, const char *text, char *buf,
                         alfup_err_t *err)
{
    size_t used = 0;
    size_t run_id_len = strlen(RUN_PARAM_RUN_ID);
    while (*text) {
        if (strncmp(text, RUN_PARAM_RUN_ID, run_id_len) == 0) {
            int n = attempt > 1 ? snprintf(buf + used, PARAM_VALUE_MAX - used, "%s.a%u", run->id, attempt)
                                : snprintf(buf + used, PARAM_VALUE_MAX - used, "%s", run->id);
            if (n < 0 || (size_t)n >= PARAM_VALUE_MAX - used)
                return alfup_err_set(err, "step %s: parameter too long", step->id);
            used += (size_t)n;
            text += run_id_len;
        } else if (strncmp(text, RUN_PLAN_REF_OPEN, 2) == 0) {
            const char *close = strchr(text + 2, '}');
            if (close == NULL)
                return alfup_err_set(err, "step %s: unterminated reference in '%s'", step->id, text);
            if (append_reference(run, step, text + 2, (size_t)(close - text - 2), buf, &used, err) != ALFUP_OK)
                return ALFUP_ERR;
            text = close + 1;
        } else {
            if (used + 1 >= PARAM_VALUE_MAX)
                return alfup_err_set(err, "step %s: parameter too long", step->id);
            buf[used++] = *text++;
        }
    }
    buf[used] = '\0';
    return ALFUP_OK;
}

int run_params_resolve(const run_t *run, int rollback, size_t index, kv_list_t *out, alfup_err_t *err)
{
    const planned_step_t *step = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    unsigned attempt = rollback ? 1 : run->steps[index].attempt;
    char *buf = malloc(PARAM_VALUE_MAX);
    if (buf == NULL)
        return alfup_err_set(err, "out of memory");
    int rc = ALFUP_OK;
    for (size_t i = 0; i < step->params.count && rc == ALFUP_OK; i++) {
        rc = resolve_value(run, step, attempt, step->params.items[i].value, buf, err);
        if (rc == ALFUP_OK && kv_list_add(out, step->params.items[i].key, buf) != 0)
            rc = alfup_err_set(err, "out of memory");
    }
    free(buf);
    return rc;
}
