/* plan_template.c -- the "{name}" values a workflow's parameters may use, read from a plan. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "plan_check.h"

typedef enum template_id {
    T_DEPLOYMENT,
    T_BACKUP_DIR,
    T_JOBS,
    T_ONLINE_MAX_MB_PER_S,
    T_ONLINE_SETTLE_S,
    T_OLD_HOME,
    T_OLD_SERVICE,
    T_OLD_DIR_ROOT,
    T_OLD_DATABASE,
    T_OLD_SEPARATE_DIR_ROOT,
    T_OLD_SOLR_HOME,
    T_OLD_SOLR_SERVICE,
    T_OLD_SOLR_DATA,
    T_OLD_SOLR_SEPARATE_DATA,
    T_NEW_HOME,
    T_NEW_SERVICE,
    T_NEW_DIR_ROOT,
    T_NEW_DATABASE,
    T_NEW_DISTRIBUTION,
    T_NEW_DB_USER,
    T_NEW_DB_URL,
    T_NEW_SCRATCH_DATABASE,
    T_NEW_SCRATCH_DB_URL,
    T_NEW_SCRATCH_DIR_ROOT,
    T_NEW_STAGING_SERVICE,
    T_NEW_DB_SERVER,
    T_NEW_SOLR_HOME,
    T_NEW_SOLR_SERVICE,
    T_NEW_SOLR_DATA,
    T_NEW_SOLR_DISTRIBUTION,
    T_NEW_SOLR_STAGING_SERVICE,
    T_REHEARSAL_SERVICE,
    T_REHEARSAL_DATABASE,
    T_REHEARSAL_DIR_ROOT,
    T_REHEARSAL_URL,
    T_AMPS,
    T_REMOVE_APPS,
    T_REHEARSAL_PROPERTIES,
    T_RUN_ID,
    T_AGENT
} template_id_t;

typedef struct template_name {
    const char *name;
    template_id_t id;
    plan_template_kind_t kind;
} template_name_t;

static const template_name_t TEMPLATES[] = {
    {"deployment", T_DEPLOYMENT, PLAN_TEMPLATE_SCALAR},
    {"backup_dir", T_BACKUP_DIR, PLAN_TEMPLATE_SCALAR},
    {"jobs", T_JOBS, PLAN_TEMPLATE_SCALAR},
    {"online.max_mb_per_s", T_ONLINE_MAX_MB_PER_S, PLAN_TEMPLATE_SCALAR},
    {"online.settle_s", T_ONLINE_SETTLE_S, PLAN_TEMPLATE_SCALAR},
    {"old.home", T_OLD_HOME, PLAN_TEMPLATE_SCALAR},
    {"old.service", T_OLD_SERVICE, PLAN_TEMPLATE_SCALAR},
    {"old.dir_root", T_OLD_DIR_ROOT, PLAN_TEMPLATE_SCALAR},
    {"old.database", T_OLD_DATABASE, PLAN_TEMPLATE_SCALAR},
    {"old.separate_dir_root", T_OLD_SEPARATE_DIR_ROOT, PLAN_TEMPLATE_SCALAR},
    {"old.solr.home", T_OLD_SOLR_HOME, PLAN_TEMPLATE_SCALAR},
    {"old.solr.service", T_OLD_SOLR_SERVICE, PLAN_TEMPLATE_SCALAR},
    {"old.solr.data_dir_root", T_OLD_SOLR_DATA, PLAN_TEMPLATE_SCALAR},
    {"old.solr.separate_data_dir_root", T_OLD_SOLR_SEPARATE_DATA, PLAN_TEMPLATE_SCALAR},
    {"new.home", T_NEW_HOME, PLAN_TEMPLATE_SCALAR},
    {"new.service", T_NEW_SERVICE, PLAN_TEMPLATE_SCALAR},
    {"new.dir_root", T_NEW_DIR_ROOT, PLAN_TEMPLATE_SCALAR},
    {"new.database", T_NEW_DATABASE, PLAN_TEMPLATE_SCALAR},
    {"new.distribution", T_NEW_DISTRIBUTION, PLAN_TEMPLATE_SCALAR},
    {"new.db_user", T_NEW_DB_USER, PLAN_TEMPLATE_SCALAR},
    {"new.db_url", T_NEW_DB_URL, PLAN_TEMPLATE_SCALAR},
    {"new.scratch_database", T_NEW_SCRATCH_DATABASE, PLAN_TEMPLATE_SCALAR},
    {"new.scratch_db_url", T_NEW_SCRATCH_DB_URL, PLAN_TEMPLATE_SCALAR},
    {"new.scratch_dir_root", T_NEW_SCRATCH_DIR_ROOT, PLAN_TEMPLATE_SCALAR},
    {"new.staging_service", T_NEW_STAGING_SERVICE, PLAN_TEMPLATE_SCALAR},
    {"new.db_server", T_NEW_DB_SERVER, PLAN_TEMPLATE_SCALAR},
    {"new.solr.home", T_NEW_SOLR_HOME, PLAN_TEMPLATE_SCALAR},
    {"new.solr.service", T_NEW_SOLR_SERVICE, PLAN_TEMPLATE_SCALAR},
    {"new.solr.data_dir_root", T_NEW_SOLR_DATA, PLAN_TEMPLATE_SCALAR},
    {"new.solr.distribution", T_NEW_SOLR_DISTRIBUTION, PLAN_TEMPLATE_SCALAR},
    {"new.solr.staging_service", T_NEW_SOLR_STAGING_SERVICE, PLAN_TEMPLATE_SCALAR},
    {"rehearsal.service", T_REHEARSAL_SERVICE, PLAN_TEMPLATE_SCALAR},
    {"rehearsal.database", T_REHEARSAL_DATABASE, PLAN_TEMPLATE_SCALAR},
    {"rehearsal.dir_root", T_REHEARSAL_DIR_ROOT, PLAN_TEMPLATE_SCALAR},
    {"rehearsal.url", T_REHEARSAL_URL, PLAN_TEMPLATE_SCALAR},
    {"rehearsal.properties", T_REHEARSAL_PROPERTIES, PLAN_TEMPLATE_LIST},
    {"customizations.amps", T_AMPS, PLAN_TEMPLATE_LIST},
    {"customizations.remove_apps", T_REMOVE_APPS, PLAN_TEMPLATE_LIST},
    {PLAN_TEMPLATE_RUN_ID, T_RUN_ID, PLAN_TEMPLATE_RUNTIME},
    {PLAN_TEMPLATE_AGENT, T_AGENT, PLAN_TEMPLATE_SCALAR},
};

static const template_name_t *find(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof TEMPLATES / sizeof TEMPLATES[0]; i++)
        if (strcmp(TEMPLATES[i].name, name) == 0)
            return &TEMPLATES[i];
    return NULL;
}

plan_template_kind_t plan_template_kind(const char *name)
{
    const template_name_t *t = find(name);
    return t ? t->kind : PLAN_TEMPLATE_UNKNOWN;
}

/* path when it is not inside home, else "" (nothing separate to remove). */
static const char *separate(const char *path, const char *home)
{
    return plan_paths_overlap(path, home) ? "" : path;
}

