/* bench_fleet_runner.c -- times the fleet runner's whole tick in the controller for 1,000 deployments (each run
 * read back through the runner's ops, its estimate asked, fleet_decide, verdicts kept, changes journaled), beside
 * fleet_decide alone on the same states, both in the same run (docs/benchmarks.md).
 *
 * usage: bench-fleet-runner [TICKS] [--max-ms N]
 * One fleet of 1,000 deployments in 10 waves (parallelism 100), every deployment with a run waiting at its cutover
 * gate, loaded from a real SQLite journal in a temporary folder; a daily window walked from a year back, ticked
 * outside it (every deployment deferred: nothing acted on) and inside it (wave 0's 100 fit: the first tick
 * approves them, journaled, the later ticks see them cutting over). The first tick of each (1,000 "deferred"
 * events journaled, or 100 decisions and approvals) is timed apart. Exits 1 when a decision is wrong or (with
 * --max-ms) a steady tick is slower than N ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleet_decide.h"
#include "fleet_runner.h"
#include "fleet_store.h"
#include "fleet_time.h"
#include "journal.h"

#define DEPLOYMENTS 1000
#define WAVES 10
#define TICKS_DEFAULT 100
#define TEXT_MAX (128 * 1024)
#define NS_PER_MS 1e6
#define ESTIMATE_S 600

typedef struct fake {
    int64_t now;
    bool approved[DEPLOYMENTS];
    unsigned approvals, starts;
} fake_t;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Run ids are "rNNNN": the deployment's index. */
static int index_of(const char *run_id)
{
    return run_id[0] == 'r' ? atoi(run_id + 1) : -1;
}

static int op_start(void *arg, const char *plan, char *run_id, size_t len, alfup_err_t *err)
{
    (void)plan, (void)run_id, (void)len;
    ((fake_t *)arg)->starts++;
    return alfup_err_set(err, "bench: no start expected");
}

static int op_find(void *arg, const char *plan, int64_t since_ms, char *run_id, size_t len)
{
    (void)arg, (void)plan, (void)since_ms, (void)run_id, (void)len;
    return 0;
}

static void op_view(void *arg, const char *run_id, fleet_run_view_t *view)
{
    fake_t *f = arg;
    int i = index_of(run_id);
    *view = (fleet_run_view_t){.found = i >= 0, .state = RUN_WAITING};
    if (i >= 0 && f->approved[i]) {
        view->state = RUN_RUNNING;
        view->cutover_approved = true;
    } else {
        snprintf(view->waiting_gate, sizeof view->waiting_gate, "%s", FLEET_CUTOVER_GATE);
    }
}

static int op_approve(void *arg, const char *run_id, const char *gate, alfup_err_t *err)
{
    fake_t *f = arg;
    int i = index_of(run_id);
    if (i < 0 || strcmp(gate, FLEET_CUTOVER_GATE) != 0)
        return alfup_err_set(err, "bench: bad approval");
    f->approved[i] = true;
    f->approvals++;
    return ALFUP_OK;
}

static int op_refuse(void *arg, const char *run_id, alfup_err_t *err)
{
    (void)arg;
    return alfup_err_set(err, "bench: %s not expected", run_id);
}

static int64_t op_estimate(void *arg, const char *run_id, int64_t now_s, char *basis, size_t len)
{
    (void)arg, (void)run_id, (void)now_s;
    snprintf(basis, len, "bench");
    return ESTIMATE_S;
}

static int64_t op_now(void *arg)
{
    return ((fake_t *)arg)->now;
}

static char *fleet_text(void)
{
    char *text = malloc(TEXT_MAX);
    if (text == NULL)
        return NULL;
    size_t used = (size_t)snprintf(text, TEXT_MAX, "fleet: bench\ndeployments:\n");
    for (int i = 0; i < DEPLOYMENTS; i++)
        used += (size_t)snprintf(text + used, TEXT_MAX - used, "  d%04d: plans/d%04d.yaml\n", i, i);
    used += (size_t)snprintf(text + used, TEXT_MAX - used,
                             "window: {timezone: Europe/Berlin, start: 2026-06-01T22:00, rrule: FREQ=DAILY, "
                             "duration: 4h}\nwaves:\n");
    for (int w = 0; w < WAVES; w++) {
        used += (size_t)snprintf(text + used, TEXT_MAX - used,
                                 "  - name: w%d\n    parallelism: 100\n    deployments: [", w);
        for (int k = 0; k < DEPLOYMENTS / WAVES; k++)
            used += (size_t)snprintf(text + used, TEXT_MAX - used, "%sd%04d", k ? ", " : "", w * 100 + k);
        used += (size_t)snprintf(text + used, TEXT_MAX - used, "]\n");
    }
    snprintf(text + used, TEXT_MAX - used, "failure_threshold: 5%%\napprove_cutovers: true\n");
    return text;
}

/* The fleet and its 1,000 prepared deployments, journaled as a controller would have left them. */
static int seed_journal(journal_t *journal, alfup_err_t *err)
{
    char *text = fleet_text();
    if (text == NULL)
        return alfup_err_set(err, "out of memory");
    int rc = fleet_store_init(journal, err) == ALFUP_OK &&
                     fleet_store_add_fleet(journal, "bench", "/bench/fleet.yaml", text, true, 0, err) == ALFUP_OK
                 ? ALFUP_OK
                 : ALFUP_ERR;
    free(text);
    char name[16], run_id[16];
    for (int i = 0; rc == ALFUP_OK && i < DEPLOYMENTS; i++) {
        snprintf(name, sizeof name, "d%04d", i);
        snprintf(run_id, sizeof run_id, "r%04d", i);
        rc = fleet_store_save_member(journal, "bench", name, run_id, "prepared", 0, err);
    }
    return rc;
}

