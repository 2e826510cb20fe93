/* api_body.c -- request bodies: jansson parses, this file decides what is acceptable. */
#include "api_body.h"

#include <jansson.h>
#include <string.h>

/* Nesting deeper than this is refused by jansson's own limit too; bodies here are flat. */
int api_name_is_valid(const char *name)
{
    size_t len = strnlen(name, API_NAME_MAX + 1);
    if (len == 0 || len > API_NAME_MAX || strstr(name, "..") != NULL || strcmp(name, ".") == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                 c == '_' || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

static int key_allowed(const char *key, const char *const *allowed)
{
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(allowed[i], key) == 0)
            return 1;
    return 0;
}

static int check_members(json_t *object, const char *const *allowed, alfup_err_t *err)
{
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value) {
        if (!key_allowed(key, allowed))
            return alfup_err_set(err, "unknown key \"%.64s\" in the body", key);
        const char *text = json_string_value(value);
        if (text == NULL || strlen(text) != json_string_length(value) || !api_name_is_valid(text))
            return alfup_err_set(err, "\"%s\" must be a name of 1-%d characters from A-Z a-z 0-9 . _ - "
                                 "(no \"..\")", key, API_NAME_MAX);
    }
    return ALFUP_OK;
}

int api_body_decode(const char *body, size_t len, const char *const *allowed, const char *want, int required,
                    char *out, size_t out_len, alfup_err_t *err)
{
    out[0] = '\0';
    if (len > API_BODY_MAX)
        return alfup_err_set(err, "body over %u bytes", API_BODY_MAX);
    json_t *object = NULL;
    if (len > 0) {
        json_error_t json_err;
        object = json_loadb(body, len, JSON_REJECT_DUPLICATES, &json_err);
        if (object == NULL)
            return alfup_err_set(err, "body is not JSON: %s (line %d)", json_err.text, json_err.line);
    }
    int rc = ALFUP_ERR;
    if (object != NULL && !json_is_object(object)) {
        alfup_err_set(err, "body must be a JSON object");
        goto out;
    }
    if (object != NULL && check_members(object, allowed, err) != ALFUP_OK)
        goto out;
    const char *value = object ? json_string_value(json_object_get(object, want)) : NULL;
    if (value == NULL && required) {
        alfup_err_set(err, "the body needs \"%s\"", want);
        goto out;
    }
    if (value != NULL && strlen(value) >= out_len) {
        alfup_err_set(err, "\"%s\" is too long", want);
        goto out;
    }
    if (value != NULL)
        memcpy(out, value, strlen(value) + 1);
    rc = ALFUP_OK;
out:
    json_decref(object);
    return rc;
}
