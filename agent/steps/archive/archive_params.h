/* archive_params.h -- parameter checks and target-folder handling shared by the archive steps. */
#ifndef ALFUP_ARCHIVE_PARAMS_H
#define ALFUP_ARCHIVE_PARAMS_H

#include "step.h"
#include "step_params.h" /* step_param_path, step_param_backup_path */

/* The optional integer parameter key in [min, max], def when absent. 0, or -1
 * with ctx's error set (STEP_REFUSED). */
int archive_param_int(step_context_t *ctx, const char *key, int def, int min, int max, int *out);

/* The optional boolean parameter key: "true"/"yes"/"1" or "false"/"no"/"0",
 * def when absent. 0, or -1 with ctx's error set (STEP_REFUSED). */
int archive_param_bool(step_context_t *ctx, const char *key, int def, int *out);

/* Makes sure target (canonical) is an empty folder: refuses a non-empty one
 * or a non-folder, naming it; creates it (mode 0750, with parents) when
 * absent, setting *created. Returns STEP_SUCCEEDED or the failure status with
 * ctx's error set. */
step_status_t archive_target_prepare(step_context_t *ctx, const char *target, int *created);

/* Makes what was written below target durable: one syncfs(2) on its file
 * system. 0 or ALFUP_ERR. */
int archive_target_sync(const char *target, alfup_err_t *err);

/* Removes what a failed or cancelled extraction wrote: the whole target when
 * this step created it, else its contents. A failure to clean up is added to
 * the result's log lines. */
void archive_target_discard(step_context_t *ctx, const char *target, int created);

#endif
