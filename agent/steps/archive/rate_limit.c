/* rate_limit.c -- token bucket for the online backup's reads (see rate_limit.h). */
#include "rate_limit.h"

#include <time.h>

#define MS_PER_S 1000u

void rate_limit_init(rate_limit_t *limit, uint64_t bytes_per_s)
{
    *limit = (rate_limit_t){.bytes_per_s = bytes_per_s, .last_ms = alfup_now_mono_ms()};
}

static void refill(rate_limit_t *limit)
{
    uint64_t now = alfup_now_mono_ms();
    int64_t burst = (int64_t)(limit->bytes_per_s * RATE_LIMIT_BURST_MS / MS_PER_S);
    limit->tokens += (int64_t)((now - limit->last_ms) * limit->bytes_per_s / MS_PER_S);
    limit->last_ms = now;
    if (limit->tokens > burst)
        limit->tokens = burst;
}

int rate_limit_wait(rate_limit_t *limit, archive_progress_t *progress)
{
    if (limit->bytes_per_s == 0)
        return 0;
    for (;;) {
        refill(limit);
        if (limit->tokens >= 0)
            return 0;
        uint64_t wait_ms = (uint64_t)(-limit->tokens) * MS_PER_S / limit->bytes_per_s + 1;
        if (wait_ms > RATE_LIMIT_SLICE_MS)
            wait_ms = RATE_LIMIT_SLICE_MS;
        struct timespec slice = {(time_t)(wait_ms / MS_PER_S), (long)(wait_ms % MS_PER_S) * 1000000L};
        nanosleep(&slice, NULL);
        if (archive_progress_tick(progress, 0) == ARCHIVE_CANCELLED)
            return ARCHIVE_CANCELLED;
    }
}

void rate_limit_spend(rate_limit_t *limit, uint64_t bytes)
{
    if (limit->bytes_per_s != 0)
        limit->tokens -= (int64_t)bytes;
}
