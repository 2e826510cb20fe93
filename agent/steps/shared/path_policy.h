/* path_policy.h -- may the agent touch this path? Only inside allowed_roots. */
#ifndef ALFUP_PATH_POLICY_H
#define ALFUP_PATH_POLICY_H

#include "agent_config.h"
#include "alfup_error.h"
#include "path_within.h"

/* Resolves path (which must be absolute) with realpath(3) -- for a path that
 * does not exist yet, its deepest existing ancestor is resolved and the rest
 * appended -- and checks that the result lies inside one of the config's
 * allowed_roots and is not "/" itself. Returns a newly allocated canonical
 * path (caller frees), or NULL with err naming the path and the reason. */
char *path_policy_resolve(const agent_config_t *config, const char *path, alfup_err_t *err);

#endif
