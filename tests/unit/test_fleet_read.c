/* test_fleet_read.c -- fleet check: the shipped example passes with its plans; every kind of mistake in a fleet
 * file is refused with FILE:LINE, all of them in one pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fleet.h"

static const char BAD[] = "fleet: bad fleet\n"              /* 1: not a name */
                          "deployments:\n"                  /* 2 */
                          "  a: a.yaml\n"                   /* 3 */
                          "  b: b.yaml\n"                   /* 4 */
                          "  c: c.yaml\n"                   /* 5: in no wave */
                          "window:\n"                       /* 6 */
                          "  timezone: Mars/Olympus\n"      /* 7: unknown zone */
                          "  start: 2027-02-30T01:00\n"     /* 8: no such date */
                          "  rrule: FREQ=WEEKLY;BYDAY=XX\n" /* 9: libical refuses */
                          "  duration: 4 hours\n"           /* 10: not a duration */
                          "  colour: blue\n"                /* 11: unknown key */
                          "blackouts:\n"                    /* 12 */
                          "  - date: 2027-12-25T10:00\n"    /* 13: not a date */
                          "  - from: 2027-04-05\n"          /* 14 */
                          "    to: 2027-04-01\n"            /* 15: ends before it starts? zone unknown */
                          "  - {date: 2027-01-01, from: 2027-01-01, to: 2027-01-02}\n" /* 16: two kinds */
                          "waves:\n"                                                   /* 17 */
                          "  - name: one\n"                                            /* 18 */
                          "    deployments: [a, zz]\n"                                 /* 19: unknown zz */
                          "    parallelism: 0\n"                                       /* 20: < 1 */
                          "  - name: two\n"                                            /* 21 */
                          "    deployments: [a, b]\n"                                  /* 22: a in two waves */
                          "    soak: soon\n"                                           /* 23: not a duration */
                          "failure_threshold: 4\n"                                     /* 24: > 3 deployments */
                          "prepare_ahead: -1h\n"                                       /* 25 */
                          "safety_factor: 0.5\n"                                       /* 26 */
                          "approve_cutovers: maybe\n"                                  /* 27 */
                          "surprise: 1\n";                                             /* 28: unknown key */

static fleet_t *parse(const char *text, plan_diag_t *diag)
{
    fleet_read_options_t options = {.check_plans = false};
    return fleet_parse("fleet.yaml", text, strlen(text), &options, diag);
}

static bool has_error(const plan_diag_t *diag, const char *prefix, const char *part)
{
    for (size_t i = 0; i < diag->errors.count; i++)
        if (strncmp(diag->errors.items[i], prefix, strlen(prefix)) == 0 && strstr(diag->errors.items[i], part))
            return true;
    return false;
}

static void expect_error(const plan_diag_t *diag, const char *prefix, const char *part)
{
    if (!has_error(diag, prefix, part)) {
        for (size_t i = 0; i < diag->errors.count; i++)
            fprintf(stderr, "  got: %s\n", diag->errors.items[i]);
        fail_msg("no error '%s...%s'", prefix, part);
    }
}

static void test_example_with_plans(void **state)
{
    (void)state;
    const char *source = getenv("ALFUP_SOURCE_DIR");
    assert_non_null(source);
    char path[4096], workflows[4096];
    snprintf(path, sizeof path, "%s/deploy/examples/fleet-example.yaml", source);
    snprintf(workflows, sizeof workflows, "%s/deploy/workflows", source);
    fleet_read_options_t options = {.check_plans = true, .workflows_dir = workflows};
    plan_diag_t diag = {0};
    fleet_t *fleet = fleet_load(path, &options, &diag);
    for (size_t i = 0; i < diag.errors.count; i++)
        fprintf(stderr, "%s\n", diag.errors.items[i]);
    assert_non_null(fleet);
    assert_int_equal(fleet->deployment_count, 2);
    assert_int_equal(fleet->wave_count, 2);
    assert_int_equal(fleet->blackout_count, 3);
    assert_int_equal(fleet->safety_factor_milli, 1500);
    assert_int_equal(fleet->halt_failures, 1);
    assert_true(fleet->approve_cutovers);
    assert_int_equal(fleet->waves[0].soak_s, 86400);
    assert_non_null(strstr(fleet->deployments[0].plan_path, "/deploy/examples/plan-prestaged.yaml"));
    fleet_destroy(&fleet);
    assert_null(fleet);
}

static void test_every_mistake_at_once(void **state)
{
    (void)state;
    plan_diag_t diag = {0};
    fleet_t *fleet = parse(BAD, &diag);
    assert_null(fleet);
    expect_error(&diag, "fleet.yaml:1:", "not a name");
    expect_error(&diag, "fleet.yaml:5:", "'c' is in no wave");
    expect_error(&diag, "fleet.yaml:7:", "unknown time zone 'Mars/Olympus'");
    expect_error(&diag, "fleet.yaml:8:", "'2027-02-30T01:00' is not a date-time");
    expect_error(&diag, "fleet.yaml:9:", "refused by libical: MALFORMEDDATA");
    expect_error(&diag, "fleet.yaml:10:", "'4 hours' is not a duration");
    expect_error(&diag, "fleet.yaml:11:", "unknown key");
    expect_error(&diag, "fleet.yaml:13:", "a date (YYYY-MM-DD)");
    expect_error(&diag, "fleet.yaml:16:", "a blackout is one of");
    expect_error(&diag, "fleet.yaml:19:", "unknown deployment 'zz'");
    expect_error(&diag, "fleet.yaml:20:", "parallelism");
    expect_error(&diag, "fleet.yaml:22:", "'a' is already in wave 'one'");
    expect_error(&diag, "fleet.yaml:23:", "'soon' is not a duration");
    expect_error(&diag, "fleet.yaml:24:", "'4' is not a failure threshold (a count 1..3");
    expect_error(&diag, "fleet.yaml:25:", "'-1h' is not a duration");
    expect_error(&diag, "fleet.yaml:26:", "'0.5' is not a safety factor");
    expect_error(&diag, "fleet.yaml:27:", "approve_cutovers");
    expect_error(&diag, "fleet.yaml:28:", "unknown key");
    plan_diag_clear(&diag);
}

