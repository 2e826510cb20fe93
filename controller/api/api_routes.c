/* api_routes.c -- the API's paths (docs/api.md) and the rights each needs. */
#include "api_routes.h"

#include <stdio.h>
#include <string.h>

#include "api_body.h"
#include "cert_identity.h"

#define API_PREFIX "/api/v1/"

static const struct {
    const char *method, *path; /* path after /api/v1/; "{id}" is a run id */
    api_action_t action;
} ROUTES[] = {
    {"GET", "agents", API_AGENTS},         {"GET", "runs", API_RUNS},
    {"GET", "runs/{id}", API_RUN},         {"GET", "audit", API_AUDIT},        {"GET", "events", API_EVENTS},
    {"GET", "whoami", API_WHOAMI},
    {"POST", "runs", API_START},           {"POST", "runs/{id}/approve", API_APPROVE},
    {"POST", "runs/{id}/resume", API_RESUME}, {"POST", "runs/{id}/rollback", API_ROLLBACK},
    {"POST", "runs/{id}/cancel", API_CANCEL},
    {"GET", "fleets", API_FLEETS},         {"GET", "fleets/{id}", API_FLEET},  {"POST", "fleets", API_FLEET_START},
    {"POST", "fleets/{id}/pause", API_FLEET_PAUSE}, {"POST", "fleets/{id}/resume", API_FLEET_RESUME},
    {"POST", "fleets/{id}/cancel", API_FLEET_CANCEL}, {"POST", "drain", API_DRAIN}, {"POST", "undrain", API_UNDRAIN},
};

/* Matches path against pattern, taking the "{id}" segment into run. */
static int path_matches(const char *pattern, const char *path, char *run, size_t run_len)
{
    const char *hole = strstr(pattern, "{id}");
    if (hole == NULL)
        return strcmp(pattern, path) == 0;
    size_t head = (size_t)(hole - pattern);
    if (strncmp(pattern, path, head) != 0)
        return 0;
    const char *id = path + head, *tail = hole + 4;
    const char *end = strchr(id, '/');
    size_t id_len = end ? (size_t)(end - id) : strlen(id);
    if (strcmp(end ? end : "", tail) != 0 || id_len == 0 || id_len >= run_len)
        return 0;
    memcpy(run, id, id_len);
    run[id_len] = '\0';
    return api_name_is_valid(run);
}

api_route_result_t api_route_match(const char *method, const char *path, api_action_t *action, char *run,
                                   size_t run_len)
{
    run[0] = '\0';
    if (strcmp(path, API_METRICS_PATH) == 0) /* where Prometheus looks by default */
        return strcmp(method, "GET") == 0 ? (*action = API_METRICS, API_ROUTE_OK) : API_ROUTE_BAD_METHOD;
    if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0)
        return API_ROUTE_NOT_FOUND;
    const char *rest = path + strlen(API_PREFIX);
    int path_known = 0;
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        char id[API_FIELD_MAX];
        if (!path_matches(ROUTES[i].path, rest, id, sizeof id))
            continue;
        path_known = 1;
        if (strcmp(ROUTES[i].method, method) != 0)
            continue;
        *action = ROUTES[i].action;
        snprintf(run, run_len, "%s", strstr(ROUTES[i].path, "{id}") ? id : "");
        return API_ROUTE_OK;
    }
    return path_known ? API_ROUTE_BAD_METHOD : API_ROUTE_NOT_FOUND;
}

unsigned api_route_roles(api_action_t action)
{
    switch (action) {
    case API_AGENTS:
    case API_RUNS:
    case API_RUN:
    case API_EVENTS:
    case API_METRICS:
    case API_WHOAMI:
    case API_FLEETS:
    case API_FLEET:
        return ROLE_CONSOLE_MASK;
    case API_AUDIT:
    case API_DRAIN:
    case API_UNDRAIN:
        return ROLE_ADMIN;
    case API_APPROVE:
        return ROLE_APPROVER;
    case API_START:
    case API_RESUME:
    case API_ROLLBACK:
    case API_CANCEL:
    case API_FLEET_START:
    case API_FLEET_PAUSE:
    case API_FLEET_RESUME:
    case API_FLEET_CANCEL:
        return ROLE_OPERATOR;
    default:
        return 0;
    }
}
