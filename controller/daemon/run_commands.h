/* run_commands.h -- the admin socket's run commands: run, status, watch, approve, resume, rollback, cancel. */
#ifndef ALFUP_RUN_COMMANDS_H
#define ALFUP_RUN_COMMANDS_H

#include <stdint.h>

#include "admin_server.h"
#include "run_engine.h"

/* Answers the request when argv[0] is a run command; returns 1 then, else 0. */
int run_commands_handle(run_engine_t *engine, admin_server_t *admin, uint64_t client_id, int argc, char **argv);

#endif
