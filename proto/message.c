/* message.c -- freeing messages, step id rules, clocks. */
#include "message.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void msg_step_result_clear(msg_step_result_t *result)
{
    free(result->step_id);
    free(result->kind);
    free(result->error);
    kv_list_clear(&result->outputs);
    str_list_clear(&result->log_lines);
    memset(result, 0, sizeof *result);
}

void alfup_msg_clear(alfup_msg_t *msg)
{
    if (msg == NULL)
        return;
    free(msg->hello.name);
    free(msg->hello.version);
    free(msg->hello.hostname);
    free(msg->request.step_id);
    free(msg->request.kind);
    free(msg->request.approval);
    kv_list_clear(&msg->request.params);
    free(msg->progress.step_id);
    free(msg->progress.message);
    msg_step_result_clear(&msg->result);
    free(msg->ack_step_id);
    memset(msg, 0, sizeof *msg);
}

int step_id_is_valid(const char *id)
{
    if (id == NULL || id[0] == '\0' || id[0] == '.')
        return 0;
    size_t len = strnlen(id, ALFUP_STEP_ID_MAX + 1);
    if (len > ALFUP_STEP_ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '@';
        if (!ok)
            return 0;
    }
    return 1;
}

const char *step_status_name(step_status_t status)
{
    switch (status) {
    case STEP_SUCCEEDED: return "succeeded";
    case STEP_FAILED: return "failed";
    case STEP_CANCELLED: return "cancelled";
    case STEP_REFUSED: return "refused";
    default: return "unknown";
    }
}

static uint64_t clock_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t alfup_now_unix_ms(void) { return clock_ms(CLOCK_REALTIME); }
uint64_t alfup_now_mono_ms(void) { return clock_ms(CLOCK_MONOTONIC); }
