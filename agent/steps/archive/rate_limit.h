/* rate_limit.h -- a bandwidth cap for the online backup's reads: a token bucket that waits in short slices, still
 * reporting progress and honouring cancellation. */
#ifndef ALFUP_RATE_LIMIT_H
#define ALFUP_RATE_LIMIT_H

#include <stdint.h>

#include "archive_progress.h"

#define RATE_LIMIT_SLICE_MS 100u /* longest single sleep */
#define RATE_LIMIT_BURST_MS 250u /* tokens that may pile up while idle */

/* Plain value; bytes_per_s 0 means no cap. */
typedef struct rate_limit {
    uint64_t bytes_per_s;
    int64_t tokens;   /* bytes that may be read now; negative: owed */
    uint64_t last_ms; /* monotonic time tokens were last added */
} rate_limit_t;

void rate_limit_init(rate_limit_t *limit, uint64_t bytes_per_s);

/* Waits until nothing is owed (the bytes read so far fit the cap). Ticks
 * progress at each slice. 0, or ARCHIVE_CANCELLED when the step was asked to stop. */
int rate_limit_wait(rate_limit_t *limit, archive_progress_t *progress);

/* Counts bytes that were read (they may put the bucket in debt). */
void rate_limit_spend(rate_limit_t *limit, uint64_t bytes);

#endif
