/* downtime_estimate.c -- the cutover's estimated downtime, stage by stage, from what the run measured
 * before it (downtime_estimate.h; docs/runs.md, "The downtime estimate"). Every step of the downtime
 * is given a guess from one measurement, named in the basis; a step that nothing measured makes the
 * estimate unknown rather than guessed from nothing. */
#include "downtime_estimate.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "downtime_measure.h"

#define GUESS_BASIS_MAX 256
#define CLOCK_TEXT_MAX 16
#define MS_PER_S 1000.0
#define BYTES_PER_MIB (1024.0 * 1024.0)
#define MS_PER_H 3600000.0
/* The shortest time the counted changes are taken to have come in over: a count within a second of the base
 * copy's end gives a rate per second, not per nothing. */
#define MIN_RATE_SPAN_MS 1000u
/* No guess beyond ~30 years: an absurd rate over a long wait must not overflow the sums. */
#define MAX_GUESS_MS 1e12
/* The kind of the pre-cutover count of what changed since the base (outputs changed_files, changed_bytes). */
#define KIND_DELTA_SCAN "delta-scan"

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

/* The counted changes grown at their rate (cf, cb over the time from the base copy's end to the count) for the
 * time from the count to at_ms. */
typedef struct delta_growth {
    int64_t files, bytes; /* extrapolated totals */
    double files_per_h, mib_per_h;
    double wait_h; /* from the count to at_ms */
} delta_growth_t;

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

