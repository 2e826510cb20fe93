/* api_commands.h -- what the daemon does with the API's requests: the admin socket's commands,
 * answered as JSON with HTTP statuses, every action audited before its answer. */
#ifndef ALFUP_API_COMMANDS_H
#define ALFUP_API_COMMANDS_H

#include "agent_registry.h"
#include "api_request.h"
#include "controller_config.h"
#include "fleet_runner.h"
#include "journal.h"
#include "run_engine.h"

#define API_AUDIT_LIMIT 1000u /* GET /api/v1/audit: the newest entries */

typedef struct api_commands {
    run_engine_t *engine;
    const agent_registry_t *registry;
    journal_t *journal;
    const controller_api_t *config;
    const controller_config_t *controller; /* the certificates GET /metrics reports */
    fleet_runner_t *fleets;
} api_commands_t;

/* Answers request: the HTTP status, *body a malloc'd JSON text (NULL when memory ran out).
 * Refused requests (request->denied, four eyes) and every action are in the audit trail first. */
unsigned api_commands_answer(const api_commands_t *commands, const api_request_t *request, char **body);

#endif
