/* ping_waits.c -- matching ping results to the command that asked, and its report. */
#include "ping_waits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_writer.h"

uint64_t ping_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* qsort_r/bsearch comparison of two target indexes, or of a step id (key) with one. */
static int by_step_id(const void *a, const void *b, void *targets)
{
    const ping_target_t *t = targets;
    return strcmp(t[*(const size_t *)a].step_id, t[*(const size_t *)b].step_id);
}

int ping_wait_index(ping_wait_t *w)
{
    free(w->by_step_id);
    w->by_step_id = malloc((w->count ? w->count : 1) * sizeof *w->by_step_id);
    if (w->by_step_id == NULL)
        return -1;
    for (size_t i = 0; i < w->count; i++)
        w->by_step_id[i] = i;
    qsort_r(w->by_step_id, w->count, sizeof *w->by_step_id, by_step_id, w->targets);
    return 0;
}

/* The target of w waiting for step_id, or NULL. */
static ping_target_t *find_target(ping_wait_t *w, const char *step_id)
{
    if (w->by_step_id == NULL) {
        for (size_t i = 0; i < w->count; i++)
            if (strcmp(w->targets[i].step_id, step_id) == 0)
                return &w->targets[i];
        return NULL;
    }
    size_t lo = 0, hi = w->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(step_id, w->targets[w->by_step_id[mid]].step_id);
        if (cmp == 0)
            return &w->targets[w->by_step_id[mid]];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

int ping_waits_answer(ping_wait_t *waits, const msg_step_result_t *result)
{
    for (ping_wait_t *w = waits; w; w = w->next) {
        ping_target_t *t = find_target(w, result->step_id);
        if (t == NULL || t->answered_us)
            continue;
        t->answered_us = ping_now_us();
        if (result->status == STEP_SUCCEEDED)
            snprintf(t->status, sizeof t->status, "ok");
        else
            snprintf(t->status, sizeof t->status, "%s", step_status_name(result->status));
        return 1;
    }
    return 0;
}

int ping_wait_done(ping_wait_t *w, uint64_t now_ms)
{
    int waiting = 0;
    for (size_t i = 0; i < w->count; i++)
        waiting += w->targets[i].answered_us == 0 && w->targets[i].sent_us != 0;
    if (waiting == 0)
        return 1;
    if (now_ms < w->deadline_ms)
        return 0;
    for (size_t i = 0; i < w->count; i++)
        if (w->targets[i].answered_us == 0 && w->targets[i].sent_us != 0)
            snprintf(w->targets[i].status, sizeof w->targets[i].status, "timeout");
    return 1;
}

static double rtt_ms(const ping_target_t *t)
{
    return t->answered_us ? (double)(t->answered_us - t->sent_us) / 1000.0 : -1.0;
}

char *ping_wait_report(const ping_wait_t *w, int *all_ok)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    *all_ok = w->count > 0;
    if (w->json)
        fputs("{\"agents\":[", f);
    else
        fprintf(f, "%-20s %-10s %s\n", "AGENT", "RESULT", "ROUND TRIP");
    for (size_t i = 0; i < w->count; i++) {
        const ping_target_t *t = &w->targets[i];
        int ok = strcmp(t->status, "ok") == 0;
        *all_ok = *all_ok && ok;
        if (w->json) {
            fprintf(f, "%s{\"name\":", i ? "," : "");
            json_write_string(f, t->agent);
            fputs(",\"status\":", f);
            json_write_string(f, t->status);
            if (ok)
                fprintf(f, ",\"rtt_ms\":%.3f", rtt_ms(t));
            fputc('}', f);
        } else if (ok) {
            fprintf(f, "%-20s %-10s %.3f ms\n", t->agent, t->status, rtt_ms(t));
        } else {
            fprintf(f, "%-20s %-10s -\n", t->agent, t->status);
        }
    }
    if (w->json)
        fputs("]}\n", f);
    else if (w->count == 0)
        fputs("(no agent is online)\n", f);
    fclose(f);
    return text;
}

void ping_wait_free(ping_wait_t *w)
{
    if (w == NULL)
        return;
    free(w->targets);
    free(w->by_step_id);
    free(w);
}
