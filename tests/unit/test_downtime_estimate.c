/* test_downtime_estimate.c -- the cutover's downtime estimate from a run's measurements (synthetic step
 * results on a small prestaged-shaped workflow, tests/unit/data/estimate/estimate-test.yaml): each part
 * from the right measurement, parallel stages taking their slowest, every missing input making the
 * estimate unknown and named in the basis, and the measured downtime against it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "downtime_estimate.h"
#include "downtime_status.h"
#include "file_util.h"

#define T0 1800000000000ull /* a wall clock origin for the synthetic steps */
#define MIB (1024ll * 1024ll)

static char source_dir[4096], workflows[4200];

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("ALFUP_SOURCE_DIR");
    snprintf(source_dir, sizeof source_dir, "%s", src ? src : ".");
    snprintf(workflows, sizeof workflows, "%s/tests/unit/data/estimate", source_dir);
    return 0;
}

/* The prestaged example plan, pointed at the test workflow. */
static run_t *new_run(void)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/deploy/examples/plan-prestaged.yaml", source_dir);
    uint8_t *bytes = NULL;
    size_t len = 0;
    alfup_err_t err = {{0}};
    if (file_read_all(path, 1u << 20, &bytes, &len, &err) != 0)
        fail_msg("%s: %s", path, err.msg);
    char *text = calloc(1, len + 64);
    assert_non_null(text);
    memcpy(text, bytes, len);
    free(bytes);
    /* the example's rehearsal: section needs a workflow with the rehearse phase; this test's has none */
    char *rehearsal = strstr(text, "\nrehearsal:"), *approve = rehearsal ? strstr(rehearsal, "\napprove:") : NULL;
    if (rehearsal && approve)
        memmove(rehearsal, approve, strlen(approve) + 1);
    char *at = strstr(text, "alfresco-upgrade-prestaged");
    assert_non_null(at);
    const char *name = "estimate-test";
    memmove(at + strlen(name), at + strlen("alfresco-upgrade-prestaged"),
            strlen(at + strlen("alfresco-upgrade-prestaged")) + 1);
    memcpy(at, name, strlen(name));
    run_t *run = calloc(1, sizeof *run);
    assert_non_null(run);
    run->plan = run_plan_build("plan.yaml", text, strlen(text), workflows, &err);
    free(text);
    if (run->plan == NULL)
        fail_msg("%s", err.msg);
    run->steps = calloc(run->plan->step_count + 1, sizeof *run->steps);
    run->rollback_steps = calloc(run->plan->rollback_count + 1, sizeof *run->rollback_steps);
    assert_non_null(run->steps);
    return run;
}

/* Marks step id succeeded, sent at start_ms after T0 and finished wall_ms later, with outputs given as
 * "key=value" strings ending with NULL. */
static void done(run_t *run, const char *id, uint64_t start_ms, uint64_t wall_ms, ...)
{
    long i = run_plan_find(run->plan, id);
    if (i < 0)
        fail_msg("no step %s in the test plan", id);
    run_step_t *s = &run->steps[i];
    s->state = RSTEP_SUCCEEDED;
    s->sent_unix_ms = T0 + start_ms;
    s->finished_unix_ms = T0 + start_ms + wall_ms;
    va_list ap;
    va_start(ap, wall_ms);
    for (const char *kv = va_arg(ap, const char *); kv != NULL; kv = va_arg(ap, const char *)) {
        const char *eq = strchr(kv, '=');
        assert_non_null(eq);
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        assert_int_equal(kv_list_add(&s->result.outputs, key, eq + 1), 0);
    }
    va_end(ap);
}

/* Everything the estimate reads, measured before the cutover. */
static void measure_all(run_t *run)
{
    /* 1 MiB in 0.6 s: at the base's rate below 0.08 s, so an archive step costs 0.52 s whatever its size */
    done(run, "backup-config@repo1", 0, 600, "bytes=1048576", NULL);
    done(run, "start-custom-solr@solr1", 0, 3000, NULL);
    done(run, "start-custom@repo1", 0, 9000, "already_running=no", NULL);
    done(run, "test-custom@repo1", 9000, 200, "already_running=yes", NULL);
    done(run, "stop-custom@repo1", 10000, 2500, "already_stopped=no", NULL);
    done(run, "stop-custom-solr@solr1", 10000, 1500, "already_stopped=no", NULL);
    /* the base: 1000 files, 100 MiB in 8 s of backup and 2 s of laying */
    done(run, "base-content@repo1", 20000, 8000, "files=1000", "bytes=104857600", NULL);
    done(run, "lay-content@repo1", 28000, 2000, "files=1000", NULL);
    /* 50 files and 20 MiB changed since (a fifth of the bytes), counted in 0.3 s */
    done(run, "scan-content@repo1", 30000, 300, "changed_files=50", "changed_bytes=20971520", NULL);
    /* the rehearsal: 512 MiB dumped and restored in 16 s; the new version ready after 40 s */
    done(run, "rehearse-db@db1", 31000, 17000, "db_bytes=536870912", "copy_ms=16000", NULL);
    done(run, "rehearse-start@repo1", 48000, 41000, "start_to_ready_ms=40000", NULL);
    done(run, "rehearse-stop@repo1", 90000, 4000, "already_stopped=no", NULL);
}

