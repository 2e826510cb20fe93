/* run_plan.h -- a plan expanded against its workflow: every step a run takes, in order.
 * Built by planning (plan.c, workflow.c, run_plan.c); consumed by the run engine. */
#ifndef ALFUP_RUN_PLAN_H
#define ALFUP_RUN_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "alfup_error.h"
#include "kv_list.h"
#include "str_list.h"

/* A parameter value may reference an output of an earlier step that ran on
 * the same agent: "${WORKFLOW_STEP_ID.OUTPUT_KEY}", e.g. "${backup-contentstore.archive}".
 * The engine substitutes it when the step is sent; a missing output fails the step. */
#define RUN_PLAN_REF_OPEN "${"
/* "{run.id}" in a parameter value is left for the engine to replace with the run's id. */
#define RUN_PLAN_RUN_ID "{run.id}"
#define RUN_PLAN_STEP_ID_MAX 64

typedef struct planned_step {
    char *id;              /* unique in the run: "<workflow_step>@<agent>"; [A-Za-z0-9._@-], <= 64 */
    char *phase;           /* workflow phase id, e.g. "install" */
    char *phase_title;     /* "Install the new version, with a backup" */
    char *workflow_step;   /* workflow step id, e.g. "backup-contentstore" */
    char *title;           /* "Back up the contentstore" */
    char *procedure;       /* the reference procedure step it implements: "1.2" */
    char *agent;           /* agent (certificate) name */
    char *role;            /* the role it runs for: repo, db or solr */
    char *kind;            /* agent step kind: "backup-tree" */
    kv_list_t params;      /* may contain ${...} references, see above */
    unsigned stage;        /* steps of one stage run in parallel; stages run in ascending order */
    char *gate;            /* non-NULL: waits for `approve RUN GATE` before it is sent */
    unsigned timeout_s;    /* how long the controller waits for its result once sent */
    bool ends_rollback;    /* its workflow step has ends_rollback: true */
    bool redo_phase;       /* its phase has redo_on_resume: true (a resume redoes the whole phase) */
} planned_step_t;

typedef struct run_plan {
    char *deployment;          /* plan's deployment name */
    char *workflow;            /* workflow name */
    char *plan_path;           /* the plan file */
    char *workflow_path;       /* the workflow file it was expanded from */
    str_list_t agents;         /* every agent the plan uses */
    str_list_t agent_roles;    /* parallel to agents: "repo", "db,solr"... as the plan gives them */
    planned_step_t *steps;     /* in order; stage is non-decreasing */
    size_t step_count;
    /* Automatic rollback once a failed step's index is >= rollback_from (the
     * first step that stops an old service); before that a failure just stops. */
    size_t rollback_from;
    /* A failure at or after this index does not roll back by itself: the first
     * step of the workflow that has ends_rollback (the new version serves and a
     * rollback would lose what was written since), or else destructive_from. */
    size_t rollback_until;
    /* The first step that removes the old installation (decommission): from there no
     * rollback at all, not even an operator's; step_count when there is none. */
    size_t destructive_from;
    planned_step_t *rollback;  /* what rollback runs, in order (stop new, start old, wait ready) */
    size_t rollback_count;
} run_plan_t;

/* Parses plan text (plan_path names it in messages: "PATH:LINE: ..."), loads
 * the workflow it names from workflows_dir and expands it. NULL with err. */
run_plan_t *run_plan_build(const char *plan_path, const char *plan_text, size_t plan_len,
                           const char *workflows_dir, alfup_err_t *err);

/* Like run_plan_build, but every problem found (not only the first) is added
 * to diag as "FILE:LINE: message". For `plan check`. */
struct plan_diag;
run_plan_t *run_plan_build_diag(const char *plan_path, const char *plan_text, size_t plan_len,
                                const char *workflows_dir, struct plan_diag *diag);

/* Frees everything; sets *plan_p to NULL. Tolerates NULL. */
void run_plan_destroy(run_plan_t **plan_p);

/* Index of the step with id, or -1. */
long run_plan_find(const run_plan_t *plan, const char *id);

/* Calls fn(agent, role, arg) for every role the plan gives every agent, in
 * plan order (for checking them against the agents' certificates). Stops at
 * and returns the first non-zero value fn returns; 0 otherwise. */
int run_plan_each_role(const run_plan_t *plan, int (*fn)(const char *agent, const char *role, void *arg),
                       void *arg);

#endif
