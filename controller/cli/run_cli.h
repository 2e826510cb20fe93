/* run_cli.h -- the run commands of alfup-controller's command line: run, status, runs,
 * approve, resume, rollback, cancel (with --wait: live progress until the run settles). */
#ifndef ALFUP_RUN_CLI_H
#define ALFUP_RUN_CLI_H

/* Exit codes of `run --wait` (and of resume/rollback --wait). */
#define RUN_EXIT_SUCCEEDED 0
#define RUN_EXIT_FAILED 1
#define RUN_EXIT_ROLLED_BACK 4
#define RUN_EXIT_WAITING 5
#define RUN_EXIT_CANCELLED 6
#define RUN_EXIT_PAUSED 7

/* The exit code of --wait for a run in state (run_state_name) and paused: one of RUN_EXIT_*, or -1
 * while the run is still going. */
int run_cli_exit_for(const char *state, int paused);

/* 1 when command is one of the run commands. */
int run_cli_is_command(const char *command);

/* For `plan check`: asks the daemon whether the plan's agents are online with
 * their roles. 0 when they are or the daemon is unreachable (said on stderr), 1 otherwise. */
int run_cli_check_agents(const char *admin_socket, const char *plan_path);

/* Runs the command (words[0]) against the daemon's admin socket; returns the exit code. */
int run_cli_main(const char *admin_socket, int count, char **words);

#endif