static const char *install_value(const plan_t *plan, template_id_t id)
{
    const plan_install_t *o = &plan->old_install, *n = &plan->new_install;
    switch (id) {
    case T_OLD_HOME: return o->home;
    case T_OLD_SERVICE: return o->service;
    case T_OLD_DIR_ROOT: return o->dir_root;
    case T_OLD_DATABASE: return o->database;
    case T_OLD_SEPARATE_DIR_ROOT: return separate(o->dir_root, o->home);
    case T_OLD_SOLR_HOME: return o->solr.home;
    case T_OLD_SOLR_SERVICE: return o->solr.service;
    case T_OLD_SOLR_DATA: return o->solr.data_dir_root;
    case T_OLD_SOLR_SEPARATE_DATA: return separate(o->solr.data_dir_root, o->solr.home);
    case T_NEW_HOME: return n->home;
    case T_NEW_SERVICE: return n->service;
    case T_NEW_DIR_ROOT: return n->dir_root;
    case T_NEW_DATABASE: return n->database;
    case T_NEW_DISTRIBUTION: return n->distribution;
    case T_NEW_DB_USER: return n->db_user;
    case T_NEW_DB_URL: return n->db_url;
    case T_NEW_SCRATCH_DATABASE: return n->scratch_database;
    case T_NEW_SCRATCH_DB_URL: return n->scratch_db_url;
    case T_NEW_SCRATCH_DIR_ROOT: return n->scratch_dir_root;
    case T_NEW_STAGING_SERVICE: return n->staging_service ? n->staging_service : "";
    case T_NEW_DB_SERVER: return n->db_server ? n->db_server : "";
    case T_NEW_SOLR_HOME: return n->solr.home;
    case T_NEW_SOLR_SERVICE: return n->solr.service;
    case T_NEW_SOLR_DATA: return n->solr.data_dir_root;
    case T_NEW_SOLR_DISTRIBUTION: return n->solr.distribution;
    case T_NEW_SOLR_STAGING_SERVICE: return n->solr.staging_service ? n->solr.staging_service : "";
    default: return NULL;
    }
}

