/* downtime_estimate.c -- the cutover's estimated downtime, stage by stage, from what the run measured
 * before it (downtime_estimate.h; docs/runs.md, "The downtime estimate"). Every step of the downtime
 * is given a guess from one measurement, named in the basis (the delta's in downtime_delta.c); a step
 * that nothing measured makes the estimate unknown rather than guessed from nothing. */
#include "downtime_estimate.h"

#include <stdio.h>
#include <string.h>

#include "downtime_delta.h"
#include "downtime_measure.h"

#define GUESS_BASIS_MAX DOWNTIME_GUESS_BASIS_MAX
#define MS_PER_S 1000.0
#define BYTES_PER_MIB (1024.0 * 1024.0)

typedef enum part { PART_STOP, PART_DB, PART_DELTA, PART_START, PART_OTHER, PART_COUNT } part_t;

static const char *const PART_NAMES[PART_COUNT] = {"stop", "db", "delta", "start", "other"};

typedef struct step_guess {
    part_t part;
    int64_t ms;
    int known;
    char basis[GUESS_BASIS_MAX];
} step_guess_t;

typedef struct estimate_walk {
    const run_t *run;
    size_t from, to;
    int repo_started;     /* the span's first repository start was guessed */
    uint64_t at_ms;       /* extrapolate the counted changes to this moment; 0: as counted */
    uint64_t counted_ms;  /* out: the latest count's time */
    uint64_t extended_ms; /* out: the moment a delta was extrapolated to (0: none was) */
} estimate_walk_t;


static double mib(int64_t bytes)
{
    return (double)bytes / BYTES_PER_MIB;
}

static double secs(int64_t ms)
{
    return (double)ms / MS_PER_S;
}

static void guess_stop(const estimate_walk_t *w, size_t i, step_guess_t *g)
{
    const planned_step_t *p = &w->run->plan->steps[i];
    long seen = downtime_slowest_stop(w->run, w->from, p->agent);
    if (seen >= 0) {
        g->ms = downtime_step_wall_ms(&w->run->steps[seen]);
        snprintf(g->basis, sizeof g->basis, "%.1f s as %s", secs(g->ms), w->run->plan->steps[seen].id);
        return;
    }
    g->ms = (int64_t)p->timeout_s * 1000;
    snprintf(g->basis, sizeof g->basis, "none seen on %s: at most its timeout %u s", p->agent, p->timeout_s);
}

/* The span's first repository start upgrades the schema: the rehearsal measured that. */
static void guess_first_repo_start(const estimate_walk_t *w, size_t i, step_guess_t *g)
{
    long rehearsal = downtime_find_output(w->run, w->from, DOWNTIME_START_TO_READY);
    if (rehearsal >= 0 && downtime_output_i64(&w->run->steps[rehearsal], DOWNTIME_START_TO_READY, &g->ms) == 0) {
        snprintf(g->basis, sizeof g->basis, "%.1f s, the rehearsal's start to ready", secs(g->ms));
        return;
    }
    g->known = 0;
    long staging = downtime_staging_start(w->run, w->from, w->to, i);
    if (staging < 0) {
        snprintf(g->basis, sizeof g->basis, "not measured (no rehearsal, no staging start)");
        return;
    }
    g->ms = downtime_step_wall_ms(&w->run->steps[staging]);
    snprintf(g->basis, sizeof g->basis, "no rehearsal; %.1f s as %s on an empty database: a lower bound", secs(g->ms),
             w->run->plan->steps[staging].id);
}

static void guess_start(estimate_walk_t *w, size_t i, step_guess_t *g)
{
    const planned_step_t *p = &w->run->plan->steps[i];
    if (strcmp(p->role, "repo") == 0 && !w->repo_started) {
        w->repo_started = 1;
        guess_first_repo_start(w, i, g);
        return;
    }
    long staging = downtime_staging_start(w->run, w->from, w->to, i);
    if (staging < 0) {
        g->known = 0;
        snprintf(g->basis, sizeof g->basis, "%s not measured", p->id);
        return;
    }
    g->ms = downtime_step_wall_ms(&w->run->steps[staging]);
    snprintf(g->basis, sizeof g->basis, "%s %.1f s as %s", p->id, secs(g->ms), w->run->plan->steps[staging].id);
}

