/* step_preflight.h -- the "preflight" step: checks before an upgrade touches anything. */
#ifndef ALFUP_STEP_PREFLIGHT_H
#define ALFUP_STEP_PREFLIGHT_H

#include "step.h"

#define PREFLIGHT_REPEAT_MAX 64u
/* Free space in backup_dir must be at least estimate * 11 / 10. */
#define PREFLIGHT_SPACE_NUM 11u
#define PREFLIGHT_SPACE_DEN 10u

/* Params (each optional, the list ones repeatable up to PREFLIGHT_REPEAT_MAX):
 * path_exists=P, path_absent=P, size_tree=P, database=NAME, service=NAME,
 * tool=NAME, backup_dir=P (the plan's), copy_to=P and copy_server=NAME (preflight_copy.h;
 * copy_server needs database). Every check adds an output "<check>" = "ok" or
 * "FAIL: reason" (and the same as a log line). Fails when any check fails; refused when a
 * parameter is malformed. Also reports, for the controller's checks across hosts:
 * backup_dir (this agent's), backup_dir_same (yes|no, given the param) and, with the free
 * space, backup_fs (preflight_fs.h). See docs/steps-db.md for the list of checks. */
step_status_t step_preflight_run(step_context_t *ctx);

#endif
