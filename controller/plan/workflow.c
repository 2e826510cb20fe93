/* workflow.c -- reading a workflow file: phases, steps, rollback (checks of values: workflow_check.c). */
#include "workflow.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_value.h"
#include "file_util.h"
#include "plan_check.h"
#include "workflow_check.h"

static const char *const ROOT_KEYS[] = {"workflow", "title", "phases", "rollback", NULL};
static const char *const PHASE_KEYS[] = {"id", "title", "gate", "redo_on_resume", "steps", NULL};
static const char *const STEP_KEYS[] = {
    "id",      "title", "procedure", "role",          "kind",   "nodes", "parallel_with",
    "only_if", "gate",  "timeout_s", "arms_rollback", "ends_rollback", "params", NULL};
static const char *const ROLLBACK_KEYS[] = {"id",        "title",  "role",    "kind", "nodes", "parallel_with",
                                            "timeout_s", "params", "only_if", NULL};

static bool get_bool(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key)
{
    bool value = false;
    alfup_err_t err;
    if (yaml_doc_get_bool(map, key, 0, &value, &err) == ALFUP_ERR)
        plan_diag_add_err(diag, &err);
    return value;
}

static void parse_nodes(plan_diag_t *diag, const yaml_doc_node_t *map, workflow_step_t *step)
{
    char *nodes = plan_get_text(diag, map, "nodes", false);
    if (nodes == NULL || strcmp(nodes, "all") == 0)
        step->nodes = WORKFLOW_NODES_ALL;
    else if (strcmp(nodes, "first") == 0)
        step->nodes = WORKFLOW_NODES_FIRST;
    else if (strcmp(nodes, "rest") == 0)
        step->nodes = WORKFLOW_NODES_REST;
    else
        plan_diag_at(diag, yaml_doc_get(map, "nodes"), "'%s' is not all, first or rest", nodes);
    free(nodes);
}

/* One parameter: a scalar, or a list of scalars (the key repeats). */
static int add_param(plan_diag_t *diag, workflow_step_t *step, const char *key, const yaml_doc_node_t *value)
{
    size_t items = yaml_doc_kind(value) == YAML_DOC_SEQUENCE ? yaml_doc_count(value) : 1;
    workflow_param_t *grown = realloc(step->params, (step->param_count + items) * sizeof *grown);
    if (grown == NULL)
        return plan_diag_at(diag, value, "out of memory");
    step->params = grown;
    for (size_t i = 0; i < items; i++) {
        const yaml_doc_node_t *item = yaml_doc_kind(value) == YAML_DOC_SEQUENCE ? yaml_doc_item(value, i) : value;
        workflow_param_t *p = &step->params[step->param_count];
        memset(p, 0, sizeof *p);
        alfup_err_t err;
        if (yaml_doc_to_string(item, &p->value, &err) != 0)
            return plan_diag_add_err(diag, &err);
        if ((p->key = strdup(key)) == NULL) {
            free(p->value);
            return plan_diag_at(diag, item, "out of memory");
        }
        step->param_count++;
    }
    return ALFUP_OK;
}

static void parse_params(plan_diag_t *diag, const yaml_doc_node_t *map, workflow_step_t *step)
{
    const yaml_doc_node_t *params = plan_get_map(diag, map, "params", false);
    for (size_t i = 0; params != NULL && i < yaml_doc_count(params); i++)
        if (add_param(diag, step, yaml_doc_key(params, i), yaml_doc_value(params, i)) != ALFUP_OK)
            return;
}