static void test_every_part_from_its_measurement(void **state)
{
    (void)state;
    run_t *run = new_run();
    measure_all(run);
    downtime_estimate_t est;
    assert_int_equal(downtime_estimate_for_run(run, &est), 0);
    assert_true(est.known);
    /* stop: the slowest stop seen on each agent (the rehearsal's 4 s on repo1), in parallel */
    assert_int_equal(est.stop_ms, 4000);
    /* db: 512 MiB at the rehearsal's dump+restore rate (no template copy seen): 16 s, an upper bound */
    assert_int_equal(est.db_copy_ms, 16000);
    /* delta: the scan's 0.3 s + the fixed 0.52 s + a fifth of the base's 10 s */
    assert_int_equal(est.delta_ms, 300 + 520 + 2000);
    /* start: max(rehearsal 40 s, solr staging 3 s), then the probe as test-custom 0.2 s */
    assert_int_equal(est.start_ms, 40000 + 200);
    assert_int_equal(est.total_ms, 4000 + 16000 + 40200);
    assert_non_null(strstr(est.basis, "rehearsal's start to ready"));
    assert_non_null(strstr(est.basis, "an upper bound"));
    assert_non_null(strstr(est.basis, "50 files 20.0 MiB (counted ")); /* when: later writes come on top */
    assert_null(strstr(est.basis, "UNKNOWN"));
    run_free(run);
}

/* A template copy seen before the cutover gives the database's rate; the longer delta then governs. */
static void test_template_copy_rate_and_parallel_stage(void **state)
{
    (void)state;
    run_t *run = new_run();
    measure_all(run);
    long scan = run_plan_find(run->plan, "scan-content@repo1");
    kv_list_clear(&run->steps[scan].result.outputs);
    kv_list_add(&run->steps[scan].result.outputs, "changed_files", "1000");
    kv_list_add(&run->steps[scan].result.outputs, "changed_bytes", "0");
    /* the rehearsal's database timed by a template copy: 256 MiB in 1 s */
    done(run, "rehearse-copy-rate@db1", 94000, 1000, "bytes=268435456", NULL);
    downtime_estimate_t est;
    downtime_estimate_for_run(run, &est);
    assert_true(est.known);
    assert_int_equal(est.db_copy_ms, 2000); /* 512 MiB at 256 MiB/s */
    assert_int_equal(est.delta_ms, 300 + 520 + 10000);
    assert_int_equal(est.total_ms, 4000 + 10820 + 40200);
    assert_non_null(strstr(est.basis, "template copy seen"));
    run_free(run);
}

static void test_missing_inputs_make_it_unknown(void **state)
{
    (void)state;
    run_t *run = new_run();
    downtime_estimate_t est;
    downtime_estimate_for_run(run, &est); /* nothing ran yet */
    assert_false(est.known);
    assert_non_null(strstr(est.basis, "stop: none seen on repo1: at most its timeout 3600 s"));
    assert_non_null(strstr(est.basis, "db: UNKNOWN"));
    assert_non_null(strstr(est.basis, "start: UNKNOWN"));
    run_free(run);

    /* without the rehearsal the start is the staging one: a lower bound, still unknown */
    run = new_run();
    measure_all(run);
    long start = run_plan_find(run->plan, "rehearse-start@repo1");
    run->steps[start].state = RSTEP_PENDING;
    kv_list_clear(&run->steps[start].result.outputs);
    downtime_estimate_for_run(run, &est);
    assert_false(est.known);
    assert_int_equal(est.start_ms, 9000 + 200);
    assert_non_null(strstr(est.basis, "no rehearsal; 9.0 s as start-custom@repo1 on an empty database"));
    run_free(run);

    /* no delta scan: the changes since the base are not counted */
    run = new_run();
    measure_all(run);
    run->steps[run_plan_find(run->plan, "scan-content@repo1")].state = RSTEP_FAILED;
    downtime_estimate_for_run(run, &est);
    assert_false(est.known);
    assert_non_null(strstr(est.basis, "delta: UNKNOWN, delta-content@repo1: changes since the base not counted"));
    run_free(run);
}

