/* archive_params.h -- parameter checks and target-folder handling shared by the archive steps. */
#ifndef ALFUP_ARCHIVE_PARAMS_H
#define ALFUP_ARCHIVE_PARAMS_H

#include "step.h"

/* Sets *out to the canonical form of the path in value, checked with
 * path_policy (caller frees). Returns STEP_SUCCEEDED, or STEP_REFUSED with
 * ctx's error set and *out NULL. key names the parameter in the message. */
step_status_t archive_param_path(step_context_t *ctx, const char *key, const char *value, char **out);

/* Like archive_param_path, and the path must also lie strictly inside the
 * agent's backup_dir (STEP_FAILED when backup_dir itself cannot be resolved). */
step_status_t archive_param_backup_path(step_context_t *ctx, const char *key, const char *value, char **out);

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
