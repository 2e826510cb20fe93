/* step_ping.c -- the "ping" step: answers at once, echoing its payload. */
#include "step_ping.h"

#include <string.h>

#define PING_PAYLOAD_MAX 4096

step_status_t step_ping_run(step_context_t *ctx)
{
    const char *payload = kv_list_get(ctx->params, "payload");
    if (payload == NULL)
        payload = "";
    if (strlen(payload) > PING_PAYLOAD_MAX)
        return step_fail(ctx, STEP_REFUSED, "ping: payload longer than %d bytes", PING_PAYLOAD_MAX);
    if (kv_list_add(&ctx->result->outputs, "payload", payload) != 0 ||
        kv_list_add(&ctx->result->outputs, "agent", ctx->config->name) != 0)
        return step_fail(ctx, STEP_FAILED, "ping: out of memory");
    return STEP_SUCCEEDED;
}
