/* run_plan.c -- expanding a plan against its workflow into the ordered steps of a run (run_plan.h). */
#include "run_plan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "plan_check.h"
#include "workflow.h"
#include "workflow_check.h"

#define VALUE_MAX 8192

typedef struct expander {
    const plan_t *plan;
    const workflow_t *wf;
    plan_diag_t *diag;
} expander_t;

/* Substitutes "{name}" in text (not "${...}" nor "{run.id}"). NULL when out of memory or too long. */
static char *expand_text(const expander_t *x, const char *text, const char *agent)
{
    char *out = malloc(VALUE_MAX);
    size_t used = 0;
    for (const char *p = text; out != NULL && *p != '\0';) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        const char *value = NULL;
        char name[VALUE_MAX];
        if (close != NULL && !(p > text && p[-1] == '$')) {
            snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
            value = strcmp(name, PLAN_TEMPLATE_AGENT) == 0 ? agent : plan_template_scalar(x->plan, name);
        }
        size_t len = value ? strlen(value) : 1;
        if (used + len >= VALUE_MAX) {
            free(out);
            return NULL;
        }
        memcpy(out + used, value ? value : p, len);
        used += len;
        p = value ? close + 1 : p + 1;
    }
    if (out != NULL)
        out[used] = '\0';
    return out;
}

typedef struct unset_check {
    const expander_t *x;
    const workflow_step_t *ws;
    const char *key;
} unset_check_t;

static int refuse_unset(const char *name, int ref, void *arg)
{
    unset_check_t *c = arg;
    if (ref || !plan_template_unset(c->x->plan, name))
        return 0;
    return plan_diag_at(c->x->diag, plan_node(c->x->plan, name),
                        "%s is not set, and workflow %s needs it (step %s, parameter %s: {%s}); set it, or that "
                        "step needs only_if: %s",
                        name, c->x->plan->workflow ? c->x->plan->workflow : "?", c->ws->id, c->key, name, name);
}

static int expand_params(const expander_t *x, const workflow_step_t *ws, const char *agent, kv_list_t *out)
{
    for (size_t i = 0; i < ws->param_count; i++) {
        const workflow_param_t *p = &ws->params[i];
        unset_check_t check = {x, ws, p->key};
        if (workflow_templates_each(p->value, refuse_unset, &check) != 0)
            return ALFUP_ERR;
        if (p->list) {
            char name[VALUE_MAX];
            snprintf(name, sizeof name, "%.*s", (int)(strlen(p->value) - 2), p->value + 1);
            const str_list_t *items = plan_template_list(x->plan, name);
            for (size_t k = 0; items != NULL && k < items->count; k++)
                if (kv_list_add(out, p->key, items->items[k]) != 0)
                    return ALFUP_ERR;
            continue;
        }
        char *value = expand_text(x, p->value, agent);
        int rc = value ? kv_list_add(out, p->key, value) : -1;
        free(value);
        if (rc != 0)
            return plan_diag_addf(x->diag, "%s: step %s: parameter %s is longer than %d bytes once expanded",
                                  x->plan->path, ws->id, p->key, VALUE_MAX - 1);
    }
    return ALFUP_OK;
}

/* Whether the step's only_if template is non-empty (or there is none). */
static bool wanted(const expander_t *x, const workflow_step_t *ws)
{
    if (ws->only_if == NULL)
        return true;
    const str_list_t *list = plan_template_list(x->plan, ws->only_if);
    if (list != NULL)
        return list->count > 0;
    const char *value = plan_template_scalar(x->plan, ws->only_if);
    return value != NULL && value[0] != '\0';
}

static const char *gate_of(const expander_t *x, const workflow_step_t *ws)
{
    const workflow_phase_t *phase = &x->wf->phases[ws->phase];
    if (ws->gate || str_list_contains(&x->plan->approve, ws->id))
        return ws->id;
    if (phase->gate || str_list_contains(&x->plan->approve, phase->id))
        return phase->id;
    return NULL;
}

