/* workflow_check.c -- checking a workflow: ids, stages, kinds' parameters, templates and ${...} references. */
#include "workflow_check.h"

#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

#define ID_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-"
#define TEMPLATE_NAME_MAX 128

static bool id_ok(const char *id)
{
    size_t len = strlen(id);
    return len >= 1 && len <= WORKFLOW_STEP_ID_MAX && strspn(id, ID_CHARS) == len && id[0] != '-';
}

static bool role_ok(const char *role)
{
    return strcmp(role, "repo") == 0 || strcmp(role, "db") == 0 || strcmp(role, "solr") == 0;
}

/* "0", "1.2", "3.3, 3.4": comma-separated step numbers. */
static bool procedure_ok(const char *text)
{
    const char *p = text;
    for (;;) {
        size_t digits = strspn(p, "0123456789");
        if (digits == 0 || digits > 3)
            return false;
        p += digits;
        if (*p == '.') {
            digits = strspn(++p, "0123456789");
            if (digits == 0 || digits > 3)
                return false;
            p += digits;
        }
        if (*p == '\0')
            return true;
        if (*p++ != ',')
            return false;
        p += strspn(p, " ");
    }
}

int workflow_templates_each(const char *text, workflow_template_fn fn, void *arg)
{
    char name[TEMPLATE_NAME_MAX];
    for (const char *p = text; *p != '\0'; p++) {
        if (*p != '{')
            continue;
        int ref = p > text && p[-1] == '$';
        const char *close = strchr(p + 1, '}');
        size_t len = close ? (size_t)(close - p - 1) : 0;
        if (close == NULL || len == 0 || len >= sizeof name || memchr(p + 1, '{', len) != NULL)
            return -1;
        memcpy(name, p + 1, len);
        name[len] = '\0';
        int rc = fn(name, ref, arg);
        if (rc != 0)
            return rc;
        p = close;
    }
    return 0;
}

typedef struct ref_check {
    plan_diag_t *diag;
    const workflow_t *wf;
    const workflow_step_t *step;
    size_t index; /* the step's index in wf->steps */
    bool rollback;
    const yaml_doc_node_t *at;
    const workflow_param_t *param;
    bool repeatable;
} ref_check_t;

static bool nodes_cover(workflow_nodes_t earlier, workflow_nodes_t later)
{
    return earlier == WORKFLOW_NODES_ALL || earlier == later;
}

static int check_reference(ref_check_t *c, const char *name)
{
    const char *dot = strrchr(name, '.');
    if (c->rollback)
        return plan_diag_at(c->diag, c->at, "rollback steps cannot use ${%s}: they must run whatever failed", name);
    if (dot == NULL || dot == name || dot[1] == '\0')
        return plan_diag_at(c->diag, c->at, "${%s} is not ${STEP.OUTPUT}", name);
    char step_id[TEMPLATE_NAME_MAX];
    snprintf(step_id, sizeof step_id, "%.*s", (int)(dot - name), name);
    long t = workflow_step_index(c->wf, step_id);
    if (t < 0)
        return plan_diag_at(c->diag, c->at, "${%s}: no step '%s' in this workflow", name, step_id);
    const workflow_step_t *target = &c->wf->steps[t];
    if ((size_t)t >= c->index || target->stage >= c->step->stage)
        return plan_diag_at(c->diag, c->at, "${%s}: step '%s' does not finish before this one", name, step_id);
    if (strcmp(target->role, c->step->role) != 0 || !nodes_cover(target->nodes, c->step->nodes))
        return plan_diag_at(c->diag, c->at, "${%s}: step '%s' does not run on the same agents (role %s, nodes)", name,
                            step_id, target->role);
    if (target->only_if != NULL && (c->step->only_if == NULL || strcmp(target->only_if, c->step->only_if) != 0))
        return plan_diag_at(c->diag, c->at, "${%s}: step '%s' may be left out (only_if %s)", name, step_id,
                            target->only_if);
    if (target->kind != NULL && !workflow_kind_output_ok(target->kind, dot + 1))
        return plan_diag_at(c->diag, c->at, "${%s}: a %s step has no output '%s'", name, target->kind->name, dot + 1);
    return 0;
}

