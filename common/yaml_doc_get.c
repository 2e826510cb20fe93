/* yaml_doc_get.c -- reading a yaml_doc tree: navigation, typed values, messages with file:line. */
#include "yaml_doc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_doc_internal.h"

#define PATH_TEXT_MAX 256

yaml_doc_kind_t yaml_doc_kind(const yaml_doc_node_t *node)
{
    return node->kind;
}

unsigned yaml_doc_line(const yaml_doc_node_t *node)
{
    return node->line;
}

unsigned yaml_doc_column(const yaml_doc_node_t *node)
{
    return node->column;
}

bool yaml_doc_is_null(const yaml_doc_node_t *node)
{
    return node->kind == YAML_DOC_SCALAR && node->is_null;
}

const char *yaml_doc_scalar(const yaml_doc_node_t *node)
{
    return node->kind == YAML_DOC_SCALAR ? node->scalar : NULL;
}

size_t yaml_doc_count(const yaml_doc_node_t *node)
{
    return node->kind == YAML_DOC_SCALAR ? 0 : node->count;
}

const yaml_doc_node_t *yaml_doc_item(const yaml_doc_node_t *node, size_t i)
{
    if (node->kind != YAML_DOC_SEQUENCE || i >= node->count)
        return NULL;
    return node->children[i];
}

const char *yaml_doc_key(const yaml_doc_node_t *node, size_t i)
{
    if (node->kind != YAML_DOC_MAPPING || i >= node->count)
        return NULL;
    return node->keys[i];
}

const yaml_doc_node_t *yaml_doc_value(const yaml_doc_node_t *node, size_t i)
{
    if (node->kind != YAML_DOC_MAPPING || i >= node->count)
        return NULL;
    return node->children[i];
}

const yaml_doc_node_t *yaml_doc_get(const yaml_doc_node_t *node, const char *key)
{
    if (node->kind != YAML_DOC_MAPPING)
        return NULL;
    for (size_t i = 0; i < node->count; i++)
        if (strcmp(node->keys[i], key) == 0)
            return node->children[i];
    return NULL;
}

