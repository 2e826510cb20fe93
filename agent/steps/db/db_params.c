/* db_params.c -- bounded numeric and identifier parameters of the db step kinds. */
#include "db_params.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db_ident.h"

int db_param_uint(step_context_t *ctx, const char *key, unsigned min, unsigned max, unsigned def,
                  unsigned *out)
{
    const char *text = kv_list_get(ctx->params, key);
    if (text == NULL || text[0] == '\0') {
        *out = def;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || errno != 0 || *end != '\0' || value < min ||
        value > max) {
        step_fail(ctx, STEP_REFUSED, "%s: parameter %s='%.40s' is not a number in %u..%u",
                  ctx->step_id, key, text, min, max);
        return -1;
    }
    *out = (unsigned)value;
    return 0;
}

/* value when it is a valid identifier for key; else the step is refused, saying why, and NULL. */
static const char *checked_ident(step_context_t *ctx, const char *key, const char *value)
{
    alfup_err_t err;
    if (db_ident_check(key, value, &err) != ALFUP_OK) {
        step_fail(ctx, STEP_REFUSED, "%s: %s", ctx->step_id, err.msg);
        return NULL;
    }
    return value;
}

const char *db_param_ident(step_context_t *ctx, const char *key)
{
    const char *value = step_param_required(ctx, key);
    return value == NULL ? NULL : checked_ident(ctx, key, value);
}

const char *db_param_ident_optional(step_context_t *ctx, const char *key, int *bad)
{
    const char *value = kv_list_get(ctx->params, key);
    *bad = 0;
    if (value == NULL || value[0] == '\0')
        return NULL;
    value = checked_ident(ctx, key, value);
    *bad = value == NULL;
    return value;
}

int db_param_config_ready(step_context_t *ctx)
{
    if (ctx->config->postgres.conninfo != NULL)
        return 1;
    step_fail(ctx, STEP_REFUSED, "%s: this agent has no postgres connection in its config",
              ctx->step_id);
    return 0;
}

int db_param_target_source_owner(step_context_t *ctx, const char **target, const char **source,
                                 const char **owner)
{
    if (!db_param_config_ready(ctx) || (*target = db_param_ident(ctx, "database")) == NULL ||
        (*source = db_param_ident(ctx, "source")) == NULL ||
        (*owner = db_param_ident(ctx, "owner")) == NULL)
        return -1;
    if (strcmp(*target, *source) == 0) {
        step_fail(ctx, STEP_REFUSED,
                  "%s: target database %s is the source database; the source is never "
                  "dropped or written",
                  ctx->step_id, *target);
        return -1;
    }
    return 0;
}