static int check_template(const char *name, int ref, void *arg)
{
    ref_check_t *c = arg;
    if (ref)
        return check_reference(c, name);
    plan_template_kind_t kind = plan_template_kind(name);
    if (kind == PLAN_TEMPLATE_UNKNOWN)
        return plan_diag_at(c->diag, c->at, "unknown template {%s} (see docs/workflow.md)", name);
    if (kind == PLAN_TEMPLATE_LIST) {
        size_t len = strlen(c->param->value);
        if (len != strlen(name) + 2 || c->param->value[0] != '{')
            return plan_diag_at(c->diag, c->at, "list template {%s} must be the whole value", name);
        if (!c->repeatable)
            return plan_diag_at(c->diag, c->at,
                                "list template {%s} given to parameter '%s', which does not "
                                "repeat",
                                name, c->param->key);
    }
    return 0;
}

/* The node of the param-th parameter of step (its value, or item). */
static const yaml_doc_node_t *param_node(const workflow_step_t *step, const char *key)
{
    const yaml_doc_node_t *params = yaml_doc_get(step->node, "params");
    const yaml_doc_node_t *value = params ? yaml_doc_get(params, key) : NULL;
    return value ? value : step->node;
}

static void check_params(plan_diag_t *diag, const workflow_t *wf, workflow_step_t *step, size_t index, bool rollback)
{
    const char *keys[256];
    size_t key_count = 0;
    for (size_t i = 0; i < step->param_count; i++) {
        workflow_param_t *p = &step->params[i];
        ref_check_t c = {diag, wf, step, index, rollback, param_node(step, p->key), p, false};
        if (!workflow_kind_param_ok(step->kind, p->key, &c.repeatable)) {
            plan_diag_at(diag, c.at, "a %s step has no parameter '%s'", step->kind->name, p->key);
            continue;
        }
        bool repeated = false;
        for (size_t k = 0; k < i; k++)
            repeated |= strcmp(step->params[k].key, p->key) == 0;
        if (!repeated && !c.repeatable && yaml_doc_kind(c.at) == YAML_DOC_SEQUENCE)
            plan_diag_at(diag, c.at, "parameter '%s' of a %s step takes one value", p->key, step->kind->name);
        size_t len = strlen(p->value);
        if (len > 2 && p->value[0] == '{' && p->value[len - 1] == '}') {
            char name[TEMPLATE_NAME_MAX];
            snprintf(name, sizeof name, "%.*s", (int)(len - 2), p->value + 1);
            p->list = plan_template_kind(name) == PLAN_TEMPLATE_LIST;
        }
        if (workflow_templates_each(p->value, check_template, &c) == -1)
            plan_diag_at(diag, c.at, "'%s': a '{' without its '}'", p->value);
        if (!repeated && key_count < sizeof keys / sizeof keys[0])
            keys[key_count++] = p->key;
    }
    char missing[64];
    if (workflow_kind_missing_param(step->kind, keys, key_count, missing, sizeof missing) != NULL)
        plan_diag_at(diag, step->node, "step '%s': a %s step needs parameter '%s'", step->id, step->kind->name,
                     missing);
}

/* Stage numbers: a step starts a new stage unless parallel_with names a step of the current one. */
static void assign_stage(plan_diag_t *diag, workflow_step_t *steps, size_t i, unsigned *stage)
{
    workflow_step_t *step = &steps[i];
    if (step->parallel_with == NULL) {
        step->stage = ++*stage;
        return;
    }
    step->stage = *stage ? *stage : 1;
    for (size_t k = i; k-- > 0;)
        if (steps[k].id && strcmp(steps[k].id, step->parallel_with) == 0 && steps[k].stage == *stage &&
            steps[k].phase == step->phase)
            return;
    plan_diag_at(diag, yaml_doc_get(step->node, "parallel_with"),
                 "'%s' is not a step of the stage just before this one (in the same phase)", step->parallel_with);
}

