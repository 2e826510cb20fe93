/* fleet_commands.h -- the fleet runner inside the daemon: its view of the run engine (fleet_runner_ops_t) and the
 * admin socket's fleet commands (fleet start|status|pause|resume|cancel, drain, undrain). */
#ifndef ALFUP_FLEET_COMMANDS_H
#define ALFUP_FLEET_COMMANDS_H

#include <stdio.h>

#include "fleet_runner.h"
#include "run_engine.h"

/* The runner's operations on engine, with the wall clock. */
fleet_runner_ops_t fleet_commands_ops(run_engine_t *engine);

/* Answers a fleet command (argv[0] "fleet", "drain" or "undrain") into out: its exit code (0, 1 failure,
 * 2 usage), or -1 when argv is not one. */
int fleet_commands_answer(fleet_runner_t *runner, int argc, char **argv, FILE *out);

/* 1 when argv is a fleet command that changes something (audited). */
int fleet_commands_is_action(int argc, char **argv);

#endif
