/* path_policy.c -- canonicalise a path from the wire and keep it inside allowed_roots. */
#include "path_policy.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* realpath() of the deepest existing ancestor, with the missing tail appended.
 * The tail may not contain "." or ".." components. */
static char *resolve_partial(const char *path, alfup_err_t *err)
{
    char resolved[PATH_MAX];
    if (realpath(path, resolved) != NULL)
        return strdup(resolved);
    if (errno != ENOENT)
        return alfup_err_errno(err, errno, "path %s", path), NULL;

    char *copy = strdup(path);
    if (copy == NULL)
        return alfup_err_set(err, "path %s: out of memory", path), NULL;
    char *out = NULL;
    char *slash = strrchr(copy, '/');
    while (slash != NULL && slash != copy) {
        *slash = '\0';
        if (realpath(copy, resolved) != NULL)
            break;
        if (errno != ENOENT) {
            alfup_err_errno(err, errno, "path %s", path);
            goto out;
        }
        slash = strrchr(copy, '/');
    }
    if (slash == copy)
        snprintf(resolved, sizeof resolved, "/");
    const char *tail = path + (slash - copy);
    if (strstr(tail, "/../") || strstr(tail, "/./") ||
        (strlen(tail) >= 3 && strcmp(tail + strlen(tail) - 3, "/..") == 0) ||
        (strlen(tail) >= 2 && strcmp(tail + strlen(tail) - 2, "/.") == 0)) {
        alfup_err_set(err, "path %s: '.' or '..' components are not allowed", path);
        goto out;
    }
    size_t need = strlen(resolved) + strlen(tail) + 1;
    out = malloc(need);
    if (out == NULL) {
        alfup_err_set(err, "path %s: out of memory", path);
        goto out;
    }
    snprintf(out, need, "%s%s", strcmp(resolved, "/") == 0 ? "" : resolved, tail);
out:
    free(copy);
    return out;
}

char *path_policy_resolve(const agent_config_t *config, const char *path, alfup_err_t *err)
{
    if (path == NULL || path[0] != '/')
        return alfup_err_set(err, "path '%s' is not absolute", path ? path : ""), NULL;
    if (strlen(path) >= PATH_MAX)
        return alfup_err_set(err, "path is longer than %d bytes", PATH_MAX), NULL;
    char *canonical = resolve_partial(path, err);
    if (canonical == NULL)
        return NULL;
    if (canonical[0] == '\0' || strcmp(canonical, "/") == 0) {
        alfup_err_set(err, "path %s resolves to \"/\"", path);
        free(canonical);
        return NULL;
    }
    for (size_t i = 0; i < config->allowed_roots.count; i++)
        if (path_is_within(canonical, config->allowed_roots.items[i]))
            return canonical;
    alfup_err_set(err, "path %s (resolved to %s) is outside the agent's allowed_roots", path,
                  canonical);
    free(canonical);
    return NULL;
}
