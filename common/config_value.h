/* config_value.h -- checked config values on yaml_doc: names, absolute paths, tcp endpoints. */
#ifndef ALFUP_CONFIG_VALUE_H
#define ALFUP_CONFIG_VALUE_H

#include <stdbool.h>

#include "alfup_error.h"
#include "yaml_doc.h"

/* Names of agents, services and tools: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. */
#define CONFIG_NAME_MAX 64

bool config_name_ok(const char *text);

/* tcp://HOST:PORT with a non-empty host (no spaces) and a port 1..65535. */
bool config_endpoint_ok(const char *text);

/* NULL when path is absolute, shorter than PATH_MAX and has no "." or ".."
 * components; otherwise what is wrong with it. */
const char *config_path_problem(const char *path);

/* Fail at node (the place named in the message) unless text is a valid name /
 * plain absolute path. 0 or ALFUP_ERR. */
int config_check_name(const yaml_doc_node_t *node, const char *text, alfup_err_t *err);
int config_check_path(const yaml_doc_node_t *node, const char *text, alfup_err_t *err);

/* Like yaml_doc_get_string (same flags and returns: 0, YAML_DOC_ABSENT or
 * ALFUP_ERR), then checks the value; *out is untouched unless it is valid. */
int config_get_name(const yaml_doc_node_t *map, const char *key, unsigned flags, char **out,
                    alfup_err_t *err);
int config_get_path(const yaml_doc_node_t *map, const char *key, unsigned flags, char **out,
                    alfup_err_t *err);
int config_get_endpoint(const yaml_doc_node_t *map, const char *key, unsigned flags, char **out,
                        alfup_err_t *err);

#endif
