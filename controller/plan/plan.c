/* plan.c -- reading a plan file into plan_t: keys, types, names and paths (cross-checks: plan_check.c). */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_value.h"
#include "plan_check.h"
#include "workflow_kinds.h"

static const char *const ROOT_KEYS[] = {"deployment", "workflow",   "agents", "old",      "new", "customizations",
                                        "approve",    "backup_dir", "jobs",   "timeouts", "online", "rehearsal",
                                        NULL};
static const char *const OLD_KEYS[] = {"home", "service", "dir_root", "database", "solr", NULL};
static const char *const NEW_KEYS[] = {"home",    "service", "dir_root",         "database",         "distribution",
                                       "db_user", "db_url",  "scratch_database", "scratch_dir_root", "solr",
                                       "staging_service", "db_server", NULL};
static const char *const OLD_SOLR_KEYS[] = {"home", "service", "data_dir_root", NULL};
static const char *const NEW_SOLR_KEYS[] = {"home", "service", "data_dir_root", "distribution", "staging_service",
                                            NULL};
static const char *const ONLINE_KEYS[] = {"max_mb_per_s", "settle_s", NULL};
static const char *const CUSTOM_KEYS[] = {"amps", "remove_apps", NULL};
static const char *const ROLES[] = {"repo", "db", "solr", NULL};

static bool in_list(const char *const *list, const char *text)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(list[i], text) == 0)
            return true;
    return false;
}

