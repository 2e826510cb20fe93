/* downtime_delta.c -- the delta part of the downtime estimate (downtime_delta.h; docs/runs.md, "The downtime
 * estimate"): the changes counted since the base copy, extrapolated to the moment of the decision at the rate
 * they came in, priced at the base copy's throughput. */
#include "downtime_delta.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "downtime_measure.h"

#define CLOCK_TEXT_MAX 16
#define MS_PER_S 1000.0
#define MS_PER_H 3600000.0
#define MIN_PER_H 60.0
#define BYTES_PER_MIB (1024.0 * 1024.0)
/* The shortest time the counted changes are taken to have come in over: a count within a second of the base
 * copy's end gives a rate per second, not per nothing. */
#define MIN_RATE_SPAN_MS 1000u
/* No guess beyond ~30 years: an absurd rate over a long wait must not overflow the sums. */
#define MAX_GUESS_MS 1e12
/* The kind of the pre-cutover count of what changed since the base (outputs changed_files, changed_bytes). */
#define KIND_DELTA_SCAN "delta-scan"

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
    int in_hours = growth->wait_h >= 1.0; /* a wait under an hour in minutes */
    snprintf(buf, len, "%s %lld files %.1f MiB (counted %s, extrapolated %.1f %s to %s at %.0f files/h, %.1f MiB/h)",
             p->id, (long long)growth->files, mib(growth->bytes), counted,
             in_hours ? growth->wait_h : growth->wait_h * MIN_PER_H, in_hours ? "h" : "min", to, growth->files_per_h,
             growth->mib_per_h);
}

/* Changes since the base (a delta-scan before the cutover) at the base copy's throughput (its backup and
 * laying into the new dir.root), plus the scan's own time (the delta re-lists the same folders), plus an
 * archive step's fixed cost (archive_fixed_ms). */
void downtime_guess_delta(const run_t *run, size_t from, size_t index, uint64_t at_unix_ms, downtime_delta_guess_t *g)
{
    memset(g, 0, sizeof *g);
    g->known = 1;
    const planned_step_t *p = &run->plan->steps[index];
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
    slowest_with_param(run, from, "restore-tree", p->agent, "archive", ref, &lay_ms);
    long scan = slowest_with_param(run, from, KIND_DELTA_SCAN, p->agent, "base", ref, &scan_ms);
    if (scan < 0 || downtime_output_i64(&run->steps[scan], "changed_files", &cf) != 0 ||
        downtime_output_i64(&run->steps[scan], "changed_bytes", &cb) != 0) {
        g->known = 0;
        snprintf(g->basis, sizeof g->basis, "%s: changes since the base not counted", p->id);
        return;
    }
    delta_growth_t growth;
    uint64_t counted = run->steps[scan].finished_unix_ms;
    int grown = grow_delta(run->steps[base].finished_unix_ms, counted, at_unix_ms, cf, cb, &growth);
    g->counted_unix_ms = counted;
    g->extrapolated = grown;
    double share = files > 0 ? (double)growth.files / (double)files : 0.0;
    if (bytes > 0 && (double)growth.bytes / (double)bytes > share)
        share = (double)growth.bytes / (double)bytes;
    double copy_ms = (double)(base_ms + lay_ms);
    int64_t fixed_ms = archive_fixed_ms(run, from, p->agent, (double)bytes / (double)(base_ms > 0 ? base_ms : 1));
    double copy_share_ms = copy_ms * share < MAX_GUESS_MS ? copy_ms * share : MAX_GUESS_MS;
    g->ms = scan_ms + fixed_ms + (int64_t)copy_share_ms;
    delta_basis(p, &run->steps[scan], &growth, grown, at_unix_ms, g->basis, sizeof g->basis);
    size_t used = strlen(g->basis);
    snprintf(g->basis + used, sizeof g->basis - used, " at %.0f files/s, %.1f MiB/s + scan %.1f s + fixed %.1f s",
             copy_ms > 0 ? (double)files * MS_PER_S / copy_ms : 0.0,
             copy_ms > 0 ? mib((int64_t)((double)bytes * MS_PER_S / copy_ms)) : 0.0, secs(scan_ms), secs(fixed_ms));
}
