/* test_fleet_runner.c -- the fleet runner against a fake run engine and an injected clock, over a real SQLite
 * journal: the canary wave then a wave of parallelism 2, the window's fit rule deferring a deployment (with the
 * numbers in status), the threshold of 1 halting the fleet, a controller restart continuing it (paused runs
 * resumed, nothing started twice, a missed window used late only when the estimate still fits), drain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleet_decide.h"
#include "fleet_runner.h"
#include "journal.h"

#define MAX_RUNS 16
#define MINUTE 60

typedef struct fake_run {
    char id[RUN_ID_MAX];
    char plan[512];
    fleet_run_view_t view;
    int64_t created_ms;
    int approvals, resumes;
} fake_run_t;

/* The fake engine and clock the runner's ops act on. */
typedef struct fake {
    fake_run_t runs[MAX_RUNS];
    size_t count;
    int starts;          /* start_run calls */
    int lose_next_start; /* start the run but report a failure (a reply lost) */
    int64_t now;
    int64_t estimates[4]; /* per deployment d1..d4 */
    int64_t estimate_now; /* the clock the last estimate was asked for */
    char dir[256];
} fake_t;

static fake_t *fake_of(void *arg)
{
    return arg;
}

static fake_run_t *find(fake_t *f, const char *id)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->runs[i].id, id) == 0)
            return &f->runs[i];
    return NULL;
}

static int op_start(void *arg, const char *plan, char *run_id, size_t len, alfup_err_t *err)
{
    fake_t *f = fake_of(arg);
    f->starts++;
    fake_run_t *r = &f->runs[f->count++];
    snprintf(r->id, sizeof r->id, "run%zu", f->count);
    snprintf(r->plan, sizeof r->plan, "%s", plan);
    r->view = (fleet_run_view_t){.found = true, .state = RUN_RUNNING};
    r->created_ms = f->now * 1000;
    if (f->lose_next_start) {
        f->lose_next_start = 0;
        return alfup_err_set(err, "the reply was lost");
    }
    snprintf(run_id, len, "%s", r->id);
    return ALFUP_OK;
}

static int op_find(void *arg, const char *plan, int64_t since_ms, char *run_id, size_t len)
{
    fake_t *f = fake_of(arg);
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->runs[i].plan, plan) == 0 && f->runs[i].created_ms >= since_ms)
            return snprintf(run_id, len, "%s", f->runs[i].id), 1;
    return 0;
}

static void op_view(void *arg, const char *run_id, fleet_run_view_t *view)
{
    fake_run_t *r = find(fake_of(arg), run_id);
    *view = r ? r->view : (fleet_run_view_t){.found = false};
}

static int op_approve(void *arg, const char *run_id, const char *gate, alfup_err_t *err)
{
    fake_run_t *r = find(fake_of(arg), run_id);
    if (r == NULL || strcmp(gate, FLEET_CUTOVER_GATE) != 0)
        return alfup_err_set(err, "no such run or gate");
    r->approvals++;
    r->view.cutover_approved = true;
    if (!r->view.paused && r->view.state == RUN_WAITING) {
        r->view.state = RUN_RUNNING;
        r->view.waiting_gate[0] = '\0';
    }
    return ALFUP_OK;
}

static int op_resume(void *arg, const char *run_id, alfup_err_t *err)
{
    fake_run_t *r = find(fake_of(arg), run_id);
    if (r == NULL || !r->view.paused)
        return alfup_err_set(err, "not paused");
    r->resumes++;
    r->view.paused = false;
    return ALFUP_OK;
}

static int op_cancel(void *arg, const char *run_id, alfup_err_t *err)
{
    fake_run_t *r = find(fake_of(arg), run_id);
    if (r == NULL)
        return alfup_err_set(err, "no run");
    r->view.state = RUN_CANCELLED;
    return ALFUP_OK;
}