static unsigned timeout_of(const expander_t *x, const workflow_step_t *ws)
{
    for (size_t i = 0; i < x->plan->timeout_count; i++)
        if (strcmp(x->plan->timeouts[i].kind, ws->kind->name) == 0)
            return x->plan->timeouts[i].seconds;
    return ws->timeout_s ? ws->timeout_s : ws->kind->timeout_s;
}

static char *dup_or_null(const char *text)
{
    return text ? strdup(text) : NULL;
}

static int fill_step(const expander_t *x, const workflow_step_t *ws, const char *agent, bool rollback,
                     planned_step_t *ps)
{
    const workflow_phase_t *phase = &x->wf->phases[ws->phase];
    char id[RUN_PLAN_STEP_ID_MAX + 1];
    snprintf(id, sizeof id, "%s@%s", ws->id, agent);
    ps->id = strdup(id);
    ps->phase = strdup(rollback ? "rollback" : phase->id);
    ps->phase_title = strdup(rollback ? "Roll back: the old system runs again" : phase->title);
    ps->workflow_step = strdup(ws->id);
    ps->title = strdup(ws->title);
    ps->procedure = strdup(ws->procedure ? ws->procedure : "-");
    ps->agent = strdup(agent);
    ps->role = strdup(ws->role);
    ps->kind = strdup(ws->kind->name);
    ps->stage = ws->stage;
    ps->gate = rollback ? NULL : dup_or_null(gate_of(x, ws));
    ps->ends_rollback = !rollback && ws->ends_rollback;
    ps->redo_phase = !rollback && phase->redo_on_resume;
    ps->timeout_s = timeout_of(x, ws);
    if (!ps->id || !ps->phase || !ps->phase_title || !ps->workflow_step || !ps->title || !ps->procedure || !ps->agent ||
        !ps->role || !ps->kind || (!rollback && gate_of(x, ws) && !ps->gate))
        return plan_diag_addf(x->diag, "%s: out of memory", x->plan->path);
    return expand_params(x, ws, agent, &ps->params);
}

/* The agents a step runs on, in plan order. */
static size_t select_agents(const plan_t *plan, const workflow_step_t *ws, const char **out)
{
    size_t n = 0, seen = 0;
    for (size_t i = 0; i < plan->agent_count; i++) {
        if (!plan_agent_has_role(&plan->agents[i], ws->role))
            continue;
        bool first = seen++ == 0;
        if (ws->nodes == WORKFLOW_NODES_ALL || (ws->nodes == WORKFLOW_NODES_FIRST) == first)
            out[n++] = plan->agents[i].name;
    }
    return n;
}

/* Expands steps[0..count) into *out; *arm_index gets the first planned index of an arming step. */
static int expand_list(const expander_t *x, const workflow_step_t *steps, size_t count, bool rollback,
                       planned_step_t **out, size_t *out_count, size_t *arm_index)
{
    const char **agents = calloc(x->plan->agent_count + 1, sizeof *agents);
    size_t capacity = count * (x->plan->agent_count ? x->plan->agent_count : 1);
    *out = capacity ? calloc(capacity, sizeof **out) : NULL;
    if (agents == NULL || (capacity && *out == NULL)) {
        free(agents);
        return plan_diag_addf(x->diag, "%s: out of memory", x->plan->path);
    }
    bool armed = false;
    for (size_t i = 0; i < count; i++) {
        const workflow_step_t *ws = &steps[i];
        if (ws->arms_rollback && !armed) {
            *arm_index = *out_count;
            armed = true;
        }
        if (!wanted(x, ws))
            continue;
        size_t n = select_agents(x->plan, ws, agents);
        for (size_t k = 0; k < n; k++)
            if (fill_step(x, ws, agents[k], rollback, &(*out)[(*out_count)++]) != ALFUP_OK) {
                free(agents);
                return ALFUP_ERR;
            }
    }
    free(agents);
    return ALFUP_OK;
}

/* Renumbers stages 1, 2, 3... (stages left empty by only_if or nodes disappear). */
static void compact_stages(planned_step_t *steps, size_t count)
{
    unsigned last = 0, next = 0;
    for (size_t i = 0; i < count; i++) {
        if (steps[i].stage != last) {
            last = steps[i].stage;
            next++;
        }
        steps[i].stage = next;
    }
}

