/* controller_config.c -- reading and validating the controller YAML config (docs/config.md). */
#include "controller_config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config_doc.h"
#include "config_value.h"
#include "yaml_doc.h"

static const char *const ROOT_KEYS[] = {"listen", "admin", "tls", "journal", "workflows",
                                        "heartbeat_timeout_s", "max_pending_handshakes",
                                        "handshake_timeout_s", "api", "webhooks", NULL};
static const char *const TLS_KEYS[] = {"ca", "cert", "key", "crl", NULL};
static const char *const API_KEYS[] = {"listen", "ca", "cert", "key", "crl", "plans_dir", "idle_timeout_s",
                                       "four_eyes", "console_dir", NULL};

void controller_config_destroy(controller_config_t **config_p)
{
    if (config_p == NULL || *config_p == NULL)
        return;
    controller_config_t *config = *config_p;
    free(config->path);
    free(config->listen);
    free(config->admin);
    free(config->tls.ca);
    free(config->tls.cert);
    free(config->tls.key);
    free(config->tls.crl);
    free(config->journal);
    free(config->workflows);
    free(config->api.listen);
    free(config->api.ca);
    free(config->api.cert);
    free(config->api.key);
    free(config->api.crl);
    free(config->api.plans_dir);
    free(config->api.console_dir);
    webhook_config_clear(&config->webhooks);
    free(config);
    *config_p = NULL;
}

static int parse_tls(const yaml_doc_node_t *root, controller_tls_t *tls, alfup_err_t *err)
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

static int default_to(char **value, const char *fallback, alfup_err_t *err)
{
    if (*value != NULL || fallback == NULL)
        return ALFUP_OK;
    *value = strdup(fallback);
    return *value ? ALFUP_OK : alfup_err_set(err, "out of memory");
}

/* api: optional; its TLS files default to the tls: section's. */
static int parse_api(const yaml_doc_node_t *root, controller_config_t *config, alfup_err_t *err)
{
    const yaml_doc_node_t *node = NULL;
    controller_api_t *api = &config->api;
    api->idle_timeout_s = CONTROLLER_API_DEFAULT_IDLE_TIMEOUT_S;
    int found = yaml_doc_get_node(root, "api", 0, YAML_DOC_MAPPING, &node, err);
    if (found < 0)
        return ALFUP_ERR;
    if (found == YAML_DOC_ABSENT || node == NULL)
        return ALFUP_OK;
    if (yaml_doc_check_keys(node, API_KEYS, err) < 0 ||
        yaml_doc_get_string(node, "listen", YAML_DOC_REQUIRED, &api->listen, err) < 0 ||
        config_get_path(node, "ca", 0, &api->ca, err) < 0 || config_get_path(node, "cert", 0, &api->cert, err) < 0 ||
        config_get_path(node, "key", 0, &api->key, err) < 0 || config_get_path(node, "crl", 0, &api->crl, err) < 0 ||
        config_get_path(node, "plans_dir", 0, &api->plans_dir, err) < 0 ||
        config_get_path(node, "console_dir", 0, &api->console_dir, err) < 0 ||
        yaml_doc_get_uint(node, "idle_timeout_s", 0, CONTROLLER_API_IDLE_TIMEOUT_MIN_S,
                          CONTROLLER_API_IDLE_TIMEOUT_MAX_S, &api->idle_timeout_s, err) < 0 ||
        yaml_doc_get_bool(node, "four_eyes", 0, &api->four_eyes, err) < 0)
        return ALFUP_ERR;
    if (default_to(&api->ca, config->tls.ca, err) || default_to(&api->cert, config->tls.cert, err) ||
        default_to(&api->key, config->tls.key, err) || default_to(&api->crl, config->tls.crl, err))
        return ALFUP_ERR;
    return ALFUP_OK;
}

static int parse_limits(const yaml_doc_node_t *root, controller_config_t *config,
                        alfup_err_t *err)
{
    config->heartbeat_timeout_s = CONTROLLER_DEFAULT_HEARTBEAT_TIMEOUT_S;
    config->max_pending_handshakes = CONTROLLER_DEFAULT_MAX_PENDING_HANDSHAKES;
    config->handshake_timeout_s = CONTROLLER_DEFAULT_HANDSHAKE_TIMEOUT_S;
    if (yaml_doc_get_uint(root, "heartbeat_timeout_s", 0, CONTROLLER_HEARTBEAT_TIMEOUT_MIN_S,
                          CONTROLLER_HEARTBEAT_TIMEOUT_MAX_S, &config->heartbeat_timeout_s,
                          err) < 0 ||
        yaml_doc_get_uint(root, "max_pending_handshakes", 0, CONTROLLER_MAX_PENDING_HANDSHAKES_MIN,
                          CONTROLLER_MAX_PENDING_HANDSHAKES_MAX, &config->max_pending_handshakes,
                          err) < 0 ||
        yaml_doc_get_uint(root, "handshake_timeout_s", 0, CONTROLLER_HANDSHAKE_TIMEOUT_MIN_S,
                          CONTROLLER_HANDSHAKE_TIMEOUT_MAX_S, &config->handshake_timeout_s,
                          err) < 0)
        return ALFUP_ERR;
    return ALFUP_OK;
}

static int parse_root(const yaml_doc_node_t *root, controller_config_t *config, alfup_err_t *err)
{
    if (yaml_doc_check_keys(root, ROOT_KEYS, err) < 0 ||
        config_get_endpoint(root, "listen", YAML_DOC_REQUIRED, &config->listen, err) < 0 ||
        config_get_path(root, "admin", YAML_DOC_REQUIRED, &config->admin, err) < 0 ||
        parse_tls(root, &config->tls, err) < 0 ||
        config_get_path(root, "journal", YAML_DOC_REQUIRED, &config->journal, err) < 0 ||
        config_get_path(root, "workflows", 0, &config->workflows, err) < 0 ||
        parse_limits(root, config, err) < 0 || parse_api(root, config, err) < 0 ||
        webhook_config_parse(root, &config->webhooks, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (config->workflows == NULL && (config->workflows = strdup(ALFUP_DEFAULT_WORKFLOWS_DIR)) == NULL)
        return alfup_err_set(err, "out of memory");
    return ALFUP_OK;
}

/* The config as config_from_doc (config_doc.h) builds it. */
static int parse_any(const yaml_doc_node_t *root, void *config, alfup_err_t *err)
{
    return parse_root(root, config, err);
}

static void destroy_any(void *config)
{
    controller_config_t *typed = config;
    controller_config_destroy(&typed);
}

static const config_kind_t CONTROLLER_CONFIG_KIND = {
    .size = sizeof(controller_config_t),
    .path_offset = offsetof(controller_config_t, path),
    .parse_root = parse_any,
    .destroy = destroy_any,
};

controller_config_t *controller_config_parse(const char *text, size_t len, const char *name,
                                             alfup_err_t *err)
{
    return config_from_doc(yaml_doc_load(text, len, name, err), &CONTROLLER_CONFIG_KIND, err);
}

controller_config_t *controller_config_load(const char *path, alfup_err_t *err)
{
    return config_from_doc(yaml_doc_load_file(path, err), &CONTROLLER_CONFIG_KIND, err);
}