static int64_t op_estimate(void *arg, const char *run_id, int64_t now_s, char *basis, size_t len)
{
    fake_t *f = fake_of(arg);
    f->estimate_now = now_s;
    fake_run_t *r = find(f, run_id);
    const char *slash = r ? strrchr(r->plan, '/') : NULL;
    int k = slash ? slash[2] - '1' : -1; /* ".../dN.yaml" */
    snprintf(basis, len, "fake");
    return k >= 0 && k < 4 && r->view.state == RUN_WAITING ? f->estimates[k] : FLEET_ESTIMATE_UNKNOWN;
}

static int64_t op_now(void *arg)
{
    return fake_of(arg)->now;
}

static fleet_runner_ops_t ops_of(fake_t *f)
{
    return (fleet_runner_ops_t){.start_run = op_start,
                                .find_run = op_find,
                                .view_run = op_view,
                                .approve = op_approve,
                                .resume = op_resume,
                                .cancel = op_cancel,
                                .estimate_s = op_estimate,
                                .now = op_now,
                                .arg = f};
}

static int64_t utc(int day, int hour, int minute, int second)
{
    struct tm tm = {
        .tm_year = 2027 - 1900, .tm_mon = 0, .tm_mday = day, .tm_hour = hour, .tm_min = minute, .tm_sec = second};
    return (int64_t)timegm(&tm);
}

static void write_file(const char *path, const char *text)
{
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

/* d1..d4 plans (the example prestaged plan, each its own deployment, approve: [APPROVE]) and the fleet file:
 * a daily 10:00 UTC window of 10 minutes, canary d1 then d2..d4 with parallelism 2, threshold 1. */
static void write_fleet(fake_t *f, const char *approve, char *fleet_path, size_t len)
{
    char path[512], example[512], *text = NULL;
    snprintf(example, sizeof example, "%s/deploy/examples/plan-prestaged.yaml", getenv("ALFUP_SOURCE_DIR"));
    FILE *in = fopen(example, "r");
    assert_non_null(in);
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', in);
    fclose(in);
    assert_true(n > 0);
    for (int d = 1; d <= 4; d++) {
        char plan[8192], *at = strstr(text, "deployment: prod-ecm"),
                         *gates = strstr(text, "approve: [cutover, decommission]");
        assert_non_null(at);
        assert_non_null(gates);
        snprintf(plan, sizeof plan, "%.*sdeployment: d%d%.*sapprove: [%s]%s", (int)(at - text), text, d,
                 (int)(gates - at - strlen("deployment: prod-ecm")), at + strlen("deployment: prod-ecm"), approve,
                 gates + strlen("approve: [cutover, decommission]"));
        snprintf(path, sizeof path, "%s/d%d.yaml", f->dir, d);
        write_file(path, plan);
    }
    free(text);
    snprintf(fleet_path, len, "%s/fleet.yaml", f->dir);
    write_file(fleet_path, "fleet: lab\n"
                           "deployments: {d1: d1.yaml, d2: d2.yaml, d3: d3.yaml, d4: d4.yaml}\n"
                           "window: {timezone: UTC, start: 2027-01-04T10:00, rrule: FREQ=DAILY, duration: 10m}\n"
                           "waves:\n"
                           "  - {name: canary, deployments: [d1], parallelism: 1}\n"
                           "  - {name: rest, deployments: [d2, d3, d4], parallelism: 2}\n"
                           "failure_threshold: 1\nprepare_ahead: 1h\nsafety_factor: 1.5\napprove_cutovers: true\n");
}

typedef struct world {
    fake_t fake;
    journal_t *journal;
    fleet_runner_t *runner;
    char fleet_path[512], journal_path[512], workflows[512];
} world_t;

static int setup(void **state)
{
    world_t *w = calloc(1, sizeof *w);
    snprintf(w->fake.dir, sizeof w->fake.dir, "/tmp/test_fleet_runner.XXXXXX");
    assert_non_null(mkdtemp(w->fake.dir));
    snprintf(w->journal_path, sizeof w->journal_path, "%s/journal.db", w->fake.dir);
    snprintf(w->workflows, sizeof w->workflows, "%s/deploy/workflows", getenv("ALFUP_SOURCE_DIR"));
    alfup_err_t err;
    w->journal = journal_open(w->journal_path, &err);
    assert_non_null(w->journal);
    fleet_runner_ops_t ops = ops_of(&w->fake);
    w->runner = fleet_runner_new(w->journal, w->workflows, &ops, &err);
    assert_non_null(w->runner);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world_t *w = *state;
    fleet_runner_destroy(&w->runner);
    journal_close(&w->journal);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s/journal.db", w->fake.dir);
    unlink(cmd);
    for (const char *suffix = "-wal"; suffix; suffix = strcmp(suffix, "-wal") == 0 ? "-shm" : NULL) {
        snprintf(cmd, sizeof cmd, "%s/journal.db%s", w->fake.dir, suffix);
        unlink(cmd);
    }
    for (int d = 1; d <= 4; d++) {
        snprintf(cmd, sizeof cmd, "%s/d%d.yaml", w->fake.dir, d);
        unlink(cmd);
    }
    snprintf(cmd, sizeof cmd, "%s/fleet.yaml", w->fake.dir);
    unlink(cmd);
    rmdir(w->fake.dir);
    free(w);
    return 0;
}

/* The controller killed and started again: a new runner over the same journal; every unfinished run comes back
 * paused, as the engine brings it back. */
static void restart(world_t *w)
{
    fleet_runner_destroy(&w->runner);
    for (size_t i = 0; i < w->fake.count; i++)
        if (!run_state_is_final(w->fake.runs[i].view.state))
            w->fake.runs[i].view.paused = true;
    alfup_err_t err;
    fleet_runner_ops_t ops = ops_of(&w->fake);
    w->runner = fleet_runner_new(w->journal, w->workflows, &ops, &err);
    assert_non_null(w->runner);
}

static char *status_json(world_t *w)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(fleet_runner_status(w->runner, "lab", true, out), 0);
    fclose(out);
    return text;
}