/* Plan against workflow: every role the workflow needs has an agent; approve names exist. */
static void check_plan_against(const expander_t *x)
{
    static const char *const ROLES[] = {"repo", "db", "solr"};
    for (size_t r = 0; r < sizeof ROLES / sizeof ROLES[0]; r++) {
        if (!workflow_uses_role(x->wf, ROLES[r]) || x->plan->agents_node == NULL)
            continue;
        bool found = false;
        for (size_t i = 0; i < x->plan->agent_count && !found; i++)
            found = plan_agent_has_role(&x->plan->agents[i], ROLES[r]);
        if (!found)
            plan_diag_at(x->diag, x->plan->agents_node, "no agent has role '%s', which workflow %s needs", ROLES[r],
                         x->wf->name);
    }
    for (size_t i = 0; i < x->plan->approve.count; i++) {
        const char *name = x->plan->approve.items[i];
        if (workflow_step_index(x->wf, name) < 0 && workflow_phase_index(x->wf, name) < 0) {
            const yaml_doc_node_t *at = yaml_doc_item(x->plan->approve_node, i);
            plan_diag_at(x->diag, at ? at : x->plan->approve_node, "'%s' is neither a step nor a phase of workflow %s",
                         name, x->wf->name);
        }
    }
}

static int fill_agents(const plan_t *plan, run_plan_t *rp)
{
    for (size_t i = 0; i < plan->agent_count; i++) {
        char roles[64] = "";
        size_t used = 0;
        for (size_t r = 0; r < plan->agents[i].roles.count && used < sizeof roles; r++) {
            int n = snprintf(roles + used, sizeof roles - used, "%s%s", r ? "," : "", plan->agents[i].roles.items[r]);
            used += n > 0 ? (size_t)n : 0;
        }
        if (str_list_add(&rp->agents, plan->agents[i].name) != 0 || str_list_add(&rp->agent_roles, roles) != 0)
            return ALFUP_ERR;
    }
    return ALFUP_OK;
}

static run_plan_t *expand(const expander_t *x, const char *plan_path)
{
    run_plan_t *rp = calloc(1, sizeof *rp);
    if (rp == NULL || !(rp->deployment = strdup(x->plan->deployment)) || !(rp->workflow = strdup(x->wf->name)) ||
        !(rp->plan_path = strdup(plan_path)) || !(rp->workflow_path = strdup(x->wf->path)) ||
        fill_agents(x->plan, rp) != ALFUP_OK) {
        plan_diag_addf(x->diag, "%s: out of memory", x->plan->path);
        run_plan_destroy(&rp);
        return NULL;
    }
    size_t unused = 0;
    rp->rollback_from = SIZE_MAX;
    if (expand_list(x, x->wf->steps, x->wf->step_count, false, &rp->steps, &rp->step_count, &rp->rollback_from) !=
            ALFUP_OK ||
        expand_list(x, x->wf->rollback, x->wf->rollback_count, true, &rp->rollback, &rp->rollback_count, &unused) !=
            ALFUP_OK) {
        run_plan_destroy(&rp);
        return NULL;
    }
    if (rp->rollback_from == SIZE_MAX)
        rp->rollback_from = rp->step_count;
    rp->destructive_from = rp->step_count;
    for (size_t i = rp->step_count; i-- > 0;)
        if (workflow_kind_find(rp->steps[i].kind)->destructive)
            rp->destructive_from = i;
    rp->rollback_until = rp->destructive_from;
    for (size_t i = 0; i < rp->destructive_from; i++)
        if (rp->steps[i].ends_rollback) {
            rp->rollback_until = i;
            break;
        }
    compact_stages(rp->steps, rp->step_count);
    compact_stages(rp->rollback, rp->rollback_count);
    return rp;
}

/* A plan with a rehearsal: section names a workflow that rehearses (a step with only_if: rehearsal.service),
 * so no operator believes a rehearsal ran when the workflow has none. */