/* unix_ms as "HH:MM:SSZ" (UTC): when the changes were counted (what production writes later comes on top). */
static void clock_text(uint64_t unix_ms, char *buf, size_t len)
{
    time_t seconds = (time_t)(unix_ms / 1000u);
    struct tm tm;
    if (unix_ms == 0 || gmtime_r(&seconds, &tm) == NULL || strftime(buf, len, "%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "-");
}

/* "${STEP.archive}" -> the planned step STEP@agent. */
static long base_step(const run_plan_t *plan, const char *ref, const char *agent)
{
    char id[RUN_PLAN_STEP_ID_MAX + 1];
    size_t open = strlen(RUN_PLAN_REF_OPEN);
    const char *dot = ref ? strrchr(ref, '.') : NULL;
    if (ref == NULL || strncmp(ref, RUN_PLAN_REF_OPEN, open) != 0 || dot == NULL || dot < ref + open)
        return -1;
    int len = snprintf(id, sizeof id, "%.*s@%s", (int)(dot - ref - (long)open), ref + open, agent);
    return len < 0 || (size_t)len >= sizeof id ? -1 : run_plan_find(plan, id);
}

/* The slowest step of kind on agent before `before` whose param key is value; -1 when none. */
static long slowest_with_param(const run_t *run, size_t before, const char *kind, const char *agent, const char *key,
                               const char *value, int64_t *ms)
{
    long best = -1;
    *ms = 0;
    for (size_t j = 0; j < before; j++) {
        const planned_step_t *p = &run->plan->steps[j];
        const char *v = kv_list_get(&p->params, key);
        int64_t wall = downtime_step_wall_ms(&run->steps[j]);
        if (strcmp(p->kind, kind) != 0 || strcmp(p->agent, agent) != 0 || v == NULL || strcmp(v, value) != 0 ||
            wall < 0)
            continue;
        if (wall >= *ms) {
            *ms = wall;
            best = (long)j;
        }
    }
    return best;
}

/* An archive step's fixed cost on agent (creating, digesting and syncing an archive, whatever its size):
 * the fastest backup-tree there, less its bytes at the base's rate (bytes per ms); 0 when that is the base. */
static int64_t archive_fixed_ms(const run_t *run, size_t before, const char *agent, double rate)
{
    int64_t fastest_ms = 0, bytes = 0;
    long fastest = downtime_fastest_kind(run, before, "backup-tree", agent, &fastest_ms);
    if (fastest < 0 || rate <= 0.0 || downtime_output_i64(&run->steps[fastest], "bytes", &bytes) != 0)
        return 0;
    int64_t fixed = fastest_ms - (int64_t)((double)bytes / rate);
    return fixed > 0 ? fixed : 0;
}

/* Grows cf/cb (counted at `counted`, since the base copy that ended at base_end) to at_ms. Returns 1 when it
 * did, 0 when at_ms is not after the count (g keeps the counted figures). */
static int grow_delta(uint64_t base_end, uint64_t counted, uint64_t at_ms, int64_t cf, int64_t cb, delta_growth_t *g)
{
    *g = (delta_growth_t){.files = cf, .bytes = cb};
    if (at_ms <= counted || counted == 0)
        return 0;
    uint64_t span = counted > base_end ? counted - base_end : 0;
    double span_ms = (double)(span > MIN_RATE_SPAN_MS ? span : MIN_RATE_SPAN_MS), wait_ms = (double)(at_ms - counted);
    g->files_per_h = (double)cf * MS_PER_H / span_ms;
    g->mib_per_h = mib(cb) * MS_PER_H / span_ms;
    g->wait_h = wait_ms / MS_PER_H;
    g->files += (int64_t)((double)cf * wait_ms / span_ms + 0.5);
    g->bytes += (int64_t)((double)cb * wait_ms / span_ms + 0.5);
    return 1;
}

static void delta_basis(const planned_step_t *p, const run_step_t *scan, const delta_growth_t *growth, int grown,
                        uint64_t at_ms, char *buf, size_t len)
{
    char counted[CLOCK_TEXT_MAX], to[CLOCK_TEXT_MAX];
    clock_text(scan->finished_unix_ms, counted, sizeof counted);
    if (!grown) {
        snprintf(buf, len, "%s %lld files %.1f MiB (counted %s)", p->id, (long long)growth->files, mib(growth->bytes),
                 counted);
        return;
    }
    clock_text(at_ms, to, sizeof to);
    snprintf(buf, len, "%s %lld files %.1f MiB (counted %s, extrapolated %.1f h to %s at %.0f files/h, %.1f MiB/h)",
             p->id, (long long)growth->files, mib(growth->bytes), counted, growth->wait_h, to, growth->files_per_h,
             growth->mib_per_h);
}

/* Changes since the base (a delta-scan before the cutover) at the base copy's throughput (its backup and
 * laying into the new dir.root), plus the scan's own time (the delta re-lists the same folders), plus an
 * archive step's fixed cost (archive_fixed_ms). */
static void guess_delta(estimate_walk_t *w, size_t i, step_guess_t *g)
{
    const run_t *run = w->run;
    const planned_step_t *p = &run->plan->steps[i];
    const char *ref = kv_list_get(&p->params, "base");
    long base = base_step(run->plan, ref, p->agent);
    int64_t base_ms = base >= 0 ? downtime_step_wall_ms(&run->steps[base]) : -1;
    int64_t files = 0, bytes = 0, lay_ms = 0, scan_ms = 0, cf = 0, cb = 0;
    if (base_ms < 0 || downtime_output_i64(&run->steps[base], "files", &files) != 0 ||
        downtime_output_i64(&run->steps[base], "bytes", &bytes) != 0) {
        g->known = 0;
        snprintf(g->basis, sizeof g->basis, "%s: its base copy not measured", p->id);
        return;
    }
    slowest_with_param(run, w->from, "restore-tree", p->agent, "archive", ref, &lay_ms);
    long scan = slowest_with_param(run, w->from, KIND_DELTA_SCAN, p->agent, "base", ref, &scan_ms);
    if (scan < 0 || downtime_output_i64(&run->steps[scan], "changed_files", &cf) != 0 ||
        downtime_output_i64(&run->steps[scan], "changed_bytes", &cb) != 0) {
        g->known = 0;
        snprintf(g->basis, sizeof g->basis, "%s: changes since the base not counted", p->id);
        return;
    }
    delta_growth_t growth;
    uint64_t counted = run->steps[scan].finished_unix_ms;
    int grown = grow_delta(run->steps[base].finished_unix_ms, counted, w->at_ms, cf, cb, &growth);
    w->counted_ms = counted > w->counted_ms ? counted : w->counted_ms;
    w->extended_ms = grown ? w->at_ms : w->extended_ms;
    double share = files > 0 ? (double)growth.files / (double)files : 0.0;
    if (bytes > 0 && (double)growth.bytes / (double)bytes > share)
        share = (double)growth.bytes / (double)bytes;
    double copy_ms = (double)(base_ms + lay_ms);
    int64_t fixed_ms = archive_fixed_ms(run, w->from, p->agent, (double)bytes / (double)(base_ms > 0 ? base_ms : 1));
    double copy_share_ms = copy_ms * share < MAX_GUESS_MS ? copy_ms * share : MAX_GUESS_MS;
    g->ms = scan_ms + fixed_ms + (int64_t)copy_share_ms;
    delta_basis(p, &run->steps[scan], &growth, grown, w->at_ms, g->basis, sizeof g->basis);
    size_t used = strlen(g->basis);
    snprintf(g->basis + used, sizeof g->basis - used, " at %.0f files/s, %.1f MiB/s + scan %.1f s + fixed %.1f s",
             copy_ms > 0 ? (double)files * MS_PER_S / copy_ms : 0.0,
             copy_ms > 0 ? mib((int64_t)((double)bytes * MS_PER_S / copy_ms)) : 0.0, secs(scan_ms), secs(fixed_ms));
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
