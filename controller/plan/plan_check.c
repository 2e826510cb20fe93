/* plan_check.c -- checks of a plan that involve several keys: no new path inside an old one, distinct databases. */
#include "plan_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_value.h"

#define DB_FIRST "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
#define DB_REST DB_FIRST "0123456789"

bool plan_path_refused(plan_diag_t *diag, const yaml_doc_node_t *node, const char *path)
{
    const char *problem = config_path_problem(path);
    if (problem == NULL && strcmp(path, "/") == 0)
        problem = "is the root folder \"/\", which is never allowed";
    if (problem == NULL && strstr(path, "//") != NULL)
        problem = "has an empty component (\"//\")";
    if (problem == NULL && path[strlen(path) - 1] == '/')
        problem = "ends with \"/\"";
    if (problem == NULL)
        return false;
    plan_diag_at(diag, node, "'%s' %s", path, problem);
    return true;
}

bool plan_db_name_ok(const char *name)
{
    size_t len = strlen(name);
    return len >= 1 && len <= PLAN_DB_NAME_MAX && strchr(DB_FIRST, name[0]) != NULL && strspn(name, DB_REST) == len;
}

static bool within(const char *path, const char *root)
{
    size_t len = strlen(root);
    return strncmp(path, root, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

bool plan_paths_overlap(const char *a, const char *b)
{
    return a != NULL && b != NULL && (within(a, b) || within(b, a));
}

const yaml_doc_node_t *plan_node(const plan_t *plan, const char *dotted)
{
    const yaml_doc_node_t *node = yaml_doc_root(plan->doc);
    char key[64];
    while (*dotted != '\0') {
        size_t len = strcspn(dotted, ".");
        snprintf(key, sizeof key, "%.*s", (int)len, dotted);
        const yaml_doc_node_t *next = yaml_doc_get(node, key);
        if (next == NULL)
            return node;
        node = next;
        dotted += len;
        dotted += *dotted == '.';
    }
    return node;
}

typedef struct named_path {
    const char *key;
    const char *path;
} named_path_t;

static const char *relation(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return "is the same as";
    return within(a, b) ? "lies inside" : "contains";
}

static void check_overlaps(plan_diag_t *diag, const plan_t *plan)
{
    const plan_install_t *o = &plan->old_install, *n = &plan->new_install;
    /* the default lies inside new.home, whose own checks cover it */
    bool explicit_scratch = yaml_doc_get(plan_node(plan, "new"), "scratch_dir_root") != NULL;
    named_path_t olds[] = {{"old.home", o->home},
                           {"old.dir_root", o->dir_root},
                           {"old.solr.home", o->solr.home},
                           {"old.solr.data_dir_root", o->solr.data_dir_root}};
    named_path_t news[] = {{"new.home", n->home},
                           {"new.dir_root", n->dir_root},
                           {"new.scratch_dir_root", explicit_scratch ? n->scratch_dir_root : NULL},
                           {"new.solr.home", n->solr.home},
                           {"new.solr.data_dir_root", n->solr.data_dir_root}};
    for (size_t i = 0; i < sizeof news / sizeof news[0]; i++)
        for (size_t k = 0; k < sizeof olds / sizeof olds[0]; k++)
            if (plan_paths_overlap(news[i].path, olds[k].path))
                plan_diag_at(diag, plan_node(plan, news[i].key),
                             "%s %s %s %s: the new installation must not "
                             "touch the old one",
                             news[i].path, relation(news[i].path, olds[k].path), olds[k].key, olds[k].path);
    for (size_t k = 0; k < sizeof olds / sizeof olds[0]; k++)
        if (plan_paths_overlap(plan->backup_dir, olds[k].path))
            plan_diag_at(diag, plan_node(plan, "backup_dir"), "%s %s %s %s", plan->backup_dir,
                         relation(plan->backup_dir, olds[k].path), olds[k].key, olds[k].path);
    for (size_t k = 0; k < sizeof news / sizeof news[0]; k++)
        if (plan_paths_overlap(plan->backup_dir, news[k].path))
            plan_diag_at(diag, plan_node(plan, "backup_dir"), "%s %s %s %s", plan->backup_dir,
                         relation(plan->backup_dir, news[k].path), news[k].key, news[k].path);
    if (plan_paths_overlap(n->scratch_dir_root, n->dir_root))
        plan_diag_at(diag,
                     plan_node(plan, yaml_doc_get(plan_node(plan, "new"), "scratch_dir_root") ? "new.scratch_dir_root"
                                                                                              : "new.dir_root"),
                     "new.scratch_dir_root %s overlaps new.dir_root %s: validation needs an empty repository",
                     n->scratch_dir_root, n->dir_root);
    if (n->distribution && n->home && within(n->distribution, n->home))
        plan_diag_at(diag, plan_node(plan, "new.distribution"),
                     "%s lies inside new.home %s, which it is "
                     "unpacked into",
                     n->distribution, n->home);
    if (n->solr.distribution && n->solr.home && within(n->solr.distribution, n->solr.home))
        plan_diag_at(diag, plan_node(plan, "new.solr.distribution"),
                     "%s lies inside new.solr.home %s, which "
                     "it is unpacked into",
                     n->solr.distribution, n->solr.home);
}

/* The database a JDBC url names: where it starts and how long it is. */
static bool jdbc_database(const char *url, size_t *start, size_t *len)
{
    size_t prefix = strlen(PLAN_JDBC_PREFIX);
    if (strncmp(url, PLAN_JDBC_PREFIX, prefix) != 0 || strcspn(url, " \t\r\n") != strlen(url))
        return false;
    const char *db = url + prefix;
    if (strncmp(db, "//", 2) == 0) {
        db = strchr(db + 2, '/');
        if (db == NULL || db == url + prefix + 2)
            return false;
        db++;
    }
    *start = (size_t)(db - url);
    *len = strcspn(db, "?");
    return *len > 0;
}

char *plan_jdbc_url_for(const char *url, const char *database)
{
    size_t start = 0, len = 0;
    if (url == NULL || database == NULL || !jdbc_database(url, &start, &len))
        return NULL;
    size_t size = strlen(url) - len + strlen(database) + 1;
    char *out = malloc(size);
    if (out != NULL)
        snprintf(out, size, "%.*s%s%s", (int)start, url, database, url + start + len);
    return out;
}

bool plan_jdbc_names(const char *url, const char *database)
{
    size_t start = 0, len = 0;
    return url != NULL && database != NULL && jdbc_database(url, &start, &len) && len == strlen(database) &&
           strncmp(url + start, database, len) == 0;
}

static void check_db_url(plan_diag_t *diag, plan_t *plan)
{
    plan_install_t *n = &plan->new_install;
    size_t start = 0, len = 0;
    const yaml_doc_node_t *at = plan_node(plan, "new.db_url");
    if (!jdbc_database(n->db_url, &start, &len)) {
        plan_diag_at(diag, at, "'%s' is not a jdbc:postgresql://HOST[:PORT]/DATABASE url", n->db_url);
        return;
    }
    if (len != strlen(n->database) || strncmp(n->db_url + start, n->database, len) != 0) {
        plan_diag_at(diag, at, "names database '%.*s', not new.database '%s'", (int)len, n->db_url + start,
                     n->database);
        return;
    }
    size_t size = strlen(n->db_url) - len + strlen(n->scratch_database) + 1;
    n->scratch_db_url = malloc(size);
    if (n->scratch_db_url != NULL)
        snprintf(n->scratch_db_url, size, "%.*s%s%s", (int)start, n->db_url, n->scratch_database,
                 n->db_url + start + len);
}

static bool same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void check_databases(plan_diag_t *diag, plan_t *plan)
{
    plan_install_t *o = &plan->old_install, *n = &plan->new_install;
    if (same(n->database, o->database))
        plan_diag_at(diag, plan_node(plan, "new.database"),
                     "'%s' is the old database: the upgrade works on a restored copy", n->database);
    if (n->scratch_database == NULL && n->database != NULL) {
        size_t size = strlen(n->database) + sizeof PLAN_SCRATCH_DB_SUFFIX;
        n->scratch_database = malloc(size);
        if (n->scratch_database != NULL)
            snprintf(n->scratch_database, size, "%s%s", n->database, PLAN_SCRATCH_DB_SUFFIX);
        if (n->scratch_database != NULL && !plan_db_name_ok(n->scratch_database))
            plan_diag_at(diag, plan_node(plan, "new.database"),
                         "too long to derive the scratch database "
                         "'%s': set new.scratch_database",
                         n->scratch_database);
    } else if (same(n->scratch_database, o->database) || same(n->scratch_database, n->database)) {
        plan_diag_at(diag, plan_node(plan, "new.scratch_database"),
                     "'%s' must differ from old.database and new.database", n->scratch_database);
    }
    if (n->scratch_database != NULL && n->database != NULL && n->db_url != NULL)
        check_db_url(diag, plan);
    if (same(n->service, o->service))
        plan_diag_at(diag, plan_node(plan, "new.service"), "'%s' is the old installation's service", n->service);
    if (same(n->solr.service, o->solr.service))
        plan_diag_at(diag, plan_node(plan, "new.solr.service"), "'%s' is the old Solr's service", n->solr.service);
}

/* The staging services (optional) are services of their own: not the new or old production service. */
static void check_staging(plan_diag_t *diag, const plan_t *plan)
{
    const plan_install_t *o = &plan->old_install, *n = &plan->new_install;
    const char *repo_taken[] = {n->service, o->service, n->solr.service, o->solr.service};
    const char *solr_taken[] = {n->solr.service, o->solr.service, n->service, o->service};
    const char *what[] = {"new.service", "old.service", "new.solr.service", "old.solr.service"};
    const char *what_solr[] = {"new.solr.service", "old.solr.service", "new.service", "old.service"};
    for (size_t i = 0; i < sizeof repo_taken / sizeof repo_taken[0]; i++) {
        if (same(n->staging_service, repo_taken[i]))
            plan_diag_at(diag, plan_node(plan, "new.staging_service"),
                         "'%s' is %s: the staging service must be a service of its own", n->staging_service, what[i]);
        if (same(n->solr.staging_service, solr_taken[i]))
            plan_diag_at(diag, plan_node(plan, "new.solr.staging_service"),
                         "'%s' is %s: the staging service must be a service of its own", n->solr.staging_service,
                         what_solr[i]);
    }
    if (same(n->staging_service, n->solr.staging_service))
        plan_diag_at(diag, plan_node(plan, "new.solr.staging_service"), "'%s' is new.staging_service",
                     n->solr.staging_service);
}

static void check_db_role(plan_diag_t *diag, const plan_t *plan)
{
    const char *first = NULL;
    for (size_t i = 0; i < plan->agent_count; i++) {
        if (!plan_agent_has_role(&plan->agents[i], "db"))
            continue;
        if (first != NULL)
            plan_diag_at(diag, plan->agents[i].node,
                         "role 'db' is already given to %s: one agent holds the "
                         "database",
                         first);
        else
            first = plan->agents[i].name;
    }
}

void plan_check_all(plan_diag_t *diag, plan_t *plan)
{
    plan_install_t *n = &plan->new_install;
    if (n->scratch_dir_root == NULL && n->home != NULL) {
        size_t size = strlen(n->home) + sizeof PLAN_SCRATCH_DIR_ROOT_NAME + 1;
        n->scratch_dir_root = malloc(size);
        if (n->scratch_dir_root == NULL && n->home != NULL) {
            plan_diag_addf(diag, "%s: out of memory", plan->path);
            return;
        }
        snprintf(n->scratch_dir_root, size, "%s/%s", n->home, PLAN_SCRATCH_DIR_ROOT_NAME);
    }
    check_overlaps(diag, plan);
    check_databases(diag, plan);
    check_staging(diag, plan);
    check_db_role(diag, plan);
    plan_check_rehearsal(diag, plan);
}
