/* config_value.c -- checking names, absolute paths and tcp:// endpoints read from configs. */
#include "config_value.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define NAME_FIRST "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define NAME_REST NAME_FIRST "._-"
#define TCP_SCHEME "tcp://"
#define PORT_MAX 65535ul

bool config_name_ok(const char *text)
{
    size_t len = strlen(text);
    return len >= 1 && len <= CONFIG_NAME_MAX && strchr(NAME_FIRST, text[0]) != NULL &&
           strspn(text, NAME_REST) == len;
}

bool config_endpoint_ok(const char *text)
{
    size_t scheme = strlen(TCP_SCHEME);
    if (strncmp(text, TCP_SCHEME, scheme) != 0)
        return false;
    const char *host = text + scheme;
    const char *colon = strrchr(host, ':');
    if (colon == NULL || colon == host || strcspn(host, " \t\r\n/") < strlen(host))
        return false;
    const char *port = colon + 1;
    if (port[0] == '\0' || port[0] == '0' || strspn(port, "0123456789") != strlen(port) ||
        strlen(port) > 5)
        return false;
    return strtoul(port, NULL, 10) <= PORT_MAX;
}

/* true when path has a "." or ".." component. */
static bool has_dot_component(const char *path)
{
    for (const char *p = path; *p != '\0'; p++) {
        if (p[0] != '/' || p[1] != '.')
            continue;
        size_t dots = p[2] == '.' ? 2 : 1;
        if (p[1 + dots] == '/' || p[1 + dots] == '\0')
            return true;
    }
    return false;
}

const char *config_path_problem(const char *path)
{
    if (path[0] != '/')
        return "is not an absolute path";
    if (strlen(path) >= PATH_MAX)
        return "is longer than PATH_MAX";
    if (has_dot_component(path))
        return "has '.' or '..' components, which are not allowed";
    return NULL;
}

int config_check_name(const yaml_doc_node_t *node, const char *text, alfup_err_t *err)
{
    if (config_name_ok(text))
        return ALFUP_OK;
    return yaml_doc_error(node, err,
                          "'%s' is not a valid name (1 to %d letters, digits, '.', '_' or '-', "
                          "starting with a letter or digit)",
                          text, CONFIG_NAME_MAX);
}

int config_check_path(const yaml_doc_node_t *node, const char *text, alfup_err_t *err)
{
    const char *problem = config_path_problem(text);
    return problem == NULL ? ALFUP_OK : yaml_doc_error(node, err, "'%s' %s", text, problem);
}

typedef int (*value_check_fn)(const yaml_doc_node_t *node, const char *text, alfup_err_t *err);

static int check_endpoint(const yaml_doc_node_t *node, const char *text, alfup_err_t *err)
{
    if (config_endpoint_ok(text))
        return ALFUP_OK;
    return yaml_doc_error(node, err, "'%s' is not a tcp://HOST:PORT endpoint", text);
}

static int get_checked(const yaml_doc_node_t *map, const char *key, unsigned flags, char **out,
                       value_check_fn check, alfup_err_t *err)
{
    char *text = NULL;
    int rc = yaml_doc_get_string(map, key, flags, &text, err);
    if (rc != ALFUP_OK)
        return rc;
    if (check(yaml_doc_get(map, key), text, err) != ALFUP_OK) {
        free(text);
        return ALFUP_ERR;
    }
    *out = text;
    return ALFUP_OK;
}

int config_get_name(const yaml_doc_node_t *map, const char *key, unsigned flags, char **out,
                    alfup_err_t *err)
{
    return get_checked(map, key, flags, out, config_check_name, err);
}

int config_get_path(const yaml_doc_node_t *map, const char *key, unsigned flags, char **out,
                    alfup_err_t *err)
{
    return get_checked(map, key, flags, out, config_check_path, err);
}

int config_get_endpoint(const yaml_doc_node_t *map, const char *key, unsigned flags, char **out,
                        alfup_err_t *err)
{
    return get_checked(map, key, flags, out, check_endpoint, err);
}
