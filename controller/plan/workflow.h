/* workflow.h -- a workflow file (deploy/workflows/NAME.yaml, docs/workflow.md): the upgrade procedure as data. */
#ifndef ALFUP_WORKFLOW_H
#define ALFUP_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "plan_diag.h"
#include "workflow_kinds.h"
#include "yaml_doc.h"

#define WORKFLOW_STEP_ID_MAX 31 /* "<step id>@<agent>" fits a planned step id (64) */

typedef enum workflow_nodes {
    WORKFLOW_NODES_ALL,   /* every agent with the role, in parallel */
    WORKFLOW_NODES_FIRST, /* the first agent with the role, in plan order */
    WORKFLOW_NODES_REST   /* every other agent with the role */
} workflow_nodes_t;

typedef struct workflow_param {
    char *key;
    char *value; /* template text: "{new.home}/x", "${step.output}", "{run.id}" */
    bool list;   /* value is exactly "{LIST}": one parameter per item */
} workflow_param_t;

typedef struct workflow_step {
    char *id, *title, *procedure, *role;
    const workflow_kind_t *kind;
    size_t phase; /* index into phases; rollback steps: 0 */
    workflow_nodes_t nodes;
    char *parallel_with; /* NULL: starts a new stage */
    char *only_if;       /* template name; the step is left out when it is empty */
    bool gate, arms_rollback;
    bool ends_rollback; /* from this step on a failure no longer rolls back by itself */
    unsigned timeout_s; /* 0: the kind's default */
    workflow_param_t *params;
    size_t param_count;
    unsigned stage; /* 1-based, before nodes are expanded */
    const yaml_doc_node_t *node;
} workflow_step_t;

typedef struct workflow_phase {
    char *id, *title;
    bool gate;
    bool redo_on_resume; /* a resume after a failure in it runs the phase again from its first step */
    const yaml_doc_node_t *node;
} workflow_phase_t;

typedef struct workflow {
    yaml_doc_t *doc;
    char *path, *name, *title;
    workflow_phase_t *phases;
    size_t phase_count;
    workflow_step_t *steps; /* main steps in order */
    size_t step_count;
    workflow_step_t *rollback;
    size_t rollback_count;
} workflow_t;

/* Parses and checks a workflow; path names it in messages. Every problem is
 * added to diag as "PATH:LINE: message": unknown keys, kinds and parameters,
 * missing required parameters, unknown template names, ${...} references to
 * steps that are not earlier on the same agents, parallel_with outside the
 * current stage, ungated destructive steps, duplicate ids. NULL when any. */
workflow_t *workflow_parse(const char *path, const char *text, size_t len, plan_diag_t *diag);

/* Reads DIR/NAME.yaml and parses it (name must be a plain name). */
workflow_t *workflow_load(const char *dir, const char *name, plan_diag_t *diag);

/* Frees the workflow; sets *wf_p to NULL. Tolerates NULL. */
void workflow_destroy(workflow_t **wf_p);

/* Index of the main step with id, or -1. */
long workflow_step_index(const workflow_t *wf, const char *id);

/* Index of the phase with id, or -1. */
long workflow_phase_index(const workflow_t *wf, const char *id);

/* true when the workflow (main or rollback) has a step of role. */
bool workflow_uses_role(const workflow_t *wf, const char *role);

#endif