/* Every key of map not in known is an error (all of them, not only the first). */
void plan_check_keys(plan_diag_t *diag, const yaml_doc_node_t *map, const char *const *known)
{
    char names[256];
    size_t used = 0;
    names[0] = '\0';
    for (size_t i = 0; known[i] != NULL && used < sizeof names; i++) {
        int n = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", known[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    for (size_t i = 0; i < yaml_doc_count(map); i++)
        if (!in_list(known, yaml_doc_key(map, i)))
            plan_diag_at(diag, yaml_doc_value(map, i), "unknown key (known: %s)", names);
}

/* A mapping under key (required or not); NULL when absent or wrong (error added). */
const yaml_doc_node_t *plan_get_map(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key, bool required)
{
    const yaml_doc_node_t *out = NULL;
    alfup_err_t err;
    int rc = yaml_doc_get_node(map, key, required ? YAML_DOC_REQUIRED : 0, YAML_DOC_MAPPING, &out, &err);
    if (rc == ALFUP_ERR)
        plan_diag_add_err(diag, &err);
    return rc == 0 ? out : NULL;
}

char *plan_get_text(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key, bool required)
{
    char *out = NULL;
    alfup_err_t err;
    if (map != NULL && yaml_doc_get_string(map, key, required ? YAML_DOC_REQUIRED : 0, &out, &err) == ALFUP_ERR)
        plan_diag_add_err(diag, &err);
    if (out != NULL && out[0] == '\0') {
        plan_diag_at(diag, yaml_doc_get(map, key), "must not be empty");
        free(out);
        out = NULL;
    }
    return out;
}

static char *get_name_opt(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key, bool required)
{
    char *out = plan_get_text(diag, map, key, required);
    if (out != NULL && !config_name_ok(out)) {
        plan_diag_at(diag, yaml_doc_get(map, key), "'%s' is not a name ([A-Za-z0-9][A-Za-z0-9._-], at most %d)", out,
                     CONFIG_NAME_MAX);
        free(out);
        out = NULL;
    }
    return out;
}

static char *get_name(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key)
{
    return get_name_opt(diag, map, key, true);
}

static char *get_path(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key, bool required)
{
    char *out = plan_get_text(diag, map, key, required);
    if (out != NULL && plan_path_refused(diag, yaml_doc_get(map, key), out)) {
        free(out);
        out = NULL;
    }
    return out;
}

static char *get_database(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key, bool required)
{
    char *out = plan_get_text(diag, map, key, required);
    if (out != NULL && !plan_db_name_ok(out)) {
        plan_diag_at(diag, yaml_doc_get(map, key), "'%s' is not a database name ([A-Za-z_][A-Za-z0-9_], at most 63)",
                     out);
        free(out);
        out = NULL;
    }
    return out;
}

static void parse_solr(plan_diag_t *diag, const yaml_doc_node_t *parent, plan_solr_t *solr, bool is_new)
{
    const yaml_doc_node_t *map = plan_get_map(diag, parent, "solr", true);
    if (map == NULL)
        return;
    plan_check_keys(diag, map, is_new ? NEW_SOLR_KEYS : OLD_SOLR_KEYS);
    solr->home = get_path(diag, map, "home", true);
    solr->service = get_name(diag, map, "service");
    solr->data_dir_root = get_path(diag, map, "data_dir_root", true);
    if (is_new) {
        solr->distribution = get_path(diag, map, "distribution", true);
        solr->staging_service = get_name_opt(diag, map, "staging_service", false);
    }
}

static void parse_install(plan_diag_t *diag, const yaml_doc_node_t *root, const char *key, plan_install_t *inst)
{
    bool is_new = strcmp(key, "new") == 0;
    const yaml_doc_node_t *map = plan_get_map(diag, root, key, true);
    if (map == NULL)
        return;
    plan_check_keys(diag, map, is_new ? NEW_KEYS : OLD_KEYS);
    inst->home = get_path(diag, map, "home", true);
    inst->service = get_name(diag, map, "service");
    inst->dir_root = get_path(diag, map, "dir_root", true);
    inst->database = get_database(diag, map, "database", true);
    if (is_new) {
        inst->distribution = get_path(diag, map, "distribution", true);
        inst->db_user = get_database(diag, map, "db_user", true);
        inst->db_url = plan_get_text(diag, map, "db_url", true);
        inst->scratch_database = get_database(diag, map, "scratch_database", false);
        inst->scratch_dir_root = get_path(diag, map, "scratch_dir_root", false);
        inst->staging_service = get_name_opt(diag, map, "staging_service", false);
        inst->db_server = get_name_opt(diag, map, "db_server", false);
    }
    parse_solr(diag, map, &inst->solr, is_new);
}

static void parse_roles(plan_diag_t *diag, const yaml_doc_node_t *value, plan_agent_t *agent)
{
    alfup_err_t err;
    if (yaml_doc_to_string_list(value, YAML_DOC_SCALAR_OK | YAML_DOC_NON_EMPTY, &agent->roles, &err) != 0) {
        plan_diag_add_err(diag, &err);
        return;
    }
    for (size_t r = 0; r < agent->roles.count; r++) {
        const char *role = agent->roles.items[r];
        const yaml_doc_node_t *at = yaml_doc_kind(value) == YAML_DOC_SEQUENCE ? yaml_doc_item(value, r) : value;
        if (!in_list(ROLES, role))
            plan_diag_at(diag, at, "unknown role '%s' (roles: repo, db, solr)", role);
        for (size_t k = 0; k < r; k++)
            if (strcmp(agent->roles.items[k], role) == 0)
                plan_diag_at(diag, at, "role '%s' given twice", role);
    }
}

static void parse_agents(plan_diag_t *diag, const yaml_doc_node_t *root, plan_t *plan)
{
    const yaml_doc_node_t *map = plan_get_map(diag, root, "agents", true);
    plan->agents_node = map;
    size_t count = map ? yaml_doc_count(map) : 0;
    if (map != NULL && count == 0)
        plan_diag_at(diag, map, "no agents");
    plan->agents = count ? calloc(count, sizeof *plan->agents) : NULL;
    if (count && plan->agents == NULL) {
        plan_diag_addf(diag, "%s: out of memory", plan->path);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        plan_agent_t *agent = &plan->agents[plan->agent_count++];
        agent->node = yaml_doc_value(map, i);
        agent->name = strdup(yaml_doc_key(map, i));
        if (agent->name == NULL)
            continue;
        if (!config_name_ok(agent->name) || strlen(agent->name) > PLAN_AGENT_NAME_MAX)
            plan_diag_at(diag, agent->node,
                         "'%s' is not an agent name ([A-Za-z0-9][A-Za-z0-9._-], at most %d characters)", agent->name,
                         PLAN_AGENT_NAME_MAX);
        parse_roles(diag, agent->node, agent);
    }
}

static void parse_name_list(plan_diag_t *diag, const yaml_doc_node_t *map, const char *key, str_list_t *out)
{
    alfup_err_t err;
    if (map != NULL && yaml_doc_get_string_list(map, key, 0, out, &err) == ALFUP_ERR)
        plan_diag_add_err(diag, &err);
}

static void parse_customizations(plan_diag_t *diag, const yaml_doc_node_t *root, plan_t *plan)
{
    const yaml_doc_node_t *map = plan_get_map(diag, root, "customizations", false);
    if (map == NULL)
        return;
    plan_check_keys(diag, map, CUSTOM_KEYS);
    parse_name_list(diag, map, "amps", &plan->amps);
    parse_name_list(diag, map, "remove_apps", &plan->remove_apps);
    const yaml_doc_node_t *amps = yaml_doc_get(map, "amps");
    for (size_t i = 0; i < plan->amps.count; i++) {
        const yaml_doc_node_t *at = yaml_doc_item(amps, i) ? yaml_doc_item(amps, i) : amps;
        const char *amp = plan->amps.items[i];
        size_t len = strlen(amp);
        if (!plan_path_refused(diag, at, amp) && (len < 5 || strcmp(amp + len - 4, ".amp") != 0))
            plan_diag_at(diag, at, "'%s' is not an .amp file", amp);
    }
    const yaml_doc_node_t *apps = yaml_doc_get(map, "remove_apps");
    for (size_t i = 0; i < plan->remove_apps.count; i++) {
        const char *app = plan->remove_apps.items[i];
        if (strspn(app, PLAN_APP_CHARS) != strlen(app) || app[0] == '\0' || strcmp(app, ".") == 0 ||
            strcmp(app, "..") == 0)
            plan_diag_at(diag, yaml_doc_item(apps, i) ? yaml_doc_item(apps, i) : apps,
                         "'%s' is not a web application name ([A-Za-z0-9_.-])", app);
    }
}

static void parse_timeouts(plan_diag_t *diag, const yaml_doc_node_t *root, plan_t *plan)
{
    const yaml_doc_node_t *map = plan_get_map(diag, root, "timeouts", false);
    plan->timeouts_node = map;
    size_t count = map ? yaml_doc_count(map) : 0;
    plan->timeouts = count ? calloc(count, sizeof *plan->timeouts) : NULL;
    for (size_t i = 0; plan->timeouts != NULL && i < count; i++) {
        const char *kind = yaml_doc_key(map, i);
        unsigned seconds = 0;
        alfup_err_t err;
        if (workflow_kind_find(kind) == NULL) {
            char names[1024];
            workflow_kind_names(names, sizeof names);
            plan_diag_at(diag, yaml_doc_value(map, i), "unknown step kind (known: %s)", names);
        } else if (yaml_doc_to_uint(yaml_doc_value(map, i), 1, PLAN_TIMEOUT_MAX_S, &seconds, &err) != 0) {
            plan_diag_add_err(diag, &err);
        } else if ((plan->timeouts[plan->timeout_count].kind = strdup(kind)) != NULL) {
            plan->timeouts[plan->timeout_count++].seconds = seconds;
        }
    }
}

/* online: {max_mb_per_s: 1..100000, settle_s: 2..86400}, both optional; {online.max_mb_per_s} is "0" (no cap)
 * and {online.settle_s} "600" (backup-tree's default) without them. */
static void parse_online(plan_diag_t *diag, const yaml_doc_node_t *root, plan_t *plan)
{
    const yaml_doc_node_t *map = plan_get_map(diag, root, "online", false);
    alfup_err_t err;
    plan->online_max_mb_per_s = 0;
    plan->online_settle_s = 0;
    if (map != NULL) {
        plan_check_keys(diag, map, ONLINE_KEYS);
        if (yaml_doc_get_uint(map, "max_mb_per_s", 0, 1, PLAN_ONLINE_MB_PER_S_MAX, &plan->online_max_mb_per_s,
                              &err) == ALFUP_ERR)
            plan_diag_add_err(diag, &err);
        if (yaml_doc_get_uint(map, "settle_s", 0, PLAN_ONLINE_SETTLE_S_MIN, PLAN_ONLINE_SETTLE_S_MAX,
                              &plan->online_settle_s, &err) == ALFUP_ERR)
            plan_diag_add_err(diag, &err);
    }
    if (plan->online_settle_s == 0)
        plan->online_settle_s = PLAN_ONLINE_SETTLE_S_DEFAULT;
    snprintf(plan->online_max_mb_per_s_text, sizeof plan->online_max_mb_per_s_text, "%u",
             plan->online_max_mb_per_s);
    snprintf(plan->online_settle_s_text, sizeof plan->online_settle_s_text, "%u", plan->online_settle_s);
}

static void parse_root(plan_diag_t *diag, const yaml_doc_node_t *root, plan_t *plan)
{
    plan_check_keys(diag, root, ROOT_KEYS);
    plan->deployment = get_name(diag, root, "deployment");
    plan->workflow = get_name(diag, root, "workflow");
    plan->backup_dir = get_path(diag, root, "backup_dir", true);
    parse_agents(diag, root, plan);
    parse_install(diag, root, "old", &plan->old_install);
    parse_install(diag, root, "new", &plan->new_install);
    parse_customizations(diag, root, plan);
    alfup_err_t err;
    if (yaml_doc_get_string_list(root, "approve", YAML_DOC_SCALAR_OK, &plan->approve, &err) == ALFUP_ERR)
        plan_diag_add_err(diag, &err);
    plan->approve_node = yaml_doc_get(root, "approve");
    plan->jobs = PLAN_JOBS_DEFAULT;
    if (yaml_doc_get_uint(root, "jobs", 0, 1, PLAN_JOBS_MAX, &plan->jobs, &err) == ALFUP_ERR)
        plan_diag_add_err(diag, &err);
    parse_timeouts(diag, root, plan);
    parse_online(diag, root, plan);
    plan_parse_rehearsal(diag, root, plan);
}

plan_t *plan_parse_partial(const char *path, const char *text, size_t len, plan_diag_t *diag)
{
    alfup_err_t err;
    plan_t *plan = calloc(1, sizeof *plan);
    if (plan == NULL || (plan->path = strdup(path)) == NULL) {
        plan_diag_addf(diag, "%s: out of memory", path);
        plan_destroy(&plan);
        return NULL;
    }
    plan->doc = yaml_doc_load(text, len, path, &err);
    if (plan->doc == NULL) {
        plan_diag_add_err(diag, &err);
        plan_destroy(&plan);
        return NULL;
    }
    const yaml_doc_node_t *root = yaml_doc_root(plan->doc);
    if (yaml_doc_expect(root, YAML_DOC_MAPPING, &err) != 0) {
        plan_diag_add_err(diag, &err);
        plan_destroy(&plan);
        return NULL;
    }
    parse_root(diag, root, plan);
    plan_check_all(diag, plan);
    return plan;
}

plan_t *plan_parse(const char *path, const char *text, size_t len, plan_diag_t *diag)
{
    size_t errors_before = plan_diag_count(diag);
    plan_t *plan = plan_parse_partial(path, text, len, diag);
    if (plan_diag_count(diag) != errors_before)
        plan_destroy(&plan);
    return plan;
}

static void free_install(plan_install_t *inst)
{
    char *fields[] = {
        inst->home,      inst->service,      inst->dir_root,           inst->database,         inst->distribution,
        inst->db_user,   inst->db_url,       inst->scratch_database,   inst->scratch_db_url,   inst->scratch_dir_root,
        inst->solr.home, inst->solr.service, inst->solr.data_dir_root, inst->solr.distribution,
        inst->staging_service, inst->solr.staging_service, inst->db_server};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        free(fields[i]);
}

void plan_destroy(plan_t **plan_p)
{
    plan_t *plan = plan_p ? *plan_p : NULL;
    if (plan == NULL)
        return;
    for (size_t i = 0; i < plan->agent_count; i++) {
        free(plan->agents[i].name);
        str_list_clear(&plan->agents[i].roles);
    }
    free(plan->agents);
    for (size_t i = 0; i < plan->timeout_count; i++)
        free(plan->timeouts[i].kind);
    free(plan->timeouts);
    free_install(&plan->old_install);
    free_install(&plan->new_install);
    plan_rehearsal_clear(&plan->rehearsal);
    str_list_clear(&plan->amps);
    str_list_clear(&plan->remove_apps);
    str_list_clear(&plan->approve);
    free(plan->deployment);
    free(plan->workflow);
    free(plan->backup_dir);
    free(plan->path);
    yaml_doc_destroy(&plan->doc);
    free(plan);
    *plan_p = NULL;
}

const plan_agent_t *plan_agent(const plan_t *plan, const char *name)
{
    for (size_t i = 0; i < plan->agent_count; i++)
        if (plan->agents[i].name && strcmp(plan->agents[i].name, name) == 0)
            return &plan->agents[i];
    return NULL;
}

bool plan_agent_has_role(const plan_agent_t *agent, const char *role)
{
    return str_list_contains(&agent->roles, role) != 0;
}