/* The database's size: the rehearsal's copy, the preflight's, or a dump's. */
static int database_bytes(const run_t *run, size_t before, int64_t *bytes)
{
    static const char *const KEYS[] = {"db_bytes", "database_bytes", "db_size"};
    long best = -1;
    const char *best_key = NULL;
    for (size_t k = 0; k < sizeof KEYS / sizeof KEYS[0]; k++) {
        long at = downtime_find_output(run, before, KEYS[k]);
        if (at > best) {
            best = at;
            best_key = KEYS[k];
        }
    }
    return best < 0 ? -1 : downtime_output_i64(&run->steps[best], best_key, bytes);
}

/* A rate in bytes per ms: a template copy seen before the cutover (db-copy's bytes over its wall time),
 * else the rehearsal's dump and restore (db_bytes over copy_ms), which bounds a template copy from above
 * and is the very operation of the dump/restore path. *label names it. -1 when neither ran. */
static int copy_rate(const estimate_walk_t *w, int template_copy, double *rate, const char **label)
{
    long copy = template_copy ? downtime_find_kind(w->run, w->from, "db-copy", NULL) : -1;
    int64_t bytes = 0, ms = 0;
    if (copy >= 0 && downtime_output_i64(&w->run->steps[copy], "bytes", &bytes) == 0 &&
        (ms = downtime_step_wall_ms(&w->run->steps[copy])) > 0) {
        *rate = (double)bytes / (double)ms;
        *label = "template copy seen";
        return 0;
    }
    long rehearsal = downtime_find_output(w->run, w->from, "copy_ms");
    if (rehearsal >= 0 && downtime_output_i64(&w->run->steps[rehearsal], "db_bytes", &bytes) == 0 &&
        downtime_output_i64(&w->run->steps[rehearsal], "copy_ms", &ms) == 0 && ms > 0) {
        *rate = (double)bytes / (double)ms;
        *label = template_copy ? "rehearsal's dump+restore: an upper bound" : "rehearsal's dump+restore";
        return 0;
    }
    return -1;
}

static void guess_db(const estimate_walk_t *w, size_t i, step_guess_t *g)
{
    int template_copy = strcmp(w->run->plan->steps[i].kind, "db-copy") == 0;
    const char *method = template_copy ? "template copy" : "dump+restore";
    int64_t bytes = 0;
    double rate = 0.0;
    const char *label = NULL;
    if (database_bytes(w->run, w->from, &bytes) != 0) {
        g->known = 0;
        snprintf(g->basis, sizeof g->basis, "%s of a database whose size is not measured", method);
        return;
    }
    if (copy_rate(w, template_copy, &rate, &label) != 0 || rate <= 0.0) {
        g->known = 0;
        snprintf(g->basis, sizeof g->basis, "%.1f MiB by %s, no copy rate measured", mib(bytes), method);
        return;
    }
    g->ms = (int64_t)((double)bytes / rate);
    snprintf(g->basis, sizeof g->basis, "%.1f MiB by %s at %.1f MiB/s (%s)", mib(bytes), method,
             mib((int64_t)(rate * MS_PER_S)), label);
}

/* The delta (downtime_delta.c), extrapolated to the walk's moment. */
static void guess_delta(estimate_walk_t *w, size_t i, step_guess_t *g)
{
    downtime_delta_guess_t d;
    downtime_guess_delta(w->run, w->from, i, w->at_ms, &d);
    g->known = d.known;
    g->ms = d.ms;
    snprintf(g->basis, sizeof g->basis, "%s", d.basis);
    w->counted_ms = d.counted_unix_ms > w->counted_ms ? d.counted_unix_ms : w->counted_ms;
    w->extended_ms = d.extrapolated ? w->at_ms : w->extended_ms;
}

static void guess_step(estimate_walk_t *w, size_t i, step_guess_t *g)
{
    const char *kind = w->run->plan->steps[i].kind;
    memset(g, 0, sizeof *g);
    g->known = 1;
    if (strcmp(kind, "service-stop") == 0) {
        g->part = PART_STOP;
        guess_stop(w, i, g);
    } else if (strcmp(kind, "service-start") == 0) {
        g->part = PART_START;
        guess_start(w, i, g);
    } else if (strcmp(kind, "db-copy") == 0 || strcmp(kind, "db-restore") == 0) {
        g->part = PART_DB;
        guess_db(w, i, g);
    } else if (strcmp(kind, "backup-delta") == 0) {
        g->part = PART_DELTA;
        guess_delta(w, i, g);
    } else {
        g->part = PART_OTHER;
        g->known = 0;
        snprintf(g->basis, sizeof g->basis, "no estimate for %s (%s)", w->run->plan->steps[i].id, kind);
    }
}

