/* remote_cli.h -- `alfup-controller --api URL --cert FILE --key FILE [--ca FILE] COMMAND`: the run
 * commands against a remote controller through its HTTPS API (docs/api.md) instead of the admin socket. */
#ifndef ALFUP_REMOTE_CLI_H
#define ALFUP_REMOTE_CLI_H

#include <stdio.h>

#include "api_client.h"

/* 1 when command is one remote_cli_main runs. */
int remote_cli_is_command(const char *command);

/* Runs words (agents, runs, status [RUN], run PLAN, approve RUN [GATE], resume, rollback, cancel RUN,
 * audit, metrics; --json where the local command has it; --wait for run, resume, rollback and status)
 * through the API. The answer goes to out, errors to errors. Exit codes as the local commands': 0, 1
 * refused or failed (the API's reason), 2 usage, 3 the API unreachable; with --wait the RUN_EXIT_*
 * of run_cli.h (4 rolled back, 5 waiting at a gate, 6 cancelled, 7 paused). */
int remote_cli_main(const api_client_t *client, int count, char **words, FILE *out, FILE *errors);

#endif
