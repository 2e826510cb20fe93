/* plan_cli.h -- `alfup-controller plan check PLAN` and `plan show PLAN [--json]`: no daemon needed. */
#ifndef ALFUP_PLAN_CLI_H
#define ALFUP_PLAN_CLI_H

#include <stdio.h>

#include "run_plan.h"

#define PLAN_CLI_SYSTEM_WORKFLOWS "/usr/share/alfup/workflows"
#define PLAN_CLI_ENV_WORKFLOWS "ALFUP_WORKFLOWS_DIR"

/* Runs `plan ...`: words[0] is "plan", then check|show, PLAN, and options
 * (--json for show; --workflows DIR for both). Messages go to out and err.
 * Returns the exit code: 0 ok, 1 the plan has errors (each "FILE:LINE: ..."
 * on err) or cannot be read, 2 usage error. */
int plan_cli_main(int count, char **words, FILE *out, FILE *err);

/* The workflows folder: option (may be NULL), else $ALFUP_WORKFLOWS_DIR, else
 * ALFUP_DEFAULT_WORKFLOWS_DIR (the build's deploy/workflows) when it exists,
 * else PLAN_CLI_SYSTEM_WORKFLOWS. Writes into buf (len bytes). */
const char *plan_cli_workflows_dir(const char *option, char *buf, size_t len);

/* Writes the dry run of plan as text / as one JSON object. */
void plan_cli_show_text(const run_plan_t *plan, FILE *out);
void plan_cli_show_json(const run_plan_t *plan, FILE *out);

#endif
