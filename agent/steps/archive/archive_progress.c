/* archive_progress.c -- progress at least every half second, percent in the message. */
#include "archive_progress.h"

#include <stdio.h>

void archive_progress_init(archive_progress_t *progress, step_context_t *ctx, const char *what)
{
    *progress = (archive_progress_t){.ctx = ctx, .what = what};
    progress->last_report_ms = alfup_now_mono_ms();
}

int archive_progress_tick(archive_progress_t *progress, int force)
{
    if (progress->ctx == NULL)
        return 0;
    uint64_t now = alfup_now_mono_ms();
    if (force || now - progress->last_report_ms >= ARCHIVE_PROGRESS_EVERY_MS) {
        const step_progress_t *c = &progress->counts;
        unsigned percent = 0;
        if (c->bytes_total > 0)
            percent = (unsigned)(c->bytes_done >= c->bytes_total ? 100 : c->bytes_done * 100 / c->bytes_total);
        else if (c->files_total > 0)
            percent = (unsigned)(c->files_done >= c->files_total ? 100 : c->files_done * 100 / c->files_total);
        snprintf(progress->message, sizeof progress->message, "%s %u%%", progress->what, percent);
        progress->counts.message = progress->message;
        step_report(progress->ctx, &progress->counts);
        progress->last_report_ms = now;
    }
    return step_cancelled(progress->ctx) ? ARCHIVE_CANCELLED : 0;
}
