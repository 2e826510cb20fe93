/* test_run_metrics.c -- the runs' metrics (run_metrics.c) from runs in memory and a real journal file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "journal.h"
#include "run_metrics.h"

typedef struct world {
    char dir[64];
    journal_t *journal;
} world_t;

static int setup(void **state)
{
    world_t *w = calloc(1, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "/tmp/alfup-metrics-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    char path[128];
    snprintf(path, sizeof path, "%s/journal.db", w->dir);
    alfup_err_t err;
    w->journal = journal_open(path, &err);
    assert_non_null(w->journal);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world_t *w = *state;
    char path[128];
    journal_close(&w->journal);
    snprintf(path, sizeof path, "%s/journal.db", w->dir);
    unlink(path);
    for (const char *suffix = "-wal"; suffix; suffix = strcmp(suffix, "-wal") == 0 ? "-shm" : NULL) {
        char side[160];
        snprintf(side, sizeof side, "%s%s", path, suffix);
        unlink(side);
    }
    rmdir(w->dir);
    free(w);
    return 0;
}

static char *metrics(world_t *w, const run_t *runs)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    alfup_err_t err;
    assert_int_equal(run_metrics_write(w->journal, runs, out, &err), ALFUP_OK);
    fclose(out);
    return text;
}

static void sql(world_t *w, const char *text)
{
    char *message = NULL;
    if (sqlite3_exec(journal_db(w->journal), text, NULL, NULL, &message) != SQLITE_OK)
        fail_msg("%s: %s", text, message);
}

/* Durations: a histogram per kind of the finished steps; bytes: the backup and restore outputs. */
static void test_durations_and_bytes_from_the_journal(void **state)
{
    world_t *w = *state;
    sql(w, "INSERT INTO steps(step_id, agent, kind, state, sent_unix_ms, finished_unix_ms, outputs_json) VALUES"
           "('a', 'r', 'backup-tree', 'succeeded', 0, 5000, '{\"bytes\":\"100\"}'),"
           "('b', 'r', 'backup-tree', 'failed', 0, 120000, '{\"bytes\":\"999\"}'),"
           "('c', 'd', 'db-backup', 'succeeded', 0, 500, '{\"dump_bytes\":\"7\"}'),"
           "('d', 'r', 'restore-tree', 'succeeded', 0, 50, '{\"bytes\":\"30\"}'),"
           "('e', 'r', 'ping', 'sent', 0, NULL, NULL)");
    char *text = metrics(w, NULL);
    static const char *const want[] = {
        "alfup_step_duration_seconds_bucket{kind=\"backup-tree\",le=\"1\"} 0\n",
        "alfup_step_duration_seconds_bucket{kind=\"backup-tree\",le=\"10\"} 1\n",
        "alfup_step_duration_seconds_bucket{kind=\"backup-tree\",le=\"300\"} 2\n",
        "alfup_step_duration_seconds_bucket{kind=\"backup-tree\",le=\"+Inf\"} 2\n",
        "alfup_step_duration_seconds_sum{kind=\"backup-tree\"} 125.000\n",
        "alfup_step_duration_seconds_count{kind=\"db-backup\"} 1\n",
        "alfup_backup_bytes_total{kind=\"backup-tree\"} 100\n", /* the failed one's bytes do not count */
        "alfup_backup_bytes_total{kind=\"db-backup\"} 7\n",
        "alfup_restore_bytes_total{kind=\"restore-tree\"} 30\n",
        "alfup_runs{state=\"running\"} 0\n",
        "# TYPE alfup_step_duration_seconds histogram\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strstr(text, want[i]) == NULL)
            fail_msg("missing %s in:\n%s", want[i], text);
    assert_null(strstr(text, "kind=\"ping\"")); /* not finished */
    assert_null(strstr(text, "alfup_cutover_downtime_seconds{"));
    free(text);
}

/* The cutover's downtime: the newest run whose cutover phase finished, first sent to last finished;
 * runs counted by state. No estimate: this plan arms no rollback, so it stops nothing to estimate. */
static void test_cutover_downtime_of_the_newest_finished_cutover(void **state)
{
    world_t *w = *state;
    planned_step_t steps[3] = {{.id = "stop@repo1", .phase = "cutover", .agent = "repo1", .kind = "service-stop"},
                               {.id = "copy@db1", .phase = "cutover", .agent = "db1", .kind = "db-copy"},
                               {.id = "report@repo1", .phase = "report", .agent = "repo1", .kind = "ping"}};
    /* armed by no step: the estimate has no downtime to estimate (e2e_downtime_estimate checks the gauge) */
    run_plan_t plan = {.steps = steps, .step_count = 3, .rollback_from = 3, .rollback_until = 3};
    run_step_t done[3] = {{.state = RSTEP_SUCCEEDED, .sent_unix_ms = 10000, .finished_unix_ms = 12000},
                          {.state = RSTEP_SUCCEEDED, .sent_unix_ms = 11000, .finished_unix_ms = 14500},
                          {.state = RSTEP_SUCCEEDED, .sent_unix_ms = 90000, .finished_unix_ms = 99000}};
    run_step_t half[3] = {{.state = RSTEP_SUCCEEDED, .sent_unix_ms = 20000, .finished_unix_ms = 21000},
                          {.state = RSTEP_SENT, .sent_unix_ms = 20500}, {.state = RSTEP_PENDING}};
    run_t older = {.id = "run-older", .plan = &plan, .steps = done, .state = RUN_SUCCEEDED};
    run_t newer = {.id = "run-newer", .plan = &plan, .steps = half, .state = RUN_RUNNING, .next = &older};
    char *text = metrics(w, &newer);
    if (strstr(text, "alfup_cutover_downtime_seconds{run=\"run-older\"} 4.500\n") == NULL)
        fail_msg("no downtime of run-older (4.5 s) in:\n%s", text);
    assert_non_null(strstr(text, "alfup_runs{state=\"running\"} 1\n"));
    assert_non_null(strstr(text, "alfup_runs{state=\"succeeded\"} 1\n"));
    assert_null(strstr(text, "run-newer"));
    assert_null(strstr(text, "alfup_cutover_downtime_estimate_seconds"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_durations_and_bytes_from_the_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cutover_downtime_of_the_newest_finished_cutover, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