static void assert_status_has(world_t *w, const char *want)
{
    char *text = status_json(w);
    if (strstr(text, want) == NULL)
        fail_msg("status has no '%s': %s", want, text);
    free(text);
}

static fake_run_t *run_of(world_t *w, int d)
{
    char plan[512];
    snprintf(plan, sizeof plan, "%s/d%d.yaml", w->fake.dir, d);
    for (size_t i = 0; i < w->fake.count; i++)
        if (strcmp(w->fake.runs[i].plan, plan) == 0)
            return &w->fake.runs[i];
    return NULL;
}

static void reach_gate(world_t *w, int d)
{
    fake_run_t *r = run_of(w, d);
    assert_non_null(r);
    r->view.state = RUN_WAITING;
    snprintf(r->view.waiting_gate, sizeof r->view.waiting_gate, "%s", FLEET_CUTOVER_GATE);
}

static void start_fleet(world_t *w)
{
    char name[64];
    alfup_err_t err;
    write_fleet(&w->fake, "cutover", w->fleet_path, sizeof w->fleet_path);
    if (fleet_runner_start(w->runner, w->fleet_path, false, name, sizeof name, &err) != ALFUP_OK)
        fail_msg("fleet start: %s", err.msg);
    assert_string_equal(name, "lab");
}

static void tick_at(world_t *w, int64_t now)
{
    w->fake.now = now;
    fleet_runner_tick(w->runner);
}

/* Canary, then the wave of parallelism 2; d3's estimate does not fit what is left of the window and it waits with
 * the numbers; d2 rolls back: with a threshold of 1 the fleet halts, d3 never cuts over (not in the next window
 * either) and d4 is never started. */