static void check_step(plan_diag_t *diag, const workflow_t *wf, workflow_step_t *steps, size_t i, bool rollback)
{
    workflow_step_t *step = &steps[i];
    if (!id_ok(step->id))
        plan_diag_at(diag, yaml_doc_get(step->node, "id"), "'%s' is not a step id ([a-z0-9-], at most %d)", step->id,
                     WORKFLOW_STEP_ID_MAX);
    for (size_t k = 0; k < i; k++)
        if (strcmp(steps[k].id, step->id) == 0)
            plan_diag_at(diag, yaml_doc_get(step->node, "id"), "step id '%s' is used twice", step->id);
    if (rollback && workflow_step_index(wf, step->id) >= 0)
        plan_diag_at(diag, yaml_doc_get(step->node, "id"), "'%s' is already a main step's id", step->id);
    if (!role_ok(step->role))
        plan_diag_at(diag, yaml_doc_get(step->node, "role"), "unknown role '%s' (roles: repo, db, solr)", step->role);
    if (step->procedure != NULL && !procedure_ok(step->procedure))
        plan_diag_at(diag, yaml_doc_get(step->node, "procedure"), "'%s' is not a procedure step such as 1.2",
                     step->procedure);
    if (step->only_if != NULL && (plan_template_kind(step->only_if) == PLAN_TEMPLATE_UNKNOWN ||
                                  plan_template_kind(step->only_if) == PLAN_TEMPLATE_RUNTIME))
        plan_diag_at(diag, yaml_doc_get(step->node, "only_if"), "unknown template name '%s'", step->only_if);
    if (step->kind != NULL && step->kind->destructive && rollback)
        plan_diag_at(diag, yaml_doc_get(step->node, "kind"), "a %s step cannot be part of a rollback",
                     step->kind->name);
    else if (step->kind != NULL && step->kind->destructive && !step->gate && !wf->phases[step->phase].gate)
        plan_diag_at(diag, yaml_doc_get(step->node, "kind"),
                     "a %s step removes the old system: give it (or its "
                     "phase) gate: true",
                     step->kind->name);
    if (step->kind != NULL)
        check_params(diag, wf, step, i, rollback);
}

static void check_phases(plan_diag_t *diag, const workflow_t *wf)
{
    for (size_t i = 0; i < wf->phase_count; i++) {
        const workflow_phase_t *phase = &wf->phases[i];
        if (!id_ok(phase->id))
            plan_diag_at(diag, yaml_doc_get(phase->node, "id"), "'%s' is not a phase id ([a-z0-9-])", phase->id);
        for (size_t k = 0; k < i; k++)
            if (strcmp(wf->phases[k].id, phase->id) == 0)
                plan_diag_at(diag, yaml_doc_get(phase->node, "id"), "phase id '%s' is used twice", phase->id);
        if (workflow_step_index(wf, phase->id) >= 0)
            plan_diag_at(diag, yaml_doc_get(phase->node, "id"),
                         "'%s' is also a step id: approve could not "
                         "tell them apart",
                         phase->id);
    }
}

void workflow_check_all(plan_diag_t *diag, workflow_t *wf)
{
    check_phases(diag, wf);
    unsigned stage = 0;
    size_t arming = 0, ending = 0, armed_at = SIZE_MAX;
    for (size_t i = 0; i < wf->step_count; i++) {
        assign_stage(diag, wf->steps, i, &stage);
        arming += wf->steps[i].arms_rollback;
        armed_at = wf->steps[i].arms_rollback && armed_at == SIZE_MAX ? i : armed_at;
        if (wf->steps[i].ends_rollback && (++ending > 1 || armed_at == SIZE_MAX || armed_at == i))
            plan_diag_at(diag, wf->steps[i].node,
                         "ends_rollback: at most one step may end the automatic rollback, after the step that "
                         "arms it");
    }
    for (size_t i = 0; i < wf->step_count; i++)
        check_step(diag, wf, wf->steps, i, false);
    stage = 0;
    for (size_t i = 0; i < wf->rollback_count; i++) {
        assign_stage(diag, wf->rollback, i, &stage);
        check_step(diag, wf, wf->rollback, i, true);
    }
    if (wf->step_count == 0)
        plan_diag_at(diag, yaml_doc_root(wf->doc), "no steps");
    if (arming != 1)
        plan_diag_at(diag, yaml_doc_root(wf->doc),
                     "%zu steps have arms_rollback: true; exactly one (the first "
                     "that stops an old service) must",
                     arming);
}