/* The cutover's own results never change the estimate: the report shows what the gate showed. */
static void test_actual_against_estimate(void **state)
{
    (void)state;
    run_t *run = new_run();
    measure_all(run);
    downtime_estimate_t before, after;
    downtime_estimate_for_run(run, &before);
    int64_t actual = 0;
    assert_int_equal(downtime_actual_for_run(run, &actual), -1);
    done(run, "stop-old@repo1", 200000, 3000, NULL);
    done(run, "stop-old-solr@solr1", 200000, 1000, NULL);
    done(run, "copy-database@db1", 203000, 2500, "bytes=536870912", NULL);
    done(run, "delta-content@repo1", 203000, 2000, NULL);
    done(run, "start-restored-solr@solr1", 205500, 4000, NULL);
    done(run, "start-restored@repo1", 205500, 45000, NULL);
    assert_int_equal(downtime_actual_for_run(run, &actual), -1); /* verify-restored not done yet */
    done(run, "verify-restored@repo1", 250500, 500, NULL);
    assert_int_equal(downtime_actual_for_run(run, &actual), 0);
    assert_int_equal(actual, 51000);
    downtime_estimate_for_run(run, &after);
    assert_int_equal(after.total_ms, before.total_ms);
    assert_string_equal(after.basis, before.basis);
    run_free(run);
}

#define HOUR_MS 3600000ull

/* measure_all's count moved to an hour after the base copy's end (08:00:28Z): 50 files, 20 MiB an hour. */
static run_t *counted_an_hour_after_the_base(uint64_t *counted)
{
    run_t *run = new_run();
    measure_all(run);
    run_step_t *scan = &run->steps[run_plan_find(run->plan, "scan-content@repo1")];
    uint64_t base_end = run->steps[run_plan_find(run->plan, "base-content@repo1")].finished_unix_ms;
    scan->finished_unix_ms = base_end + HOUR_MS;
    scan->sent_unix_ms = scan->finished_unix_ms - 300;
    *counted = scan->finished_unix_ms;
    return run;
}

/* A run prepared at 09:00 and waiting at its gate until 19:00: production went on writing at the counted rate,
 * and the delta outgrows the database copy. The estimate as counted (60.2 s) would let a fleet start a cutover
 * that takes 67 s. */
static void test_extrapolated_to_the_decision(void **state)
{
    (void)state;
    uint64_t counted = 0;
    run_t *run = counted_an_hour_after_the_base(&counted);
    downtime_estimate_t at_count, now;
    downtime_estimate_for_run(run, &at_count);
    assert_int_equal(at_count.total_ms, 4000 + 16000 + 40200);
    assert_int_equal(at_count.counted_unix_ms, counted);
    assert_int_equal(at_count.at_unix_ms, 0);
    assert_int_equal(downtime_estimate_at(run, (int64_t)(counted + 10 * HOUR_MS), &now), 0);
    assert_true(now.known);
    /* 50 + 10 h x 50 files/h = 550 files, 20 + 200 = 220 MiB: 2.2 times the base's 10 s */
    assert_int_equal(now.delta_ms, 300 + 520 + 22000);
    assert_int_equal(now.total_ms, 4000 + 22820 + 40200);
    assert_int_equal(now.counted_unix_ms, counted);
    assert_int_equal(now.at_unix_ms, counted + 10 * HOUR_MS);
    assert_non_null(strstr(now.basis, "delta-content@repo1 550 files 220.0 MiB (counted 09:00:28Z, extrapolated "
                                      "10.0 h to 19:00:28Z at 50 files/h, 20.0 MiB/h) at 100 files/s"));
    assert_non_null(strstr(now.basis, "start: ")); /* the longer basis still holds every part */
    /* at or before the count: as counted */
    downtime_estimate_at(run, (int64_t)counted, &now);
    assert_int_equal(now.total_ms, at_count.total_ms);
    assert_string_equal(now.basis, at_count.basis);
    downtime_estimate_at(run, 0, &now);
    assert_string_equal(now.basis, at_count.basis);
    run_free(run);
}

/* Once the cutover started, production stopped writing: the extrapolation ends at its first step, however late
 * the estimate is asked for (what the report compares with the measured downtime). */
static void test_extrapolation_ends_at_the_cutover(void **state)
{
    (void)state;
    uint64_t counted = 0;
    run_t *run = counted_an_hour_after_the_base(&counted);
    run->steps[run_plan_find(run->plan, "stop-old@repo1")].sent_unix_ms = counted + 5 * HOUR_MS;
    downtime_estimate_t est, later;
    downtime_estimate_at(run, (int64_t)(counted + 10 * HOUR_MS), &est);
    assert_int_equal(est.at_unix_ms, counted + 5 * HOUR_MS);
    assert_int_equal(est.delta_ms, 300 + 520 + 12000); /* 120 MiB: 1.2 times the base */
    downtime_estimate_at(run, (int64_t)(counted + 100 * HOUR_MS), &later);
    assert_int_equal(later.total_ms, est.total_ms);
    assert_string_equal(later.basis, est.basis);
    run_free(run);
}

