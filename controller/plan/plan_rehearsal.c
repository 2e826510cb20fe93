/* plan_rehearsal.c -- the plan's rehearsal: section: reading it and keeping it apart from the old and new systems. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_value.h"
#include "plan.h"
#include "plan_check.h"

#define PROPERTY_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define PROPERTY_NAME_MAX 200
#define PROPERTY_VALUE_MAX 1024

static const char *const REHEARSAL_KEYS[] = {"service", "database", "dir_root", "url", "properties", NULL};
/* Set by alfup itself for every rehearsal (docs/workflow.md): the plan may not change them. */
static const char *const RESERVED[] = {"dir.root", "db.url", "alfresco.cluster.enabled", "index.subsystem.name",
                                       NULL};

static bool reserved(const char *key)
{
    for (size_t i = 0; RESERVED[i] != NULL; i++)
        if (strcmp(RESERVED[i], key) == 0)
            return true;
    return false;
}

static void parse_properties(plan_diag_t *diag, const yaml_doc_node_t *map, plan_rehearsal_t *r)
{
    const yaml_doc_node_t *props = plan_get_map(diag, map, "properties", false);
    for (size_t i = 0; props != NULL && i < yaml_doc_count(props); i++) {
        const char *key = yaml_doc_key(props, i);
        const yaml_doc_node_t *at = yaml_doc_value(props, i);
        const char *value = yaml_doc_scalar(at);
        size_t len = strlen(key);
        if (len == 0 || len > PROPERTY_NAME_MAX || strspn(key, PROPERTY_NAME_CHARS) != len)
            plan_diag_at(diag, at, "'%s' is not a property name ([A-Za-z0-9._-], at most %d)", key, PROPERTY_NAME_MAX);
        else if (reserved(key))
            plan_diag_at(diag, at, "%s is set by the rehearsal itself and cannot be changed here", key);
        else if (value == NULL || strlen(value) > PROPERTY_VALUE_MAX || strpbrk(value, "\r\n") != NULL)
            plan_diag_at(diag, at, "the value of %s must be one line of at most %d characters", key,
                         PROPERTY_VALUE_MAX);
        else if (str_list_addf(&r->properties, "%s=%s", key, value) != 0)
            plan_diag_addf(diag, "out of memory");
    }
}

void plan_parse_rehearsal(plan_diag_t *diag, const yaml_doc_node_t *root, plan_t *plan)
{
    plan_rehearsal_t *r = &plan->rehearsal;
    const yaml_doc_node_t *map = plan_get_map(diag, root, "rehearsal", false);
    if (map == NULL)
        return;
    r->present = true;
    plan_check_keys(diag, map, REHEARSAL_KEYS);
    r->service = plan_get_text(diag, map, "service", true);
    if (r->service != NULL && !config_name_ok(r->service))
        plan_diag_at(diag, yaml_doc_get(map, "service"), "'%s' is not a name ([A-Za-z0-9][A-Za-z0-9._-])",
                     r->service);
    r->database = plan_get_text(diag, map, "database", true);
    if (r->database != NULL && !plan_db_name_ok(r->database))
        plan_diag_at(diag, yaml_doc_get(map, "database"), "'%s' is not a database name ([A-Za-z_][A-Za-z0-9_], at"
                     " most 63)", r->database);
    r->dir_root = plan_get_text(diag, map, "dir_root", true);
    if (r->dir_root != NULL && plan_path_refused(diag, yaml_doc_get(map, "dir_root"), r->dir_root)) {
        free(r->dir_root);
        r->dir_root = NULL;
    }
    r->url = plan_get_text(diag, map, "url", false);
    parse_properties(diag, map, r);
}

static bool same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static bool within(const char *path, const char *root)
{
    size_t len = strlen(root);
    return strncmp(path, root, len) == 0 && path[len] == '/';
}

static void check_folder(plan_diag_t *diag, const plan_t *plan)
{
    const plan_install_t *o = &plan->old_install, *n = &plan->new_install;
    const char *dir_root = plan->rehearsal.dir_root;
    struct {
        const char *key, *path;
    } taken[] = {{"old.home", o->home},           {"old.dir_root", o->dir_root},
                 {"old.solr.home", o->solr.home}, {"old.solr.data_dir_root", o->solr.data_dir_root},
                 {"new.home", n->home},           {"new.dir_root", n->dir_root},
                 {"new.scratch_dir_root", n->scratch_dir_root},
                 {"new.solr.home", n->solr.home}, {"new.solr.data_dir_root", n->solr.data_dir_root},
                 {"backup_dir", plan->backup_dir}};
    for (size_t i = 0; dir_root != NULL && i < sizeof taken / sizeof taken[0]; i++) {
        /* inside the new home is allowed (as the scratch dir.root is): it is its own folder there */
        if (strcmp(taken[i].key, "new.home") == 0 && taken[i].path != NULL && within(dir_root, taken[i].path))
            continue;
        if (plan_paths_overlap(dir_root, taken[i].path))
            plan_diag_at(diag, plan_node(plan, "rehearsal.dir_root"),
                         "%s overlaps %s %s: the rehearsal has a folder of its own", dir_root, taken[i].key,
                         taken[i].path);
    }
}

static void check_names(plan_diag_t *diag, const plan_t *plan)
{
    const plan_install_t *o = &plan->old_install, *n = &plan->new_install;
    const plan_rehearsal_t *r = &plan->rehearsal;
    const char *databases[] = {o->database, n->database, n->scratch_database};
    const char *db_keys[] = {"old.database", "new.database", "new.scratch_database"};
    for (size_t i = 0; i < sizeof databases / sizeof databases[0]; i++)
        if (same(r->database, databases[i]))
            plan_diag_at(diag, plan_node(plan, "rehearsal.database"),
                         "'%s' is %s: the rehearsal upgrades a copy of its own", r->database, db_keys[i]);
    const char *services[] = {o->service, n->service, n->staging_service, o->solr.service, n->solr.service,
                              n->solr.staging_service};
    const char *service_keys[] = {"old.service", "new.service", "new.staging_service", "old.solr.service",
                                  "new.solr.service", "new.solr.staging_service"};
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (same(r->service, services[i]))
            plan_diag_at(diag, plan_node(plan, "rehearsal.service"),
                         "'%s' is %s: the rehearsal runs as a service of its own (its own ports)", r->service,
                         service_keys[i]);
}

static void check_url(plan_diag_t *diag, plan_t *plan)
{
    plan_rehearsal_t *r = &plan->rehearsal;
    if (r->database == NULL)
        return;
    if (r->url == NULL) {
        r->url = plan_jdbc_url_for(plan->new_install.db_url, r->database);
        if (r->url == NULL && plan->new_install.db_url != NULL)
            plan_diag_at(diag, plan_node(plan, "rehearsal"), "cannot derive rehearsal.url from new.db_url: set it");
    } else if (!plan_jdbc_names(r->url, r->database)) {
        plan_diag_at(diag, plan_node(plan, "rehearsal.url"), "'%s' does not name rehearsal.database '%s'", r->url,
                     r->database);
    }
}

void plan_check_rehearsal(plan_diag_t *diag, plan_t *plan)
{
    if (!plan->rehearsal.present)
        return;
    check_folder(diag, plan);
    check_names(diag, plan);
    check_url(diag, plan);
}

void plan_rehearsal_clear(plan_rehearsal_t *rehearsal)
{
    free(rehearsal->service);
    free(rehearsal->database);
    free(rehearsal->dir_root);
    free(rehearsal->url);
    str_list_clear(&rehearsal->properties);
    memset(rehearsal, 0, sizeof *rehearsal);
}
