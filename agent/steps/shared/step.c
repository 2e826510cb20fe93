/* step.c -- helpers shared by step implementations. */
#include "step.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

step_status_t step_fail(step_context_t *ctx, step_status_t status, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = vasprintf(&text, fmt, ap);
    va_end(ap);
    free(ctx->result->error);
    ctx->result->error = len < 0 ? NULL : text;
    return status;
}

void step_report(step_context_t *ctx, const step_progress_t *progress)
{
    if (ctx->progress != NULL)
        ctx->progress(ctx->progress_arg, progress);
}

int step_cancelled(const step_context_t *ctx)
{
    return ctx->cancel != NULL && atomic_load(ctx->cancel) != 0;
}

const char *step_param_required(step_context_t *ctx, const char *key)
{
    const char *value = kv_list_get(ctx->params, key);
    if (value == NULL || value[0] == '\0') {
        step_fail(ctx, STEP_REFUSED, "%s: missing parameter '%s'", ctx->step_id, key);
        return NULL;
    }
    return value;
}
