/* step_ping.c -- the "ping" step: echoes its payload, optionally after holding a while. */
#include "step_ping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PING_PAYLOAD_MAX 4096
#define PING_HOLD_MAX_MS 600000ul
#define PING_HOLD_SLICE_MS 50ul

/* Sleeps hold_ms in slices, reporting how much of it has passed (the step runner sends at most two
 * reports a second), stopping early when cancelled. 0, or -1 if cancelled. */
static int hold(step_context_t *ctx, unsigned long hold_ms)
{
    for (unsigned long slept = 0; slept < hold_ms; slept += PING_HOLD_SLICE_MS) {
        if (step_cancelled(ctx))
            return -1;
        char message[64];
        snprintf(message, sizeof message, "held %lu of %lu ms", slept, hold_ms);
        step_report(ctx, &(step_progress_t){.message = message});
        struct timespec slice = {.tv_nsec = (long)PING_HOLD_SLICE_MS * 1000000L};
        nanosleep(&slice, NULL);
    }
    return 0;
}

step_status_t step_ping_run(step_context_t *ctx)
{
    const char *payload = kv_list_get(ctx->params, "payload");
    const char *hold_text = kv_list_get(ctx->params, "hold_ms");
    if (payload == NULL)
        payload = "";
    if (strlen(payload) > PING_PAYLOAD_MAX)
        return step_fail(ctx, STEP_REFUSED, "ping: payload longer than %d bytes", PING_PAYLOAD_MAX);
    unsigned long hold_ms = 0;
    if (hold_text != NULL) {
        char *end = NULL;
        hold_ms = strtoul(hold_text, &end, 10);
        if (end == hold_text || *end != '\0' || hold_ms > PING_HOLD_MAX_MS)
            return step_fail(ctx, STEP_REFUSED, "ping: hold_ms must be 0..%lu", PING_HOLD_MAX_MS);
    }
    if (hold(ctx, hold_ms) != 0)
        return step_fail(ctx, STEP_CANCELLED, "ping: cancelled");
    if (kv_list_add(&ctx->result->outputs, "payload", payload) != 0 ||
        kv_list_add(&ctx->result->outputs, "agent", ctx->config->name) != 0)
        return step_fail(ctx, STEP_FAILED, "ping: out of memory");
    return STEP_SUCCEEDED;
}