static void parse_step(plan_diag_t *diag, const yaml_doc_node_t *map, workflow_step_t *step, bool rollback)
{
    alfup_err_t err;
    step->node = map;
    if (yaml_doc_expect(map, YAML_DOC_MAPPING, &err) != 0) {
        plan_diag_add_err(diag, &err);
        return;
    }
    plan_check_keys(diag, map, rollback ? ROLLBACK_KEYS : STEP_KEYS);
    step->id = plan_get_text(diag, map, "id", true);
    step->title = plan_get_text(diag, map, "title", true);
    step->procedure = plan_get_text(diag, map, "procedure", !rollback);
    step->role = plan_get_text(diag, map, "role", true);
    char *kind = plan_get_text(diag, map, "kind", true);
    if (kind != NULL && (step->kind = workflow_kind_find(kind)) == NULL) {
        char names[1024];
        workflow_kind_names(names, sizeof names);
        plan_diag_at(diag, yaml_doc_get(map, "kind"), "unknown step kind '%s' (known: %s)", kind, names);
    }
    free(kind);
    parse_nodes(diag, map, step);
    step->parallel_with = plan_get_text(diag, map, "parallel_with", false);
    step->only_if = plan_get_text(diag, map, "only_if", false);
    step->gate = get_bool(diag, map, "gate");
    step->arms_rollback = get_bool(diag, map, "arms_rollback");
    step->ends_rollback = get_bool(diag, map, "ends_rollback");
    if (yaml_doc_get_uint(map, "timeout_s", 0, 1, PLAN_TIMEOUT_MAX_S, &step->timeout_s, &err) == ALFUP_ERR)
        plan_diag_add_err(diag, &err);
    parse_params(diag, map, step);
}

/* Appends the steps of a sequence node to *steps. */
static void parse_steps(plan_diag_t *diag, const yaml_doc_node_t *seq, size_t phase, workflow_step_t **steps,
                        size_t *count, bool rollback)
{
    size_t n = yaml_doc_count(seq);
    if (n == 0)
        return;
    workflow_step_t *grown = realloc(*steps, (*count + n) * sizeof *grown);
    if (grown == NULL) {
        plan_diag_at(diag, seq, "out of memory");
        return;
    }
    *steps = grown;
    for (size_t i = 0; i < n; i++) {
        workflow_step_t *step = &grown[(*count)++];
        memset(step, 0, sizeof *step);
        step->phase = phase;
        parse_step(diag, yaml_doc_item(seq, i), step, rollback);
    }
}

static void parse_phases(plan_diag_t *diag, const yaml_doc_node_t *root, workflow_t *wf)
{
    const yaml_doc_node_t *seq = NULL;
    alfup_err_t err;
    if (yaml_doc_get_node(root, "phases", YAML_DOC_REQUIRED, YAML_DOC_SEQUENCE, &seq, &err) != 0) {
        plan_diag_add_err(diag, &err);
        return;
    }
    size_t n = yaml_doc_count(seq);
    wf->phases = n ? calloc(n, sizeof *wf->phases) : NULL;
    if (n == 0 || wf->phases == NULL) {
        plan_diag_at(diag, seq, n ? "out of memory" : "no phases");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const yaml_doc_node_t *map = yaml_doc_item(seq, i);
        workflow_phase_t *phase = &wf->phases[wf->phase_count++];
        phase->node = map;
        if (yaml_doc_expect(map, YAML_DOC_MAPPING, &err) != 0) {
            plan_diag_add_err(diag, &err);
            continue;
        }
        plan_check_keys(diag, map, PHASE_KEYS);
        phase->id = plan_get_text(diag, map, "id", true);
        phase->title = plan_get_text(diag, map, "title", true);
        phase->gate = get_bool(diag, map, "gate");
        phase->redo_on_resume = get_bool(diag, map, "redo_on_resume");
        const yaml_doc_node_t *steps = NULL;
        if (yaml_doc_get_node(map, "steps", YAML_DOC_REQUIRED, YAML_DOC_SEQUENCE, &steps, &err) != 0)
            plan_diag_add_err(diag, &err);
        else
            parse_steps(diag, steps, i, &wf->steps, &wf->step_count, false);
    }
}

