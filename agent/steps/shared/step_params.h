/* step_params.h -- path parameters from the wire, checked against the agent's own config: inside its
 * allowed_roots, and for what a step writes into the backup set, inside its backup_dir. */
#ifndef ALFUP_STEP_PARAMS_H
#define ALFUP_STEP_PARAMS_H

#include "step.h"

/* Sets *out to the canonical form of the path in value, checked with
 * path_policy (caller frees). Returns STEP_SUCCEEDED, or STEP_REFUSED with
 * ctx's error set and *out NULL. key names the parameter in the message. */
step_status_t step_param_path(step_context_t *ctx, const char *key, const char *value, char **out);

/* Like step_param_path, and the path must also lie strictly inside the
 * agent's backup_dir (STEP_FAILED when backup_dir itself cannot be resolved). */
step_status_t step_param_backup_path(step_context_t *ctx, const char *key, const char *value, char **out);

#endif