static const char GOOD_HEAD[] = "fleet: f\n"
                                "deployments: {a: a.yaml, b: b.yaml}\n"
                                "window:\n"
                                "  timezone: Europe/Berlin\n";

static void refused_window(const char *window_rest, const char *prefix, const char *part)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%swaves: [{name: w, deployments: [a, b]}]\n", GOOD_HEAD, window_rest);
    plan_diag_t diag = {0};
    fleet_t *fleet = parse(text, &diag);
    assert_null(fleet);
    expect_error(&diag, prefix, part);
    plan_diag_clear(&diag);
}

static void test_window_rules(void **state)
{
    (void)state;
    /* 2027-01-03 is a Sunday: not an occurrence of a Saturday rule */
    refused_window("  start: 2027-01-03T01:00\n  rrule: FREQ=WEEKLY;BYDAY=SA\n  duration: 4h\n",
                   "fleet.yaml:6:", "not an occurrence of the rule");
    refused_window("  start: 2027-01-02T01:00\n  rrule: FREQ=DAILY\n  duration: 25h\n",
                   "fleet.yaml:6:", "occurrences overlap");
    refused_window("  start: 2027-01-02T01:00\n  rrule: FREQ=DAILY;RSCALE=HEBREW\n  duration: 1h\n",
                   "fleet.yaml:6:", "RSCALE");
    refused_window("  start: 2027-01-02T01:00\n  rrule: FREQ=HOURLY;INTERVAL=5\n  duration: 1h\n", "fleet.yaml:6:",
                   "FREQ finer than DAILY");
    refused_window("  start: 2027-01-02T01:00\n  rrule: FREQ=DAILY\n  duration: 30s\n",
                   "fleet.yaml:7:", "at least 1 minute");
    refused_window("  start: 2027-01-02\n  rrule: FREQ=DAILY\n  duration: 1h\n", "fleet.yaml:5:", "is not a date-time");
}

static void test_threshold_percent(void **state)
{
    (void)state;
    const char *cases[][2] = {{"50%", "1"}, {"100%", "2"}, {"1%", "1"}, {"2", "2"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "%s  start: 2027-01-02T01:00\n  rrule: FREQ=WEEKLY;BYDAY=SA\n  duration: 4h\n"
                 "waves: [{name: w, deployments: [a, b]}]\nfailure_threshold: \"%s\"\n",
                 GOOD_HEAD, cases[i][0]);
        plan_diag_t diag = {0};
        fleet_t *fleet = parse(text, &diag);
        assert_non_null(fleet);
        assert_int_equal(fleet->halt_failures, (unsigned)atoi(cases[i][1]));
        fleet_destroy(&fleet);
    }
    const char *refused[] = {"0%", "101%", "0", "3", "5 %", "x"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char text[2048];
        snprintf(text, sizeof text,
                 "%s  start: 2027-01-02T01:00\n  rrule: FREQ=WEEKLY;BYDAY=SA\n  duration: 4h\n"
                 "waves: [{name: w, deployments: [a, b]}]\nfailure_threshold: \"%s\"\n",
                 GOOD_HEAD, refused[i]);
        plan_diag_t diag = {0};
        assert_null(parse(text, &diag));
        expect_error(&diag, "fleet.yaml:9:", "is not a failure threshold");
        plan_diag_clear(&diag);
    }
}

static void test_size_limit_and_missing_plan(void **state)
{
    (void)state;
    size_t len = FLEET_MAX_BYTES + 1;
    char *big = malloc(len + 1);
    assert_non_null(big);
    memset(big, '#', len);
    big[len] = '\0';
    plan_diag_t diag = {0};
    assert_null(parse(big, &diag));
    expect_error(&diag, "fleet.yaml:", "a fleet file has at most");
    plan_diag_clear(&diag);
    free(big);

    const char text[] = "fleet: f\ndeployments:\n  a: /nonexistent/plan-a.yaml\nwindow:\n  timezone: UTC\n"
                        "  start: 2027-01-02T01:00\n  rrule: FREQ=DAILY\n  duration: 1h\n"
                        "waves: [{name: w, deployments: [a]}]\n";
    fleet_read_options_t options = {.check_plans = true, .workflows_dir = "/nonexistent"};
    fleet_t *fleet = fleet_parse("fleet.yaml", text, strlen(text), &options, &diag);
    assert_null(fleet);
    expect_error(&diag, "fleet.yaml:3:", "plan file '/nonexistent/plan-a.yaml' not found");
    plan_diag_clear(&diag);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_with_plans),
        cmocka_unit_test(test_every_mistake_at_once),
        cmocka_unit_test(test_window_rules),
        cmocka_unit_test(test_threshold_percent),
        cmocka_unit_test(test_size_limit_and_missing_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