static void test_waves_fit_and_halt(void **state)
{
    world_t *w = *state;
    w->fake.estimates[0] = MINUTE;
    w->fake.estimates[1] = MINUTE;
    w->fake.estimates[2] = 5 * MINUTE;
    w->fake.now = utc(4, 8, 0, 0);
    start_fleet(w);
    assert_int_equal(w->fake.starts, 0); /* 2 h before the window, prepare_ahead 1 h */
    assert_status_has(w, "\"why\":\"not-yet\"");
    tick_at(w, utc(4, 9, 0, 0));
    assert_int_equal(w->fake.starts, 1); /* the canary only */
    assert_non_null(run_of(w, 1));
    assert_status_has(w, "\"deployment\":\"d2\",\"wave\":\"rest\",\"state\":\"pending\"");
    reach_gate(w, 1);
    tick_at(w, utc(4, 9, 30, 0));
    assert_status_has(w, "\"deployment\":\"d1\",\"wave\":\"canary\",\"state\":\"prepared\"");
    assert_int_equal(run_of(w, 1)->approvals, 0); /* outside the window */
    tick_at(w, utc(4, 10, 0, 0));
    assert_int_equal(run_of(w, 1)->approvals, 1);
    run_of(w, 1)->view.state = RUN_WAITING; /* the new version serves; the decommission gate always waits */
    snprintf(run_of(w, 1)->view.waiting_gate, sizeof run_of(w, 1)->view.waiting_gate, "decommission");
    tick_at(w, utc(4, 10, 2, 0));
    assert_status_has(w, "the new version serves; the run waits at gate 'decommission' for an operator");
    assert_int_equal(w->fake.starts, 3); /* d2 and d3: parallelism 2; d4 waits */
    assert_null(run_of(w, 4));
    assert_status_has(w, "\"deployment\":\"d4\",\"wave\":\"rest\",\"state\":\"pending\",\"run\":\"\","
                         "\"action\":\"wait\",\"why\":\"parallelism\"");
    reach_gate(w, 2);
    reach_gate(w, 3);
    tick_at(w, utc(4, 10, 3, 0)); /* 7 min left: d2 needs 90 s, d3 450 s */
    assert_int_equal(w->fake.estimate_now, utc(4, 10, 3, 0)); /* estimated as of the runner's clock */
    assert_int_equal(run_of(w, 2)->approvals, 1);
    assert_int_equal(run_of(w, 3)->approvals, 0);
    assert_status_has(w, "estimate 5 min x 1.5 = 7 min > 7 min left (450s > 420s): waits for the next window");
    run_of(w, 2)->view.state = RUN_ROLLED_BACK;
    snprintf(run_of(w, 2)->view.error, sizeof run_of(w, 2)->view.error, "start-new@repo1: failed patch");
    tick_at(w, utc(4, 10, 4, 0));
    assert_status_has(w, "\"state\":\"halted\"");
    assert_status_has(w, "\"event\":\"rolled-back\"");
    assert_status_has(w, "\"event\":\"halted\"");
    tick_at(w, utc(5, 10, 0, 0)); /* the next window: d3 fits now, but the fleet is halted */
    assert_int_equal(run_of(w, 3)->approvals, 0);
    assert_null(run_of(w, 4));
    assert_int_equal(w->fake.starts, 3);
    assert_status_has(w, "fleet halted: 1 failures reach the threshold of 1");
}

/* The controller stops after d1 was prepared; it comes back after the fit no longer holds in that window (89 s
 * left, 90 s needed): d1 waits, its paused run resumed, nothing started again. Killed once more, it comes back
 * late in the next window when the estimate fits: d1 cuts over then. */