/* A count a moment after the base copy: the rate is taken over at least a second, not over nothing; nothing
 * counted grows to nothing. */
static void test_rate_over_a_short_span(void **state)
{
    (void)state;
    run_t *run = new_run();
    measure_all(run);
    run_step_t *scan = &run->steps[run_plan_find(run->plan, "scan-content@repo1")];
    scan->finished_unix_ms = run->steps[run_plan_find(run->plan, "base-content@repo1")].finished_unix_ms + 500;
    scan->sent_unix_ms = scan->finished_unix_ms - 300;
    downtime_estimate_t est;
    downtime_estimate_at(run, (int64_t)(scan->finished_unix_ms + 2000), &est);
    assert_int_equal(est.delta_ms, 300 + 520 + 6000); /* 20 MiB a second for 2 s more: 60 MiB */
    assert_non_null(strstr(est.basis, "extrapolated 0.0 min to 08:00:30Z at 180000 files/h, 72000.0 MiB/h"));
    kv_list_clear(&scan->result.outputs);
    kv_list_add(&scan->result.outputs, "changed_files", "0");
    kv_list_add(&scan->result.outputs, "changed_bytes", "0");
    downtime_estimate_at(run, (int64_t)(scan->finished_unix_ms + 100 * HOUR_MS), &est);
    assert_int_equal(est.delta_ms, 300 + 520);
    assert_non_null(strstr(est.basis, "0 files 0.0 MiB (counted "));
    run_free(run);
}

/* status --json: the estimate now (extrapolated) beside the estimate as counted. */
static void test_status_json_now_and_at_count(void **state)
{
    (void)state;
    uint64_t counted = 0;
    run_t *run = counted_an_hour_after_the_base(&counted);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    downtime_status_json(run, (int64_t)(counted + 10 * HOUR_MS), out);
    downtime_status_human(run, (int64_t)(counted + 10 * HOUR_MS), out);
    fclose(out);
    assert_non_null(strstr(text, ",\"downtime\":{\"estimate\":{\"known\":true,\"total_ms\":67020,"));
    assert_non_null(strstr(text, ",\"estimate_at_count\":{\"known\":true,\"total_ms\":60200,"));
    assert_non_null(strstr(text, "\"at_unix_ms\":null,"));
    assert_non_null(strstr(text, "estimated downtime: 67.0 s = "));
    assert_non_null(strstr(text, "  as counted, before the extrapolation: 60.2 s\n"));
    free(text);
    run_free(run);
}

/* What status prints: the formula with its parts, "unknown" with the parts so far, and the JSON object. */
static void test_printed_forms(void **state)
{
    (void)state;
    downtime_estimate_t est = {.known = 1, .total_ms = 61200, .stop_ms = 4000, .db_copy_ms = 16000,
                               .delta_ms = 2300, .start_ms = 41200};
    snprintf(est.basis, sizeof est.basis, "stop: \"quoted\" basis");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    downtime_estimate_print(&est, "estimated downtime", "", out);
    est.known = 0;
    downtime_estimate_print(&est, "estimated downtime", "", out);
    downtime_estimate_json(&est, out);
    fclose(out);
    assert_non_null(strstr(text, "estimated downtime: 61.2 s = stop 4.0 s + max(database 16.0 s, delta 2.3 s) + "
                                 "start 41.2 s\n  basis: stop: \"quoted\" basis\n"));
    assert_non_null(strstr(text, "estimated downtime: unknown (an input is not measured); the parts so far: stop "
                                 "4.0 s, database 16.0 s, delta 2.3 s, start 41.2 s\n"));
    assert_non_null(strstr(text, "{\"known\":false,\"total_ms\":61200,\"stop_ms\":4000,\"db_copy_ms\":16000,"
                                 "\"delta_ms\":2300,\"start_ms\":41200,\"counted_unix_ms\":null,\"at_unix_ms\":null,\"basis\":\"stop: \\\"quoted\\\" basis\"}"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_part_from_its_measurement),
        cmocka_unit_test(test_template_copy_rate_and_parallel_stage),
        cmocka_unit_test(test_missing_inputs_make_it_unknown),
        cmocka_unit_test(test_actual_against_estimate),
        cmocka_unit_test(test_extrapolated_to_the_decision),
        cmocka_unit_test(test_extrapolation_ends_at_the_cutover),
        cmocka_unit_test(test_rate_over_a_short_span),
        cmocka_unit_test(test_status_json_now_and_at_count),
        cmocka_unit_test(test_printed_forms),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
