/* agent_config_load.c -- reading and validating the agent YAML config (docs/config.md). */
#include "agent_config.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_doc.h"
#include "config_value.h"
#include "path_within.h"
#include "yaml_doc.h"

#define TIMEOUT_MIN_S 1u
#define TIMEOUT_MAX_S 86400u
#define HEARTBEAT_MIN_S 1u
#define HEARTBEAT_MAX_S 300u

static const char *const ROOT_KEYS[] = {"name", "controller", "tls", "state_dir", "backup_dir",
                                        "allowed_roots", "services", "tools", "postgres",
                                        "heartbeat_s", NULL};
static const char *const TLS_KEYS[] = {"ca", "cert", "key", "crl", NULL};
static const char *const SERVICE_KEYS[] = {"start", "stop", "pidfile", "log", "ready_url",
                                           "started", "failed", "start_timeout_s",
                                           "stop_timeout_s", "properties_file", NULL};
static const char *const POSTGRES_KEYS[] = {"conninfo", "bin_dir", "servers", NULL};

/* realpath() of the deepest existing ancestor of a plain absolute path, with
 * the missing rest appended; repeated and trailing slashes dropped. NULL with
 * errno on failure. */
static char *canonical_path(const char *path)
{
    char plain[PATH_MAX], resolved[PATH_MAX];
    size_t used = 0;
    for (const char *p = path; *p != '\0' && used + 1 < sizeof plain; p++)
        if (!(p[0] == '/' && (p[1] == '/' || p[1] == '\0')) || used == 0)
            plain[used++] = *p;
    plain[used] = '\0';
    size_t prefix = used;
    for (;;) {
        char saved = plain[prefix];
        plain[prefix] = '\0';
        char *found = realpath(prefix ? plain : "/", resolved);
        plain[prefix] = saved;
        if (found != NULL)
            break;
        if (errno != ENOENT)
            return NULL;
        while (prefix > 0 && plain[--prefix] != '/')
            ;
    }
    const char *rest = plain + prefix;
    size_t need = strlen(resolved) + strlen(rest) + 1;
    char *out = malloc(need);
    if (out != NULL)
        snprintf(out, need, "%s%s", strcmp(resolved, "/") == 0 && rest[0] ? "" : resolved, rest);
    return out;
}

static int parse_tls(const yaml_doc_node_t *root, tls_files_t *tls, alfup_err_t *err)
{
    const yaml_doc_node_t *node = NULL;
    if (yaml_doc_get_node(root, "tls", YAML_DOC_REQUIRED, YAML_DOC_MAPPING, &node, err) < 0 ||
        yaml_doc_check_keys(node, TLS_KEYS, err) < 0 ||
        config_get_path(node, "ca", YAML_DOC_REQUIRED, &tls->ca, err) < 0 ||
        config_get_path(node, "cert", YAML_DOC_REQUIRED, &tls->cert, err) < 0 ||
        config_get_path(node, "key", YAML_DOC_REQUIRED, &tls->key, err) < 0 ||
        config_get_path(node, "crl", 0, &tls->crl, err) < 0)
        return ALFUP_ERR;
    return ALFUP_OK;
}

/* One allowed root: plain absolute, not "/", stored canonical, once. */
static int add_root(const yaml_doc_node_t *item, const char *path, str_list_t *roots,
                    alfup_err_t *err)
{
    if (config_check_path(item, path, err) != ALFUP_OK)
        return ALFUP_ERR;
    char *canonical = canonical_path(path);
    if (canonical == NULL)
        return yaml_doc_error(item, err, "'%s': %s", path, strerror(errno));
    int rc = ALFUP_OK;
    if (strcmp(canonical, "/") == 0)
        rc = yaml_doc_error(item, err, "'%s' is (or resolves to) \"/\", which is never allowed",
                            path);
    else if (!str_list_contains(roots, canonical) && str_list_add(roots, canonical) != 0)
        rc = yaml_doc_error(item, err, "out of memory");
    free(canonical);
    return rc;
}