const char *plan_template_scalar(const plan_t *plan, const char *name)
{
    static const char *const JOBS[] = {"0", "1",  "2",  "3",  "4",  "5",  "6",  "7", "8",
                                       "9", "10", "11", "12", "13", "14", "15", "16"};
    const template_name_t *t = find(name);
    if (t == NULL || t->kind != PLAN_TEMPLATE_SCALAR)
        return NULL;
    switch (t->id) {
    case T_DEPLOYMENT: return plan->deployment;
    case T_BACKUP_DIR: return plan->backup_dir;
    case T_JOBS: return plan->jobs <= PLAN_JOBS_MAX ? JOBS[plan->jobs] : NULL;
    case T_ONLINE_MAX_MB_PER_S: return plan->online_max_mb_per_s_text;
    case T_ONLINE_SETTLE_S: return plan->online_settle_s_text;
    case T_AGENT: return NULL;
    case T_REHEARSAL_SERVICE: return plan->rehearsal.service ? plan->rehearsal.service : "";
    case T_REHEARSAL_DATABASE: return plan->rehearsal.database ? plan->rehearsal.database : "";
    case T_REHEARSAL_DIR_ROOT: return plan->rehearsal.dir_root ? plan->rehearsal.dir_root : "";
    case T_REHEARSAL_URL: return plan->rehearsal.url ? plan->rehearsal.url : "";
    default: return install_value(plan, t->id);
    }
}

bool plan_template_unset(const plan_t *plan, const char *name)
{
    const template_name_t *t = find(name);
    if (t == NULL)
        return false;
    if (t->id == T_NEW_STAGING_SERVICE)
        return plan->new_install.staging_service == NULL;
    if (t->id == T_NEW_SOLR_STAGING_SERVICE)
        return plan->new_install.solr.staging_service == NULL;
    if (t->id == T_REHEARSAL_SERVICE || t->id == T_REHEARSAL_DATABASE || t->id == T_REHEARSAL_DIR_ROOT ||
        t->id == T_REHEARSAL_URL)
        return !plan->rehearsal.present;
    return false;
}

const str_list_t *plan_template_list(const plan_t *plan, const char *name)
{
    const template_name_t *t = find(name);
    if (t == NULL || t->kind != PLAN_TEMPLATE_LIST)
        return NULL;
    if (t->id == T_REHEARSAL_PROPERTIES)
        return &plan->rehearsal.properties;
    return t->id == T_AMPS ? &plan->amps : &plan->remove_apps;
}