/* "services.alfresco-v1.failed[1]": the keys and indexes from the root down to node. */
static void node_path(const yaml_doc_node_t *node, char *buf, size_t size)
{
    const yaml_doc_node_t *chain[YAML_DOC_MAX_DEPTH + 1];
    size_t depth = 0;
    for (; node != NULL && node->parent != NULL && depth < YAML_DOC_MAX_DEPTH + 1;
         node = node->parent)
        chain[depth++] = node;
    size_t used = 0;
    buf[0] = '\0';
    while (depth > 0 && used < size) {
        const yaml_doc_node_t *step = chain[--depth];
        int n = step->key != NULL
                    ? snprintf(buf + used, size - used, "%s%s", used ? "." : "", step->key)
                    : snprintf(buf + used, size - used, "[%zu]", step->index);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

int yaml_doc_error(const yaml_doc_node_t *node, alfup_err_t *err, const char *fmt, ...)
{
    if (err == NULL)
        return ALFUP_ERR;
    char message[ALFUP_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    char path[PATH_TEXT_MAX];
    node_path(node, path, sizeof path);
    if (path[0] == '\0')
        return alfup_err_set(err, "%s:%u: %s", node->doc->name, node->line, message);
    return alfup_err_set(err, "%s:%u: key '%s': %s", node->doc->name, node->line, path, message);
}

static const char *kind_name(yaml_doc_kind_t kind)
{
    switch (kind) {
    case YAML_DOC_SCALAR:
        return "a single value";
    case YAML_DOC_SEQUENCE:
        return "a list";
    case YAML_DOC_MAPPING:
        return "a mapping";
    }
    return "?";
}

int yaml_doc_expect(const yaml_doc_node_t *node, yaml_doc_kind_t kind, alfup_err_t *err)
{
    if (node->kind == kind)
        return ALFUP_OK;
    return yaml_doc_error(node, err, "expected %s", kind_name(kind));
}

/* "ca, cert, key, crl" into buf. */
static void join_names(const char *const *names, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] != NULL && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

int yaml_doc_check_keys(const yaml_doc_node_t *node, const char *const *known, alfup_err_t *err)
{
    if (yaml_doc_expect(node, YAML_DOC_MAPPING, err) != ALFUP_OK)
        return ALFUP_ERR;
    for (size_t i = 0; i < node->count; i++) {
        size_t k = 0;
        while (known[k] != NULL && strcmp(known[k], node->keys[i]) != 0)
            k++;
        if (known[k] != NULL)
            continue;
        char names[PATH_TEXT_MAX];
        join_names(known, names, sizeof names);
        return yaml_doc_error(node->children[i], err, "unknown key (known: %s)", names);
    }
    return ALFUP_OK;
}

int yaml_doc_to_string(const yaml_doc_node_t *node, char **out, alfup_err_t *err)
{
    if (node->kind != YAML_DOC_SCALAR || node->is_null)
        return yaml_doc_error(node, err, "expected a string");
    char *copy = strdup(node->scalar);
    if (copy == NULL)
        return yaml_doc_error(node, err, "out of memory");
    *out = copy;
    return ALFUP_OK;
}

int yaml_doc_to_uint(const yaml_doc_node_t *node, unsigned min, unsigned max, unsigned *out,
                     alfup_err_t *err)
{
    if (node->kind != YAML_DOC_SCALAR || node->is_null)
        return yaml_doc_error(node, err, "expected a whole number");
    const char *text = node->scalar;
    if (text[0] == '\0' || strspn(text, "0123456789") != strlen(text))
        return yaml_doc_error(node, err, "expected a whole number, not '%s'", text);
    errno = 0;
    unsigned long long value = strtoull(text, NULL, 10);
    if (errno == ERANGE || value < min || value > max)
        return yaml_doc_error(node, err, "%s is out of range (%u..%u)", text, min, max);
    *out = (unsigned)value;
    return ALFUP_OK;
}

int yaml_doc_to_bool(const yaml_doc_node_t *node, bool *out, alfup_err_t *err)
{
    const char *text = node->kind == YAML_DOC_SCALAR && !node->is_null ? node->scalar : "";
    if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 || strcmp(text, "TRUE") == 0)
        *out = true;
    else if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0 ||
             strcmp(text, "FALSE") == 0)
        *out = false;
    else
        return yaml_doc_error(node, err, "expected true or false");
    return ALFUP_OK;
}

int yaml_doc_to_string_list(const yaml_doc_node_t *node, unsigned flags, str_list_t *out,
                            alfup_err_t *err)
{
    str_list_t list = {0};
    if (node->kind == YAML_DOC_SCALAR && !node->is_null && (flags & YAML_DOC_SCALAR_OK)) {
        if (str_list_add(&list, node->scalar) != 0)
            return yaml_doc_error(node, err, "out of memory");
    } else if (node->kind != YAML_DOC_SEQUENCE) {
        return yaml_doc_error(node, err, (flags & YAML_DOC_SCALAR_OK)
                                             ? "expected a string or a list of strings"
                                             : "expected a list of strings");
    }
    for (size_t i = 0; node->kind == YAML_DOC_SEQUENCE && i < node->count; i++) {
        const yaml_doc_node_t *item = node->children[i];
        if (item->kind != YAML_DOC_SCALAR || item->is_null) {
            str_list_clear(&list);
            return yaml_doc_error(item, err, "expected a string");
        }
        if (str_list_add(&list, item->scalar) != 0) {
            str_list_clear(&list);
            return yaml_doc_error(item, err, "out of memory");
        }
    }
    if (list.count == 0 && (flags & YAML_DOC_NON_EMPTY))
        return yaml_doc_error(node, err, "the list may not be empty");
    str_list_clear(out);
    *out = list;
    return ALFUP_OK;
}

/* The value under key for the getters: NULL with rc YAML_DOC_ABSENT or ALFUP_ERR
 * when there is none to convert. */
static const yaml_doc_node_t *lookup(const yaml_doc_node_t *map, const char *key, unsigned flags,
                                     int *rc, alfup_err_t *err)
{
    *rc = ALFUP_OK;
    if (yaml_doc_expect(map, YAML_DOC_MAPPING, err) != ALFUP_OK) {
        *rc = ALFUP_ERR;
        return NULL;
    }
    const yaml_doc_node_t *value = yaml_doc_get(map, key);
    if (value != NULL && !yaml_doc_is_null(value))
        return value;
    if (!(flags & YAML_DOC_REQUIRED)) {
        *rc = YAML_DOC_ABSENT;
        return NULL;
    }
    *rc = value != NULL ? yaml_doc_error(value, err, "a value is required")
                        : yaml_doc_error(map, err, "missing required key '%s'", key);
    return NULL;
}

int yaml_doc_get_string(const yaml_doc_node_t *map, const char *key, unsigned flags, char **out,
                        alfup_err_t *err)
{
    int rc;
    const yaml_doc_node_t *value = lookup(map, key, flags, &rc, err);
    return value != NULL ? yaml_doc_to_string(value, out, err) : rc;
}

int yaml_doc_get_uint(const yaml_doc_node_t *map, const char *key, unsigned flags, unsigned min,
                      unsigned max, unsigned *out, alfup_err_t *err)
{
    int rc;
    const yaml_doc_node_t *value = lookup(map, key, flags, &rc, err);
    return value != NULL ? yaml_doc_to_uint(value, min, max, out, err) : rc;
}

int yaml_doc_get_bool(const yaml_doc_node_t *map, const char *key, unsigned flags, bool *out,
                      alfup_err_t *err)
{
    int rc;
    const yaml_doc_node_t *value = lookup(map, key, flags, &rc, err);
    return value != NULL ? yaml_doc_to_bool(value, out, err) : rc;
}

int yaml_doc_get_string_list(const yaml_doc_node_t *map, const char *key, unsigned flags,
                             str_list_t *out, alfup_err_t *err)
{
    int rc;
    const yaml_doc_node_t *value = lookup(map, key, flags, &rc, err);
    return value != NULL ? yaml_doc_to_string_list(value, flags, out, err) : rc;
}

int yaml_doc_get_node(const yaml_doc_node_t *map, const char *key, unsigned flags,
                      yaml_doc_kind_t kind, const yaml_doc_node_t **out, alfup_err_t *err)
{
    int rc;
    const yaml_doc_node_t *value = lookup(map, key, flags, &rc, err);
    if (value == NULL)
        return rc;
    if (yaml_doc_expect(value, kind, err) != ALFUP_OK)
        return ALFUP_ERR;
    *out = value;
    return ALFUP_OK;
}