static void check_rehearsal_used(const expander_t *x)
{
    if (!x->plan->rehearsal.present)
        return;
    for (size_t i = 0; i < x->wf->step_count; i++)
        if (x->wf->steps[i].only_if != NULL && strcmp(x->wf->steps[i].only_if, "rehearsal.service") == 0)
            return;
    plan_diag_at(x->diag, plan_node(x->plan, "rehearsal"), "workflow %s has no rehearsal (use "
                 "alfresco-upgrade-prestaged, or remove rehearsal:)", x->plan->workflow);
}

run_plan_t *run_plan_build_diag(const char *plan_path, const char *plan_text, size_t plan_len,
                                const char *workflows_dir, plan_diag_t *diag)
{
    size_t before = plan_diag_count(diag);
    plan_t *plan = plan_parse_partial(plan_path, plan_text, plan_len, diag);
    if (plan == NULL)
        return NULL;
    workflow_t *wf = NULL;
    char path[4096];
    if (plan->workflow == NULL) {
        plan_destroy(&plan);
        return NULL;
    }
    int n = snprintf(path, sizeof path, "%s/%s.yaml", workflows_dir, plan->workflow);
    if (n < 0 || (size_t)n >= sizeof path || access(path, F_OK) != 0)
        plan_diag_at(diag, plan_node(plan, "workflow"), "no workflow '%s' (looked for %s)", plan->workflow, path);
    else
        wf = workflow_load(workflows_dir, plan->workflow, diag);
    run_plan_t *rp = NULL;
    if (wf != NULL) {
        expander_t x = {plan, wf, diag};
        check_plan_against(&x);
        check_rehearsal_used(&x);
        if (plan_diag_count(diag) == before)
            rp = expand(&x, plan_path);
    }
    if (rp != NULL && plan_diag_count(diag) != before)
        run_plan_destroy(&rp);
    workflow_destroy(&wf);
    plan_destroy(&plan);
    return rp;
}

run_plan_t *run_plan_build(const char *plan_path, const char *plan_text, size_t plan_len, const char *workflows_dir,
                           alfup_err_t *err)
{
    plan_diag_t diag = {0};
    run_plan_t *rp = run_plan_build_diag(plan_path, plan_text, plan_len, workflows_dir, &diag);
    if (rp == NULL)
        plan_diag_to_err(&diag, err);
    plan_diag_clear(&diag);
    return rp;
}

static void free_steps(planned_step_t *steps, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        planned_step_t *s = &steps[i];
        char *fields[] = {s->id,        s->phase, s->phase_title, s->workflow_step, s->title,
                          s->procedure, s->agent, s->role,        s->kind,          s->gate};
        for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
            free(fields[k]);
        kv_list_clear(&s->params);
    }
    free(steps);
}

void run_plan_destroy(run_plan_t **plan_p)
{
    run_plan_t *rp = plan_p ? *plan_p : NULL;
    if (rp == NULL)
        return;
    free_steps(rp->steps, rp->step_count);
    free_steps(rp->rollback, rp->rollback_count);
    str_list_clear(&rp->agents);
    str_list_clear(&rp->agent_roles);
    free(rp->deployment);
    free(rp->workflow);
    free(rp->workflow_path);
    free(rp->plan_path);
    free(rp);
    *plan_p = NULL;
}

long run_plan_find(const run_plan_t *plan, const char *id)
{
    for (size_t i = 0; plan != NULL && id != NULL && i < plan->step_count; i++)
        if (strcmp(plan->steps[i].id, id) == 0)
            return (long)i;
    return -1;
}

int run_plan_each_role(const run_plan_t *plan, int (*fn)(const char *agent, const char *role, void *arg), void *arg)
{
    for (size_t i = 0; i < plan->agents.count; i++) {
        const char *roles = plan->agent_roles.items[i];
        while (*roles != '\0') {
            char role[16];
            size_t len = strcspn(roles, ",");
            snprintf(role, sizeof role, "%.*s", (int)len, roles);
            int rc = fn(plan->agents.items[i], role, arg);
            if (rc != 0)
                return rc;
            roles += len;
            roles += *roles == ',';
        }
    }
    return 0;
}