static void test_restart_continues(void **state)
{
    world_t *w = *state;
    w->fake.estimates[0] = MINUTE;
    w->fake.now = utc(4, 9, 30, 0);
    w->fake.lose_next_start = 1; /* the start's outcome never recorded: as if the controller died there */
    start_fleet(w);
    assert_int_equal(w->fake.starts, 1);
    tick_at(w, utc(4, 9, 30, 1));
    assert_int_equal(w->fake.starts, 1); /* the run the decision started is adopted, not started again */
    assert_status_has(w, "\"deployment\":\"d1\",\"wave\":\"canary\",\"state\":\"preparing\",\"run\":\"run1\"");
    assert_status_has(w, "\"event\":\"run-adopted\"");
    reach_gate(w, 1);
    restart(w);
    tick_at(w, utc(4, 10, 8, 31));
    assert_int_equal(run_of(w, 1)->resumes, 1);
    assert_int_equal(run_of(w, 1)->approvals, 0);
    assert_status_has(w, "(90s > 89s): waits for the next window");
    restart(w);
    tick_at(w, utc(5, 10, 5, 0));
    assert_int_equal(run_of(w, 1)->resumes, 2);
    assert_int_equal(run_of(w, 1)->approvals, 1);
    assert_int_equal(w->fake.starts, 1);
    restart(w); /* the cutover's decision is done: a restart does not approve it again */
    tick_at(w, utc(5, 10, 5, 30));
    assert_int_equal(run_of(w, 1)->approvals, 1);
    assert_status_has(w, "\"deployment\":\"d1\",\"wave\":\"canary\",\"state\":\"cutting-over\"");
}

/* drain: nothing starts, across a restart; undrain: the canary prepares. */
static void test_drain(void **state)
{
    world_t *w = *state;
    alfup_err_t err;
    assert_int_equal(fleet_runner_set_drained(w->runner, true, &err), ALFUP_OK);
    w->fake.now = utc(4, 9, 30, 0);
    start_fleet(w);
    restart(w);
    assert_true(fleet_runner_drained(w->runner));
    tick_at(w, utc(4, 9, 31, 0));
    assert_int_equal(w->fake.starts, 0);
    assert_status_has(w, "controller drained: nothing new starts");
    assert_int_equal(fleet_runner_set_drained(w->runner, false, &err), ALFUP_OK);
    tick_at(w, utc(4, 9, 32, 0));
    assert_int_equal(w->fake.starts, 1);
}

/* pause stops new starts; cancel cancels runs that have not cut over; a fleet name runs once; a plan without the
 * cutover gate is refused at start. */
static void test_pause_cancel_and_refusals(void **state)
{
    world_t *w = *state;
    alfup_err_t err;
    char name[64];
    w->fake.now = utc(4, 9, 30, 0);
    start_fleet(w);
    assert_int_equal(w->fake.starts, 1);
    run_of(w, 1)->view.state = RUN_SUCCEEDED;
    assert_int_equal(fleet_runner_pause(w->runner, "lab", &err), ALFUP_OK);
    tick_at(w, utc(4, 9, 31, 0));
    assert_int_equal(w->fake.starts, 1);
    assert_int_equal(fleet_runner_resume(w->runner, "lab", &err), ALFUP_OK);
    assert_int_equal(w->fake.starts, 3);
    assert_int_equal(fleet_runner_cancel(w->runner, "lab", &err), ALFUP_OK);
    assert_int_equal(run_of(w, 2)->view.state, RUN_CANCELLED);
    assert_int_equal(run_of(w, 3)->view.state, RUN_CANCELLED);
    tick_at(w, utc(4, 10, 0, 0));
    assert_int_equal(w->fake.starts, 3);
    assert_status_has(w, "\"state\":\"cancelled\"");
    assert_int_equal(fleet_runner_start(w->runner, w->fleet_path, false, name, sizeof name, &err), ALFUP_ERR);
    assert_non_null(strstr(err.msg, "a fleet runs once"));
    write_fleet(&w->fake, "decommission", w->fleet_path, sizeof w->fleet_path);
    assert_int_equal(fleet_runner_start(w->runner, w->fleet_path, false, name, sizeof name, &err), ALFUP_ERR);
    if (strstr(err.msg, "has no 'cutover' gate") == NULL)
        fail_msg("%s", err.msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_waves_fit_and_halt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_continues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_cancel_and_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