/* Mean ms of ticks runner ticks at now (after the first, timed into *first_ms). */
static double time_ticks(fleet_runner_t *runner, fake_t *fake, int64_t now, int ticks, double *first_ms)
{
    fake->now = now;
    double start = now_ns();
    fleet_runner_tick(runner);
    *first_ms = (now_ns() - start) / NS_PER_MS;
    start = now_ns();
    for (int t = 0; t < ticks; t++)
        fleet_runner_tick(runner);
    return (now_ns() - start) / NS_PER_MS / ticks;
}

/* The baseline: fleet_decide alone, on the same states. */
static double time_decide(int64_t now, int ticks, bool cutting)
{
    char *text = fleet_text();
    fleet_read_options_t options = {.check_plans = false};
    plan_diag_t diag = {0};
    fleet_t *fleet = text ? fleet_parse("/bench/fleet.yaml", text, strlen(text), &options, &diag) : NULL;
    plan_diag_clear(&diag);
    free(text);
    static fleet_member_t members[DEPLOYMENTS];
    static fleet_verdict_t verdicts[DEPLOYMENTS];
    for (int i = 0; i < DEPLOYMENTS; i++)
        members[i] = (fleet_member_t){cutting && i < 100 ? FLEET_CUTTING_OVER : FLEET_PREPARED, ESTIMATE_S, 0};
    fleet_tick_t tick = {.now = now};
    fleet_outcome_t outcome;
    alfup_err_t err;
    double start = now_ns();
    for (int t = 0; fleet && t < ticks; t++)
        fleet_decide(fleet, members, &tick, verdicts, &outcome, &err);
    double ms = (now_ns() - start) / NS_PER_MS / ticks;
    fleet_destroy(&fleet);
    return ms;
}

int main(int argc, char **argv)
{
    int ticks = argc > 1 && argv[1][0] != '-' ? atoi(argv[1]) : TICKS_DEFAULT;
    double max_ms = 0;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--max-ms") == 0)
            max_ms = atof(argv[i + 1]);
    char dir[] = "/tmp/bench-fleet-runner.XXXXXX", path[64];
    if (ticks < 1 || mkdtemp(dir) == NULL)
        return fprintf(stderr, "usage: bench-fleet-runner [TICKS >= 1] [--max-ms N]\n"), 2;
    snprintf(path, sizeof path, "%s/journal.db", dir);
    alfup_err_t err;
    static fake_t fake;
    journal_t *journal = journal_open(path, &err);
    fleet_runner_ops_t ops = {.start_run = op_start,
                              .find_run = op_find,
                              .view_run = op_view,
                              .approve = op_approve,
                              .resume = op_refuse,
                              .cancel = op_refuse,
                              .estimate_s = op_estimate,
                              .now = op_now,
                              .arg = &fake};
    fleet_runner_t *runner = journal && seed_journal(journal, &err) == ALFUP_OK
                                 ? fleet_runner_new(journal, "/nonexistent", &ops, &err)
                                 : NULL;
    int rc = runner ? 0 : 1;
    if (runner == NULL)
        fprintf(stderr, "bench-fleet-runner: %s\n", err.msg);
    fleet_local_t outside = {.year = 2027, .month = 6, .day = 5, .hour = 12}, inside = outside;
    inside.hour = 23;
    double first_out = 0, first_in = 0, out_ms = 0, in_ms = 0;
    if (runner) {
        out_ms = time_ticks(runner, &fake, fleet_local_to_utc(&outside, fleet_zone_find("Europe/Berlin")), ticks,
                            &first_out);
        if (fake.approvals != 0 || fake.starts != 0) {
            fprintf(stderr, "bench-fleet-runner: outside the window, %u approvals\n", fake.approvals);
            rc = 1;
        }
        in_ms =
            time_ticks(runner, &fake, fleet_local_to_utc(&inside, fleet_zone_find("Europe/Berlin")), ticks, &first_in);
        if (fake.approvals != DEPLOYMENTS / WAVES || fake.starts != 0) {
            fprintf(stderr, "bench-fleet-runner: inside the window, %u approvals (100 expected)\n", fake.approvals);
            rc = 1;
        }
    }
    double base_out = time_decide(fleet_local_to_utc(&outside, fleet_zone_find("Europe/Berlin")), ticks, false);
    double base_in = time_decide(fleet_local_to_utc(&inside, fleet_zone_find("Europe/Berlin")), ticks, true);
    printf("outside the window: %d deployments, %d ticks: runner tick %.3f ms (first, 1,000 events journaled: %.1f "
           "ms), fleet_decide alone %.3f ms\n",
           DEPLOYMENTS, ticks, out_ms, first_out, base_out);
    printf("inside the window:  %d deployments, %d ticks: runner tick %.3f ms (first, 100 cutovers journaled and "
           "approved: %.1f ms), fleet_decide alone %.3f ms\n",
           DEPLOYMENTS, ticks, in_ms, first_in, base_in);
    if (max_ms > 0 && (out_ms > max_ms || in_ms > max_ms)) {
        fprintf(stderr, "bench-fleet-runner: a tick over %.1f ms\n", max_ms);
        rc = 1;
    }
    fleet_runner_destroy(&runner);
    journal_close(&journal);
    for (const char *suffix = ""; suffix; suffix = suffix[0] == '\0' ? "-wal" : suffix[1] == 'w' ? "-shm" : NULL) {
        char file[96];
        snprintf(file, sizeof file, "%s%s", path, suffix);
        unlink(file);
    }
    rmdir(dir);
    return rc;
}
