/* archive_progress.h -- rate-limited progress reports and cancel checks for archive work. */
#ifndef ALFUP_ARCHIVE_PROGRESS_H
#define ALFUP_ARCHIVE_PROGRESS_H

#include <stdint.h>

#include "step.h"

#define ARCHIVE_CANCELLED 1 /* returned by archive helpers when the step was cancelled */
#define ARCHIVE_PROGRESS_EVERY_MS 500u

/* Counters of a running archive step. Plain value: initialise with archive_progress_init. */
typedef struct archive_progress {
    step_context_t *ctx; /* may be NULL (no reports, never cancelled) */
    const char *what;    /* "backup", "verify", "restore", "install" */
    step_progress_t counts;
    uint64_t last_report_ms;
    char message[96];
} archive_progress_t;

void archive_progress_init(archive_progress_t *progress, step_context_t *ctx, const char *what);

/* Reports the counters when ARCHIVE_PROGRESS_EVERY_MS have passed since the
 * last report (or always when force is non-zero), with the percent of bytes
 * done in the message. Returns ARCHIVE_CANCELLED when the step was asked to
 * stop, else 0. */
int archive_progress_tick(archive_progress_t *progress, int force);

#endif