typedef struct part_sums {
    int64_t ms[PART_COUNT];
    int64_t total;
    int64_t shown_ms[PART_COUNT]; /* the guess whose basis is shown per part */
    char basis[PART_COUNT][GUESS_BASIS_MAX];
    char unknown[PART_COUNT][GUESS_BASIS_MAX]; /* the first unknown guess of each part */
    int known;
} part_sums_t;

static void note_guess(part_sums_t *sums, const step_guess_t *g)
{
    if (!g->known) {
        sums->known = 0;
        if (sums->unknown[g->part][0] == '\0')
            snprintf(sums->unknown[g->part], GUESS_BASIS_MAX, "%s", g->basis);
    } else if (sums->basis[g->part][0] == '\0' || g->ms > sums->shown_ms[g->part]) {
        sums->shown_ms[g->part] = g->ms;
        snprintf(sums->basis[g->part], GUESS_BASIS_MAX, "%s", g->basis);
    }
}

/* One stage runs its steps in parallel: each part takes its slowest, the stage its slowest part. */
static size_t add_stage(estimate_walk_t *w, size_t first, part_sums_t *sums)
{
    const run_plan_t *plan = w->run->plan;
    int64_t stage_part[PART_COUNT] = {0};
    size_t i = first;
    for (; i < w->to && plan->steps[i].stage == plan->steps[first].stage; i++) {
        step_guess_t g;
        guess_step(w, i, &g);
        note_guess(sums, &g);
        if (g.ms > stage_part[g.part])
            stage_part[g.part] = g.ms;
    }
    int64_t stage_ms = 0;
    for (int p = 0; p < PART_COUNT; p++) {
        sums->ms[p] += stage_part[p];
        if (stage_part[p] > stage_ms)
            stage_ms = stage_part[p];
    }
    sums->total += stage_ms;
    return i;
}

static void write_basis(const part_sums_t *sums, downtime_estimate_t *est)
{
    size_t used = 0;
    est->basis[0] = '\0';
    for (int p = 0; p < PART_COUNT; p++) {
        const char *text = sums->unknown[p][0] ? sums->unknown[p] : sums->basis[p];
        if (text[0] == '\0' || used >= sizeof est->basis)
            continue;
        int n = snprintf(est->basis + used, sizeof est->basis - used, "%s%s: %s%s", used ? "; " : "", PART_NAMES[p],
                         sums->unknown[p][0] ? "UNKNOWN, " : "", text);
        used += n > 0 ? (size_t)n : 0;
    }
}

/* The moment to extrapolate to: now, or the cutover's first step when it was sent before (0: none). */
static uint64_t extrapolate_to(const estimate_walk_t *w, int64_t now_unix_ms)
{
    uint64_t at = now_unix_ms > 0 ? (uint64_t)now_unix_ms : 0;
    uint64_t cutover = w->run->steps[w->from].sent_unix_ms;
    return cutover != 0 && cutover < at ? cutover : at;
}

int downtime_estimate_for_run(const run_t *run, downtime_estimate_t *est)
{
    return downtime_estimate_at(run, 0, est);
}

int downtime_estimate_at(const run_t *run, int64_t now_unix_ms, downtime_estimate_t *est)
{
    memset(est, 0, sizeof *est);
    estimate_walk_t w = {.run = run};
    if (run == NULL || downtime_span(run->plan, &w.from, &w.to) != 0) {
        snprintf(est->basis, sizeof est->basis, "this workflow stops nothing: no downtime to estimate");
        return 0;
    }
    w.at_ms = extrapolate_to(&w, now_unix_ms);
    part_sums_t sums = {.known = 1};
    for (size_t i = w.from; i < w.to;)
        i = add_stage(&w, i, &sums);
    est->known = sums.known;
    est->stop_ms = sums.ms[PART_STOP];
    est->db_copy_ms = sums.ms[PART_DB];
    est->delta_ms = sums.ms[PART_DELTA];
    est->start_ms = sums.ms[PART_START];
    est->total_ms = sums.total;
    est->counted_unix_ms = w.counted_ms;
    est->at_unix_ms = w.extended_ms;
    write_basis(&sums, est);
    return 0;
}

int downtime_actual_for_run(const run_t *run, int64_t *ms)
{
    size_t from = 0, to = 0;
    if (run == NULL || downtime_span(run->plan, &from, &to) != 0)
        return -1;
    const run_step_t *first = &run->steps[from], *last = &run->steps[to - 1];
    if (first->sent_unix_ms == 0 || last->state != RSTEP_SUCCEEDED || last->finished_unix_ms < first->sent_unix_ms)
        return -1;
    *ms = (int64_t)(last->finished_unix_ms - first->sent_unix_ms);
    return 0;
}
