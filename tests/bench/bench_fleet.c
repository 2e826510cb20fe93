/* bench_fleet.c -- times the fleet scheduler's decision for 1,000 deployments per tick, beside a baseline
 * that only reads the same states, both measured in the same run (docs/benchmarks.md).
 *
 * usage: bench-fleet [TICKS] [--max-ms N]
 * Two fleets of 1,000 deployments in 10 waves (parallelism 60) with 3 blackouts: a weekly window and a
 * daily one whose DTSTART lies a year before the tick (the occurrences are walked from DTSTART). Prints
 * ms per tick for each, and exits 1 when a decision is wrong or (with --max-ms) slower than N ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"
#include "fleet_decide.h"
#include "fleet_time.h"

#define DEPLOYMENTS 1000
#define WAVES 10
#define TICKS_DEFAULT 200
#define TEXT_MAX (128 * 1024)
#define NS_PER_MS 1e6
#define EXPECT_PREPARES 10
#define EXPECT_CUTOVERS 25

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A fleet file text: deployments d0000.., waves of 100, the window given. */
static fleet_t *make_fleet(const char *window)
{
    char *text = malloc(TEXT_MAX);
    if (text == NULL)
        return NULL;
    size_t used = (size_t)snprintf(text, TEXT_MAX, "fleet: bench\ndeployments:\n");
    for (int i = 0; i < DEPLOYMENTS; i++)
        used += (size_t)snprintf(text + used, TEXT_MAX - used, "  d%04d: plans/d%04d.yaml\n", i, i);
    used += (size_t)snprintf(text + used, TEXT_MAX - used,
                             "window:\n%s"
                             "blackouts:\n  - date: 2027-12-24\n  - {from: 2027-08-01, to: 2027-08-15}\n"
                             "  - {start: 2026-01-31T00:00, rrule: FREQ=MONTHLY;BYDAY=-1SA, duration: 1d}\n"
                             "waves:\n",
                             window);
    for (int w = 0; w < WAVES; w++) {
        used +=
            (size_t)snprintf(text + used, TEXT_MAX - used, "  - name: w%d\n    parallelism: 60\n    deployments: [", w);
        for (int k = 0; k < DEPLOYMENTS / WAVES; k++)
            used += (size_t)snprintf(text + used, TEXT_MAX - used, "%sd%04d", k ? ", " : "", w * 100 + k);
        used += (size_t)snprintf(text + used, TEXT_MAX - used, "]\n");
    }
    snprintf(text + used, TEXT_MAX - used, "failure_threshold: 5%%\napprove_cutovers: true\n");
    fleet_read_options_t options = {.check_plans = false};
    plan_diag_t diag = {0};
    fleet_t *fleet = fleet_parse("bench.yaml", text, strlen(text), &options, &diag);
    for (size_t i = 0; i < diag.errors.count; i++)
        fprintf(stderr, "%s\n", diag.errors.items[i]);
    plan_diag_clear(&diag);
    free(text);
    return fleet;
}

/* Wave 0 settled, wave 1 in flight (a mix of states), the rest pending. */
static void fill_members(fleet_member_t *members)
{
    for (int i = 0; i < DEPLOYMENTS; i++) {
        fleet_state_t state = i < 100 ? FLEET_SUCCEEDED : FLEET_PENDING;
        if (i >= 100 && i < 200)
            state = i % 4 == 0   ? FLEET_PREPARED
                    : i % 4 == 1 ? FLEET_CUTTING_OVER
                    : i % 4 == 2 ? FLEET_PENDING
                                 : FLEET_SUCCEEDED;
        members[i] = (fleet_member_t){state, 600 + i, i < 100 ? 1 : 0};
    }
}

typedef struct result {
    double decide_ms, baseline_ms;
    size_t prepares, cutovers;
} result_t;

static int run(const fleet_t *fleet, const fleet_member_t *members, int64_t now, int ticks, result_t *out)
{
    static fleet_verdict_t verdicts[DEPLOYMENTS];
    fleet_tick_t tick = {.now = now};
    fleet_outcome_t outcome;
    alfup_err_t err;
    double start = now_ns();
    for (int t = 0; t < ticks; t++)
        if (fleet_decide(fleet, members, &tick, verdicts, &outcome, &err) != 0) {
            fprintf(stderr, "bench-fleet: %s\n", err.msg);
            return -1;
        }
    out->decide_ms = (now_ns() - start) / NS_PER_MS / ticks;
    out->prepares = outcome.prepares;
    out->cutovers = outcome.cutovers;
    volatile unsigned sink = 0;
    start = now_ns();
    for (int t = 0; t < ticks; t++) /* the baseline: read every state and estimate once */
        for (int i = 0; i < DEPLOYMENTS; i++)
            sink += (unsigned)members[i].state + (unsigned)members[i].estimate_s;
    out->baseline_ms = (now_ns() - start) / NS_PER_MS / ticks;
    return 0;
}

int main(int argc, char **argv)
{
    int ticks = argc > 1 && argv[1][0] != '-' ? atoi(argv[1]) : TICKS_DEFAULT;
    double max_ms = 0;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--max-ms") == 0)
            max_ms = atof(argv[i + 1]);
    const char *windows[][2] = {
        {"weekly", "  {timezone: Europe/Berlin, start: 2026-01-03T01:00, rrule: FREQ=WEEKLY;BYDAY=SA, duration: 4h}\n"},
        {"daily, DTSTART a year back",
         "  {timezone: Europe/Berlin, start: 2026-06-01T22:00, rrule: FREQ=DAILY, duration: 4h}\n"}};
    static fleet_member_t members[DEPLOYMENTS];
    fill_members(members);
    fleet_local_t at = {.year = 2027, .month = 6, .day = 5, .hour = 1, .minute = 30}; /* a Saturday, 01:30 */
    int rc = 0;
    for (size_t k = 0; k < sizeof windows / sizeof windows[0] && ticks > 0; k++) {
        fleet_t *fleet = make_fleet(windows[k][1]);
        if (fleet == NULL)
            return 1;
        result_t r = {0};
        if (run(fleet, members, fleet_local_to_utc(&at, fleet->zone), ticks, &r) != 0) {
            fleet_destroy(&fleet);
            rc = 1;
            continue;
        }
        printf("window %-28s %d deployments, %d ticks: decision %.3f ms/tick, baseline (read the states) %.4f "
               "ms/tick; %zu prepare, %zu cutover\n",
               windows[k][0], DEPLOYMENTS, ticks, r.decide_ms, r.baseline_ms, r.prepares, r.cutovers);
        /* wave 1 is open: 50 in progress of 60, so 10 of its 25 pending prepare; its 25 prepared
         * ones fit (at most 1,200 s of the 30 min or more left) and 25 + 25 cutting over <= 60 */
        if (r.prepares != EXPECT_PREPARES || r.cutovers != EXPECT_CUTOVERS) {
            fprintf(stderr, "bench-fleet: unexpected decision (%zu prepare, %zu cutover)\n", r.prepares, r.cutovers);
            rc = 1;
        }
        if (max_ms > 0 && r.decide_ms > max_ms) {
            fprintf(stderr, "bench-fleet: %.3f ms per tick is over %.1f ms\n", r.decide_ms, max_ms);
            rc = 1;
        }
        fleet_destroy(&fleet);
    }
    return rc;
}
