/* run_preflight_review.c -- the checks across hosts made once the preflight stage has passed and
 * before the first step that stops anything: every agent's backup_dir is the plan's, and hosts
 * whose backups and copies (the prestaged workflow's copy_to: the new dir.root, the new Solr data)
 * go to one filesystem have room for all of them together. */
#include "run_engine_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define COMPONENT ENGINE_COMPONENT
#define REVIEW_ERROR_MAX 1500
#define PREFLIGHT_KIND "preflight"

static int is_preflight(const planned_step_t *p)
{
    return strcmp(p->kind, PREFLIGHT_KIND) == 0;
}

static void appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void appendf(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* 1 when preflight step i was given the plan's backup_dir and did not report it as its own. */
static int backup_dir_differs(const run_t *run, size_t i)
{
    const char *same = kv_list_get(&run->steps[i].result.outputs, "backup_dir_same");
    return is_preflight(&run->plan->steps[i]) && kv_list_get(&run->plan->steps[i].params, "backup_dir") &&
           (same == NULL || strcmp(same, "yes") != 0);
}

/* Every host whose backup_dir is not the plan's, named in one error set on each of its steps. */
static int review_backup_dirs(run_engine_t *e, run_t *run, size_t end)
{
    char hosts[REVIEW_ERROR_MAX / 2] = "", error[REVIEW_ERROR_MAX];
    const char *plans = NULL;
    for (size_t i = 0; i < end; i++) {
        if (!backup_dir_differs(run, i))
            continue;
        plans = kv_list_get(&run->plan->steps[i].params, "backup_dir");
        int named = 0;
        for (size_t j = 0; j < i && !named; j++)
            named = backup_dir_differs(run, j) && strcmp(run->plan->steps[j].agent, run->plan->steps[i].agent) == 0;
        const char *theirs = kv_list_get(&run->steps[i].result.outputs, "backup_dir");
        if (!named)
            appendf(hosts, sizeof hosts, "%s%s (%s)", hosts[0] ? ", " : "", run->plan->steps[i].agent,
                    theirs ? theirs : "not reported");
    }
    if (plans == NULL)
        return ALFUP_OK;
    snprintf(error, sizeof error,
             "the plan's backup_dir %s is not the backup_dir of %s; every host needs the "
             "same backup_dir as the plan (docs/plan.md), nothing was stopped",
             plans, hosts);
    alfup_log(LOG_LEVEL_ERROR, COMPONENT, "run %s: %s", run->id, error);
    for (size_t i = 0; i < end; i++)
        if (backup_dir_differs(run, i))
            engine_settle_failed(e, run, 0, i, RSTEP_FAILED, error);
    return ALFUP_ERR;
}

/* What a succeeded preflight step reported for its backups (which 0: backup_fs,
 * space_needed_bytes, space_free_bytes) or its copies (which 1: copy_fs, copy_needed_bytes,
 * copy_free_bytes): the filesystem, with its need and free bytes; NULL when none. */
#define REPORT_KINDS 2
static const char *space_report(const run_t *run, size_t i, int which, uint64_t *need, uint64_t *free_bytes)
{
    static const char *const KEYS[REPORT_KINDS][3] = {
        {"backup_fs", "space_needed_bytes", "space_free_bytes"},
        {"copy_fs", "copy_needed_bytes", "copy_free_bytes"}};
    const kv_list_t *out = &run->steps[i].result.outputs;
    const char *fs = kv_list_get(out, KEYS[which][0]);
    const char *need_text = kv_list_get(out, KEYS[which][1]), *free_text = kv_list_get(out, KEYS[which][2]);
    if (!is_preflight(&run->plan->steps[i]) || run->steps[i].state != RSTEP_SUCCEEDED || !fs || !need_text ||
        !free_text)
        return NULL;
    char *end_need = NULL, *end_free = NULL;
    *need = strtoull(need_text, &end_need, 10);
    *free_bytes = strtoull(free_text, &end_free, 10);
    return *end_need == '\0' && *end_free == '\0' ? fs : NULL;
}

/* 1 when an earlier report than (i, which) named the filesystem fs (its group was checked then). */
static int fs_seen(const run_t *run, size_t i, int which, const char *fs)
{
    uint64_t need, free_bytes;
    for (size_t j = 0; j <= i; j++)
        for (int w = 0; w < REPORT_KINDS && (j < i || w < which); w++) {
            const char *other = space_report(run, j, w, &need, &free_bytes);
            if (other && strcmp(other, fs) == 0)
                return 1;
        }
    return 0;
}

/* The reports from step first on that named fs: their needs added up, the least free space any
 * of them saw, and "host step (N bytes)" for each into hosts. How many there are. */
static size_t fs_group(const run_t *run, size_t first, size_t end, const char *fs, uint64_t *total,
                       uint64_t *least_free, char *hosts, size_t hosts_len)
{
    size_t members = 0;
    *total = 0;
    *least_free = UINT64_MAX;
    for (size_t i = first; i < end; i++)
        for (int w = 0; w < REPORT_KINDS; w++) {
            uint64_t need, free_bytes;
            const char *other = space_report(run, i, w, &need, &free_bytes);
            if (other == NULL || strcmp(other, fs) != 0)
                continue;
            members++;
            *total += need;
            *least_free = free_bytes < *least_free ? free_bytes : *least_free;
            appendf(hosts, hosts_len, "%s%s %s%s (%" PRIu64 " bytes)", hosts[0] ? ", " : "", run->plan->steps[i].agent,
                    run->plan->steps[i].workflow_step, w ? " copy" : "", need);
        }
    return members;
}

/* Fails the steps of every filesystem that holds the backups or copies of several preflight
 * reports without room for all of them; each step alone was checked on its host. */
static int review_shared_space(run_engine_t *e, run_t *run, size_t end)
{
    int rc = ALFUP_OK;
    for (size_t i = 0; i < end; i++)
        for (int which = 0; which < REPORT_KINDS; which++) {
            uint64_t need, free_bytes, total, least_free;
            const char *fs = space_report(run, i, which, &need, &free_bytes);
            if (fs == NULL || fs_seen(run, i, which, fs))
                continue;
            char hosts[REVIEW_ERROR_MAX / 2] = "", error[REVIEW_ERROR_MAX];
            if (fs_group(run, i, end, fs, &total, &least_free, hosts, sizeof hosts) < 2 || total <= least_free)
                continue;
            snprintf(error, sizeof error,
                     "the backups of %s go to one filesystem (%s): together they need %" PRIu64
                     " bytes (each 1.1 x its estimate), it has %" PRIu64 " bytes free; nothing was stopped",
                     hosts, fs, total, least_free);
            alfup_log(LOG_LEVEL_ERROR, COMPONENT, "run %s: %s", run->id, error);
            for (size_t j = i; j < end; j++)
                for (int w = 0; w < REPORT_KINDS; w++) {
                    const char *other = space_report(run, j, w, &need, &free_bytes);
                    if (other && strcmp(other, fs) == 0 && run->steps[j].state != RSTEP_FAILED)
                        engine_settle_failed(e, run, 0, j, RSTEP_FAILED, error);
                }
            rc = ALFUP_ERR;
        }
    return rc;
}

int engine_review_preflight(run_engine_t *e, run_t *run, size_t open)
{
    const run_plan_t *plan = run->plan;
    if (open == 0 || open >= plan->step_count || !is_preflight(&plan->steps[open - 1]) ||
        is_preflight(&plan->steps[open]))
        return ALFUP_OK;
    for (size_t i = open; i < plan->step_count && plan->steps[i].stage == plan->steps[open].stage; i++)
        if (run->steps[i].state != RSTEP_PENDING)
            return ALFUP_OK; /* reviewed already: the stage after the preflight has begun */
    if (review_backup_dirs(e, run, open) != ALFUP_OK)
        return ALFUP_ERR;
    return review_shared_space(e, run, open);
}
