/* plan.h -- a deployment's plan file (docs/plan.md): the model, the parser and its checks. */
#ifndef ALFUP_PLAN_H
#define ALFUP_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "plan_diag.h"
#include "str_list.h"
#include "yaml_doc.h"

#define PLAN_JOBS_DEFAULT 2u
#define PLAN_JOBS_MAX 16u
#define PLAN_TIMEOUT_MAX_S 172800u
#define PLAN_ONLINE_MB_PER_S_MAX 100000u
#define PLAN_ONLINE_SETTLE_S_MIN 2u      /* backup-tree's settle_s bounds and default (docs/steps-archive.md) */
#define PLAN_ONLINE_SETTLE_S_MAX 86400u
#define PLAN_ONLINE_SETTLE_S_DEFAULT 600u
#define PLAN_SCRATCH_DB_SUFFIX "_scratch"
#define PLAN_SCRATCH_DIR_ROOT_NAME "alf_data_scratch"

typedef struct plan_agent {
    char *name;
    str_list_t roles;            /* repo, db, solr; no repeats */
    const yaml_doc_node_t *node; /* its entry under agents: (for messages) */
} plan_agent_t;

typedef struct plan_solr {
    char *home, *service, *data_dir_root;
    char *distribution;    /* new only */
    char *staging_service; /* new only, optional: the new Solr started on other ports during prepare */
} plan_solr_t;

typedef struct plan_install {
    char *home, *service, *dir_root, *database;
    char *distribution;     /* new only */
    char *db_user;          /* new only: owner of the new databases (db.username) */
    char *db_url;           /* new only: JDBC url of new.database (db.url) */
    char *scratch_database; /* new only: the empty database of the validation phase */
    char *scratch_db_url;   /* new only: db_url with the scratch database */
    char *scratch_dir_root; /* new only: the empty dir.root of the validation phase */
    char *staging_service;  /* new only, optional: the new home started on other ports beside production */
    char *db_server;        /* new only, optional: the db agent's postgres.servers entry of new.database's
                               server; NULL: the old database's server */
    plan_solr_t solr;
} plan_install_t;

/* rehearsal: (optional; docs/plan.md) -- the prestaged workflow's rehearse phase runs only when present. */
typedef struct plan_rehearsal {
    bool present;
    char *service;       /* the agent's rehearsal service on the first repository node (own ports) */
    char *database;      /* the rehearsal's copy of production's database, on the new database's server */
    char *dir_root;      /* the rehearsal's dir.root */
    char *url;           /* its db.url; default: new.db_url naming rehearsal.database */
    str_list_t properties; /* extra overrides, "KEY=VALUE", after alfup's own (docs/workflow.md) */
} plan_rehearsal_t;

typedef struct plan_timeout {
    char *kind;
    unsigned seconds;
} plan_timeout_t;

typedef struct plan {
    yaml_doc_t *doc; /* kept: later checks point at its lines */
    char *path;
    char *deployment, *workflow, *backup_dir;
    plan_agent_t *agents; /* plan order */
    size_t agent_count;
    const yaml_doc_node_t *agents_node;
    plan_install_t old_install, new_install;
    str_list_t amps, remove_apps;
    str_list_t approve;
    const yaml_doc_node_t *approve_node; /* the approve: sequence, or NULL */
    unsigned jobs;
    unsigned online_max_mb_per_s; /* online.max_mb_per_s; 0: not set (no cap) */
    char online_max_mb_per_s_text[12]; /* its decimal text, the value of {online.max_mb_per_s} */
    unsigned online_settle_s; /* online.settle_s; PLAN_ONLINE_SETTLE_S_DEFAULT when not set */
    char online_settle_s_text[12]; /* its decimal text, the value of {online.settle_s} */
    plan_rehearsal_t rehearsal;
    plan_timeout_t *timeouts;
    size_t timeout_count;
    const yaml_doc_node_t *timeouts_node;
} plan_t;

/* Parses and checks plan text; path names it in messages. Every problem found
 * is added to diag as "PATH:LINE: message" (unknown and missing keys, bad
 * names, roles, paths, overlaps between old and new, equal databases...).
 * Returns the plan, or NULL when diag got any error. Free with plan_destroy. */
plan_t *plan_parse(const char *path, const char *text, size_t len, plan_diag_t *diag);

/* Like plan_parse, but returns what could be read even when diag got errors
 * (fields that failed are NULL), so later checks can report more problems.
 * NULL only when the text is not a YAML mapping at all. */
plan_t *plan_parse_partial(const char *path, const char *text, size_t len, plan_diag_t *diag);

/* Frees the plan; sets *plan_p to NULL. Tolerates NULL. */
void plan_destroy(plan_t **plan_p);

/* The agent called name, or NULL. */
const plan_agent_t *plan_agent(const plan_t *plan, const char *name);

/* true when the agent has role. */
bool plan_agent_has_role(const plan_agent_t *agent, const char *role);

/* rehearsal: read into plan->rehearsal (keys, names, paths, property names); plan_rehearsal.c. */
void plan_parse_rehearsal(plan_diag_t *diag, const yaml_doc_node_t *root, plan_t *plan);

/* The rehearsal's cross-checks, after the new database's defaults are filled: its database, folder and
 * service apart from the old and new ones, its url naming its database (or derived). */
void plan_check_rehearsal(plan_diag_t *diag, plan_t *plan);

/* Frees what plan_parse_rehearsal read. */
void plan_rehearsal_clear(plan_rehearsal_t *rehearsal);

/* --- Templates: "{name}" in workflow parameters (docs/workflow.md) --------- */

typedef enum plan_template_kind {
    PLAN_TEMPLATE_UNKNOWN = 0,
    PLAN_TEMPLATE_SCALAR,
    PLAN_TEMPLATE_LIST,
    PLAN_TEMPLATE_RUNTIME /* run.id: left in the text for the engine */
} plan_template_kind_t;

#define PLAN_TEMPLATE_RUN_ID "run.id"
#define PLAN_TEMPLATE_AGENT "agent"

/* What kind of value a template name stands for (needs no plan). */
plan_template_kind_t plan_template_kind(const char *name);

/* The value of a scalar template ("" for an optional value the plan leaves
 * empty), or NULL for other names. "agent" is not known here. */
const char *plan_template_scalar(const plan_t *plan, const char *name);

/* true when name stands for an optional plan key that the plan leaves unset and that has no default
 * (new.staging_service, new.solr.staging_service): a workflow step that uses it must be left out by
 * only_if, else the plan lacks a key the workflow needs. */
bool plan_template_unset(const plan_t *plan, const char *name);

/* The list behind a list template, or NULL. */
const str_list_t *plan_template_list(const plan_t *plan, const char *name);

#endif
