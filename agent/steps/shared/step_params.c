/* step_params.c -- path parameters from the wire, checked against the agent's own config: inside its
 * allowed_roots, and for what a step writes into the backup set, inside its backup_dir. */
#include "step_params.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "path_policy.h"

step_status_t step_param_path(step_context_t *ctx, const char *key, const char *value, char **out)
{
    alfup_err_t err = {{0}};
    *out = value ? path_policy_resolve(ctx->config, value, &err) : NULL;
    if (*out == NULL)
        return step_fail(ctx, STEP_REFUSED, "%s: parameter %s: %s", ctx->step_id, key, value ? err.msg : "missing");
    return STEP_SUCCEEDED;
}

step_status_t step_param_backup_path(step_context_t *ctx, const char *key, const char *value, char **out)
{
    step_status_t status = step_param_path(ctx, key, value, out);
    if (status != STEP_SUCCEEDED)
        return status;
    char backup_dir[PATH_MAX];
    if (ctx->config->backup_dir == NULL || realpath(ctx->config->backup_dir, backup_dir) == NULL)
        status = step_fail(ctx, STEP_FAILED, "%s: backup_dir %s: %s", ctx->step_id,
                           ctx->config->backup_dir ? ctx->config->backup_dir : "(not configured)", strerror(errno));
    else if (!path_is_within(*out, backup_dir) || strcmp(*out, backup_dir) == 0)
        status = step_fail(ctx, STEP_REFUSED, "%s: parameter %s: %s is not inside the agent's backup_dir %s",
                           ctx->step_id, key, *out, backup_dir);
    if (status != STEP_SUCCEEDED) {
        free(*out);
        *out = NULL;
    }
    return status;
}
