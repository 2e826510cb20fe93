/* db_params.h -- reading bounded numeric and identifier parameters of the db step kinds. */
#ifndef ALFUP_DB_PARAMS_H
#define ALFUP_DB_PARAMS_H

#include "step.h"

#define DB_JOBS_MIN 1u
#define DB_JOBS_MAX 16u
#define DB_JOBS_DEFAULT 2u
#define DB_TOOL_TIMEOUT_DEFAULT_S (6u * 3600u)
#define DB_TOOL_TIMEOUT_MAX_S (48u * 3600u)

/* Reads param key as a decimal in [min, max]; def when absent. Returns 0, or
 * -1 with a REFUSED error set on ctx (naming the key) when malformed. */
int db_param_uint(step_context_t *ctx, const char *key, unsigned min, unsigned max, unsigned def,
                  unsigned *out);

/* The param key, required and a valid identifier; NULL with a REFUSED error
 * set on ctx otherwise. */
const char *db_param_ident(step_context_t *ctx, const char *key);

/* The param key when present and a valid identifier, NULL when absent; sets
 * *bad to 1 (and a REFUSED error) when present but malformed. */
const char *db_param_ident_optional(step_context_t *ctx, const char *key, int *bad);

/* 1 when the agent's config has a postgres connection; else sets a REFUSED
 * error on ctx and returns 0. */
int db_param_config_ready(step_context_t *ctx);

/* For a step that makes database "database" (the target) from "source" for
 * role "owner": the config is ready and the three are valid identifiers, and
 * the target is not the source (which is never dropped or written). Returns
 * 0, or -1 with a REFUSED error set on ctx. */
int db_param_target_source_owner(step_context_t *ctx, const char **target, const char **source,
                                 const char **owner);

#endif