static int parse_roots(const yaml_doc_node_t *root, agent_config_t *config, alfup_err_t *err)
{
    str_list_t written = {0};
    if (yaml_doc_get_string_list(root, "allowed_roots", YAML_DOC_REQUIRED | YAML_DOC_NON_EMPTY,
                                 &written, err) < 0)
        return ALFUP_ERR;
    const yaml_doc_node_t *list = yaml_doc_get(root, "allowed_roots");
    int rc = ALFUP_OK;
    for (size_t i = 0; i < written.count && rc == ALFUP_OK; i++)
        rc = add_root(yaml_doc_item(list, i), written.items[i], &config->allowed_roots, err);
    str_list_clear(&written);
    return rc;
}

/* backup_dir is stored canonical and must lie inside one of allowed_roots. */
static int parse_backup_dir(const yaml_doc_node_t *root, agent_config_t *config, alfup_err_t *err)
{
    char *written = NULL;
    if (config_get_path(root, "backup_dir", YAML_DOC_REQUIRED, &written, err) < 0)
        return ALFUP_ERR;
    const yaml_doc_node_t *node = yaml_doc_get(root, "backup_dir");
    int rc = ALFUP_OK;
    config->backup_dir = canonical_path(written);
    if (config->backup_dir == NULL) {
        rc = yaml_doc_error(node, err, "'%s': %s", written, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < config->allowed_roots.count; i++)
        if (path_is_within(config->backup_dir, config->allowed_roots.items[i]))
            goto out;
    rc = yaml_doc_error(node, err, "'%s' (resolved to %s) is not inside allowed_roots", written,
                        config->backup_dir);
out:
    free(written);
    return rc;
}

/* start / stop / tools: a non-empty argv whose program is an absolute path. */
static int get_argv(const yaml_doc_node_t *map, const char *key, str_list_t *argv,
                    alfup_err_t *err)
{
    if (yaml_doc_get_string_list(map, key, YAML_DOC_REQUIRED | YAML_DOC_NON_EMPTY, argv, err) < 0)
        return ALFUP_ERR;
    return config_check_path(yaml_doc_item(yaml_doc_get(map, key), 0), argv->items[0], err);
}

static int check_regex(const yaml_doc_node_t *node, const char *pattern, alfup_err_t *err)
{
    if (pattern[0] == '\0')
        return yaml_doc_error(node, err, "an empty pattern matches every line");
    regex_t compiled;
    int rc = regcomp(&compiled, pattern, REG_EXTENDED | REG_NOSUB);
    if (rc == 0) {
        regfree(&compiled);
        return ALFUP_OK;
    }
    char reason[128];
    regerror(rc, &compiled, reason, sizeof reason);
    return yaml_doc_error(node, err, "'%s' is not a valid extended regex: %s", pattern, reason);
}

/* started / failed: patterns that need a log to be looked for in. */
static int parse_patterns(const yaml_doc_node_t *map, agent_service_t *service, alfup_err_t *err)
{
    if (yaml_doc_get_string(map, "started", 0, &service->started, err) < 0 ||
        yaml_doc_get_string_list(map, "failed", YAML_DOC_SCALAR_OK, &service->failed, err) < 0)
        return ALFUP_ERR;
    const yaml_doc_node_t *started = yaml_doc_get(map, "started");
    const yaml_doc_node_t *failed = yaml_doc_get(map, "failed");
    if (service->started != NULL && check_regex(started, service->started, err) < 0)
        return ALFUP_ERR;
    for (size_t i = 0; i < service->failed.count; i++) {
        const yaml_doc_node_t *item = yaml_doc_item(failed, i);
        if (check_regex(item ? item : failed, service->failed.items[i], err) < 0)
            return ALFUP_ERR;
    }
    if (service->log == NULL && (service->started != NULL || service->failed.count > 0))
        return yaml_doc_error(service->started ? started : failed, err,
                              "needs 'log', the file the patterns are looked for in");
    return ALFUP_OK;
}

static int check_url(const yaml_doc_node_t *map, const char *url, alfup_err_t *err)
{
    if (url == NULL || strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
        return ALFUP_OK;
    return yaml_doc_error(yaml_doc_get(map, "ready_url"), err,
                          "'%s' is not an http:// or https:// URL", url);
}

static int parse_service(const char *name, const yaml_doc_node_t *map, agent_service_t *service,
                         alfup_err_t *err)
{
    service->start_timeout_s = AGENT_DEFAULT_START_TIMEOUT_S;
    service->stop_timeout_s = AGENT_DEFAULT_STOP_TIMEOUT_S;
    if ((service->name = strdup(name)) == NULL)
        return yaml_doc_error(map, err, "out of memory");
    if (config_check_name(map, name, err) < 0 || yaml_doc_expect(map, YAML_DOC_MAPPING, err) < 0 ||
        yaml_doc_check_keys(map, SERVICE_KEYS, err) < 0 ||
        get_argv(map, "start", &service->start_argv, err) < 0 ||
        get_argv(map, "stop", &service->stop_argv, err) < 0 ||
        config_get_path(map, "pidfile", 0, &service->pidfile, err) < 0 ||
        config_get_path(map, "log", 0, &service->log, err) < 0 ||
        config_get_path(map, "properties_file", 0, &service->properties_file, err) < 0 ||
        yaml_doc_get_string(map, "ready_url", 0, &service->ready_url, err) < 0 ||
        check_url(map, service->ready_url, err) < 0 || parse_patterns(map, service, err) < 0 ||
        yaml_doc_get_uint(map, "start_timeout_s", 0, TIMEOUT_MIN_S, TIMEOUT_MAX_S,
                          &service->start_timeout_s, err) < 0 ||
        yaml_doc_get_uint(map, "stop_timeout_s", 0, TIMEOUT_MIN_S, TIMEOUT_MAX_S,
                          &service->stop_timeout_s, err) < 0)
        return ALFUP_ERR;
    return ALFUP_OK;
}

static int parse_services(const yaml_doc_node_t *root, agent_config_t *config, alfup_err_t *err)
{
    const yaml_doc_node_t *map = NULL;
    int rc = yaml_doc_get_node(root, "services", 0, YAML_DOC_MAPPING, &map, err);
    if (rc != ALFUP_OK || yaml_doc_count(map) == 0)
        return rc < 0 ? ALFUP_ERR : ALFUP_OK;
    config->services = calloc(yaml_doc_count(map), sizeof *config->services);
    if (config->services == NULL)
        return yaml_doc_error(map, err, "out of memory");
    for (size_t i = 0; i < yaml_doc_count(map); i++) {
        config->service_count = i + 1; /* so that destroy frees a half-read entry */
        if (parse_service(yaml_doc_key(map, i), yaml_doc_value(map, i), &config->services[i],
                          err) < 0)
            return ALFUP_ERR;
    }
    return ALFUP_OK;
}

static int parse_tool(const char *name, const yaml_doc_node_t *argv_node, agent_tool_t *tool,
                      alfup_err_t *err)
{
    if ((tool->name = strdup(name)) == NULL)
        return yaml_doc_error(argv_node, err, "out of memory");
    if (config_check_name(argv_node, name, err) < 0 ||
        yaml_doc_to_string_list(argv_node, YAML_DOC_NON_EMPTY, &tool->argv, err) < 0)
        return ALFUP_ERR;
    return config_check_path(yaml_doc_item(argv_node, 0), tool->argv.items[0], err);
}

static int parse_tools(const yaml_doc_node_t *root, agent_config_t *config, alfup_err_t *err)
{
    const yaml_doc_node_t *map = NULL;
    int rc = yaml_doc_get_node(root, "tools", 0, YAML_DOC_MAPPING, &map, err);
    if (rc != ALFUP_OK || yaml_doc_count(map) == 0)
        return rc < 0 ? ALFUP_ERR : ALFUP_OK;
    config->tools = calloc(yaml_doc_count(map), sizeof *config->tools);
    if (config->tools == NULL)
        return yaml_doc_error(map, err, "out of memory");
    for (size_t i = 0; i < yaml_doc_count(map); i++) {
        config->tool_count = i + 1;
        if (parse_tool(yaml_doc_key(map, i), yaml_doc_value(map, i), &config->tools[i], err) < 0)
            return ALFUP_ERR;
    }
    return ALFUP_OK;
}

/* postgres.servers: name -> conninfo of another server (db-copy's other-server path). */
static int parse_pg_servers(const yaml_doc_node_t *postgres_map, agent_postgres_t *postgres,
                            alfup_err_t *err)
{
    const yaml_doc_node_t *map = NULL;
    int rc = yaml_doc_get_node(postgres_map, "servers", 0, YAML_DOC_MAPPING, &map, err);
    if (rc != ALFUP_OK || yaml_doc_count(map) == 0)
        return rc < 0 ? ALFUP_ERR : ALFUP_OK;
    postgres->servers = calloc(yaml_doc_count(map), sizeof *postgres->servers);
    if (postgres->servers == NULL)
        return yaml_doc_error(map, err, "out of memory");
    for (size_t i = 0; i < yaml_doc_count(map); i++) {
        agent_pg_server_t *server = &postgres->servers[i];
        const yaml_doc_node_t *value = yaml_doc_value(map, i);
        postgres->server_count = i + 1; /* so that destroy frees a half-read entry */
        if ((server->name = strdup(yaml_doc_key(map, i))) == NULL)
            return yaml_doc_error(value, err, "out of memory");
        if (config_check_name(value, server->name, err) < 0 ||
            yaml_doc_expect(value, YAML_DOC_SCALAR, err) < 0)
            return ALFUP_ERR;
        if ((server->conninfo = strdup(yaml_doc_scalar(value))) == NULL)
            return yaml_doc_error(value, err, "out of memory");
    }
    return ALFUP_OK;
}

static int parse_postgres(const yaml_doc_node_t *root, agent_postgres_t *postgres,
                          alfup_err_t *err)
{
    const yaml_doc_node_t *map = NULL;
    int rc = yaml_doc_get_node(root, "postgres", 0, YAML_DOC_MAPPING, &map, err);
    if (rc != ALFUP_OK)
        return rc < 0 ? ALFUP_ERR : ALFUP_OK;
    if (yaml_doc_check_keys(map, POSTGRES_KEYS, err) < 0 ||
        yaml_doc_get_string(map, "conninfo", YAML_DOC_REQUIRED, &postgres->conninfo, err) < 0 ||
        config_get_path(map, "bin_dir", 0, &postgres->bin_dir, err) < 0 ||
        parse_pg_servers(map, postgres, err) < 0)
        return ALFUP_ERR;
    return ALFUP_OK;
}

static int parse_root(const yaml_doc_node_t *root, agent_config_t *config, alfup_err_t *err)
{
    config->heartbeat_s = AGENT_DEFAULT_HEARTBEAT_S;
    if (yaml_doc_check_keys(root, ROOT_KEYS, err) < 0 ||
        config_get_name(root, "name", YAML_DOC_REQUIRED, &config->name, err) < 0 ||
        config_get_endpoint(root, "controller", YAML_DOC_REQUIRED, &config->controller, err) < 0 ||
        parse_tls(root, &config->tls, err) < 0 ||
        config_get_path(root, "state_dir", YAML_DOC_REQUIRED, &config->state_dir, err) < 0 ||
        parse_roots(root, config, err) < 0 || parse_backup_dir(root, config, err) < 0 ||
        parse_services(root, config, err) < 0 || parse_tools(root, config, err) < 0 ||
        parse_postgres(root, &config->postgres, err) < 0 ||
        yaml_doc_get_uint(root, "heartbeat_s", 0, HEARTBEAT_MIN_S, HEARTBEAT_MAX_S,
                          &config->heartbeat_s, err) < 0)
        return ALFUP_ERR;
    return ALFUP_OK;
}

/* The config as config_from_doc (config_doc.h) builds it. */
static int parse_any(const yaml_doc_node_t *root, void *config, alfup_err_t *err)
{
    return parse_root(root, config, err);
}

static void destroy_any(void *config)
{
    agent_config_t *typed = config;
    agent_config_destroy(&typed);
}

static const config_kind_t AGENT_CONFIG_KIND = {
    .size = sizeof(agent_config_t),
    .path_offset = offsetof(agent_config_t, path),
    .parse_root = parse_any,
    .destroy = destroy_any,
};

agent_config_t *agent_config_parse(const char *text, size_t len, const char *name,
                                   alfup_err_t *err)
{
    return config_from_doc(yaml_doc_load(text, len, name, err), &AGENT_CONFIG_KIND, err);
}

agent_config_t *agent_config_load(const char *path, alfup_err_t *err)
{
    return config_from_doc(yaml_doc_load_file(path, err), &AGENT_CONFIG_KIND, err);
}
