/* run_commands.h -- the admin socket's run commands: run, status, watch, approve, resume, rollback, cancel. */
#ifndef ALFUP_RUN_COMMANDS_H
#define ALFUP_RUN_COMMANDS_H

#include <stdint.h>

#include "admin_server.h"
#include "run_engine.h"

#include <stdio.h>

/* Called for a run command that changes something (run_commands_is_action), after it ran and
 * before its reply is sent: the audit trail has it first. reply is the text the client gets. */
typedef void (*run_commands_audit_fn)(void *arg, uint64_t client_id, int argc, char **argv, int exit_code,
                                      const char *reply);

/* Answers the request when argv[0] is a run command; returns 1 then, else 0. audit may be NULL. */
int run_commands_handle(run_engine_t *engine, admin_server_t *admin, uint64_t client_id, int argc, char **argv,
                        run_commands_audit_fn audit, void *audit_arg);

/* Runs a run command, writing its reply text into out; its exit code (0 done, 1 refused or
 * failed, 2 bad request), or -1 when argv[0] is not a run command. */
int run_commands_answer(run_engine_t *engine, int argc, char **argv, FILE *out);

/* 1 when command changes a run (run, approve, resume, rollback, cancel): audited. */
int run_commands_is_action(const char *command);

#endif