workflow_t *workflow_parse(const char *path, const char *text, size_t len, plan_diag_t *diag)
{
    size_t before = plan_diag_count(diag);
    alfup_err_t err;
    workflow_t *wf = calloc(1, sizeof *wf);
    if (wf == NULL || (wf->path = strdup(path)) == NULL) {
        plan_diag_addf(diag, "%s: out of memory", path);
        workflow_destroy(&wf);
        return NULL;
    }
    wf->doc = yaml_doc_load(text, len, path, &err);
    const yaml_doc_node_t *root = wf->doc ? yaml_doc_root(wf->doc) : NULL;
    if (root == NULL || yaml_doc_expect(root, YAML_DOC_MAPPING, &err) != 0) {
        plan_diag_add_err(diag, &err);
        workflow_destroy(&wf);
        return NULL;
    }
    plan_check_keys(diag, root, ROOT_KEYS);
    wf->name = plan_get_text(diag, root, "workflow", true);
    wf->title = plan_get_text(diag, root, "title", true);
    parse_phases(diag, root, wf);
    const yaml_doc_node_t *rollback = NULL;
    if (yaml_doc_get_node(root, "rollback", YAML_DOC_REQUIRED, YAML_DOC_SEQUENCE, &rollback, &err) != 0)
        plan_diag_add_err(diag, &err);
    else
        parse_steps(diag, rollback, 0, &wf->rollback, &wf->rollback_count, true);
    if (plan_diag_count(diag) == before)
        workflow_check_all(diag, wf);
    if (plan_diag_count(diag) != before)
        workflow_destroy(&wf);
    return wf;
}

workflow_t *workflow_load(const char *dir, const char *name, plan_diag_t *diag)
{
    if (!config_name_ok(name)) {
        plan_diag_addf(diag, "workflow name '%s' is not a plain name", name);
        return NULL;
    }
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s.yaml", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        plan_diag_addf(diag, "%s: workflows folder name too long", dir);
        return NULL;
    }
    alfup_err_t err;
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = file_read_all(path, YAML_DOC_MAX_BYTES, &text, &len, &err);
    if (rc == FILE_MISSING) {
        plan_diag_addf(diag, "%s: no such workflow (looked in %s)", path, dir);
        return NULL;
    }
    if (rc != ALFUP_OK) {
        plan_diag_add_err(diag, &err);
        return NULL;
    }
    workflow_t *wf = workflow_parse(path, (const char *)text, len, diag);
    free(text);
    return wf;
}

static void free_steps(workflow_step_t *steps, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        workflow_step_t *s = &steps[i];
        free(s->id);
        free(s->title);
        free(s->procedure);
        free(s->role);
        free(s->parallel_with);
        free(s->only_if);
        for (size_t k = 0; k < s->param_count; k++) {
            free(s->params[k].key);
            free(s->params[k].value);
        }
        free(s->params);
    }
    free(steps);
}

void workflow_destroy(workflow_t **wf_p)
{
    workflow_t *wf = wf_p ? *wf_p : NULL;
    if (wf == NULL)
        return;
    free_steps(wf->steps, wf->step_count);
    free_steps(wf->rollback, wf->rollback_count);
    for (size_t i = 0; i < wf->phase_count; i++) {
        free(wf->phases[i].id);
        free(wf->phases[i].title);
    }
    free(wf->phases);
    free(wf->path);
    free(wf->name);
    free(wf->title);
    yaml_doc_destroy(&wf->doc);
    free(wf);
    *wf_p = NULL;
}

long workflow_step_index(const workflow_t *wf, const char *id)
{
    for (size_t i = 0; i < wf->step_count; i++)
        if (wf->steps[i].id != NULL && strcmp(wf->steps[i].id, id) == 0)
            return (long)i;
    return -1;
}

long workflow_phase_index(const workflow_t *wf, const char *id)
{
    for (size_t i = 0; i < wf->phase_count; i++)
        if (wf->phases[i].id != NULL && strcmp(wf->phases[i].id, id) == 0)
            return (long)i;
    return -1;
}

bool workflow_uses_role(const workflow_t *wf, const char *role)
{
    for (size_t i = 0; i < wf->step_count; i++)
        if (strcmp(wf->steps[i].role, role) == 0)
            return true;
    for (size_t i = 0; i < wf->rollback_count; i++)
        if (strcmp(wf->rollback[i].role, role) == 0)
            return true;
    return false;
}
