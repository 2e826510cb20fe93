/* api_routes.h -- which action a method and path name, and which roles may take it. */
#ifndef ALFUP_API_ROUTES_H
#define ALFUP_API_ROUTES_H

#include <stddef.h>

#include "api_request.h"

typedef enum api_route_result { API_ROUTE_OK, API_ROUTE_NOT_FOUND, API_ROUTE_BAD_METHOD } api_route_result_t;

#define API_METRICS_PATH "/metrics"

/* Matches method ("GET", "POST") and path under /api/v1, or GET API_METRICS_PATH. On API_ROUTE_OK, *action is set and the
 * run id in the path (if any) copied into run (run_len bytes; a path whose run id is not a valid
 * name is API_ROUTE_NOT_FOUND). */
api_route_result_t api_route_match(const char *method, const char *path, api_action_t *action, char *run,
                                   size_t run_len);

/* The cert_role_t bits of which one is enough for action: reads for every console role, start /
 * resume / rollback / cancel (of runs and fleets) for operator, approve for approver, the audit trail and
 * drain / undrain for admin. */
unsigned api_route_roles(api_action_t action);

#endif
