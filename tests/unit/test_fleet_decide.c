/* test_fleet_decide.c -- the fleet scheduler with an injected clock: windows across DST changes and midnight,
 * blackouts cutting windows, the fit rule at its boundary, the threshold, waves, parallelism, soak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fleet.h"
#include "fleet_calendar.h"
#include "fleet_decide.h"
#include "fleet_time.h"

#define HOUR 3600
#define MINUTE 60
#define MAX_MEMBERS 8

/* UTC seconds of a UTC date-time, by the C library (not libical): the expected values. */
static int64_t utc(int year, int month, int day, int hour, int minute)
{
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = hour, .tm_min = minute};
    return (int64_t)timegm(&tm);
}

/* A fleet of deployments a..h in the given waves, window and extra keys. */
static fleet_t *fleet_of(const char *window, const char *rest)
{
    char text[4096];
    snprintf(text, sizeof text,
             "fleet: t\n"
             "deployments: {a: a.yaml, b: b.yaml, c: c.yaml, d: d.yaml}\n"
             "window:\n%s"
             "%s",
             window, rest);
    fleet_read_options_t options = {.check_plans = false};
    plan_diag_t diag = {0};
    fleet_t *fleet = fleet_parse("t.yaml", text, strlen(text), &options, &diag);
    for (size_t i = 0; i < diag.errors.count; i++)
        fprintf(stderr, "%s\n", diag.errors.items[i]);
    plan_diag_clear(&diag);
    assert_non_null(fleet);
    return fleet;
}

static const char SATURDAYS[] = "  timezone: Europe/Berlin\n  start: 2027-01-02T01:00\n"
                                "  rrule: FREQ=WEEKLY;BYDAY=SA\n  duration: 4h\n";
static const char ONE_WAVE[] = "waves: [{name: all, deployments: [a, b, c, d], parallelism: 4}]\n";

static fleet_slot_t slot_after(const fleet_t *fleet, int64_t after)
{
    fleet_slot_t slot;
    alfup_err_t err;
    int rc = fleet_calendar_next(fleet, after, &slot, &err);
    if (rc == ALFUP_ERR)
        fail_msg("%s", err.msg);
    assert_int_equal(rc, ALFUP_OK);
    return slot;
}

static void local_text(const fleet_t *fleet, int64_t at, const char *want)
{
    char text[FLEET_TIME_TEXT_MAX];
    fleet_utc_text(at, fleet->zone, text, sizeof text);
    assert_string_equal(text, want);
}

static void test_dst_spring_and_autumn(void **state)
{
    (void)state;
    fleet_t *fleet = fleet_of(SATURDAYS, ONE_WAVE);
    /* 2027-03-27 01:00 CET (UTC+1); 2027-03-28 clocks go forward; 2027-04-03 01:00 CEST (UTC+2) */
    fleet_slot_t s = slot_after(fleet, utc(2027, 3, 26, 0, 0));
    assert_int_equal(s.usable.start, utc(2027, 3, 27, 0, 0));
    s = slot_after(fleet, s.usable.end);
    assert_int_equal(s.usable.start, utc(2027, 4, 2, 23, 0));
    assert_int_equal(s.usable.end - s.usable.start, 4 * HOUR);
    local_text(fleet, s.usable.start, "2027-04-03 01:00");
    /* autumn: 2027-10-31 clocks go back; 2027-10-30 01:00 CEST, 2027-11-06 01:00 CET */
    s = slot_after(fleet, utc(2027, 10, 29, 0, 0));
    assert_int_equal(s.usable.start, utc(2027, 10, 29, 23, 0));
    s = slot_after(fleet, s.usable.end);
    assert_int_equal(s.usable.start, utc(2027, 11, 6, 0, 0));
    local_text(fleet, s.usable.start, "2027-11-06 01:00");
    fleet_destroy(&fleet);

    /* A window over the change itself: Sunday 2027-03-28 01:00 CET for 4 h is 4 real hours (to 06:00 CEST). */
    fleet = fleet_of("  timezone: Europe/Berlin\n  start: 2027-03-28T01:00\n  rrule: FREQ=WEEKLY;BYDAY=SU\n"
                     "  duration: 4h\n",
                     ONE_WAVE);
    s = slot_after(fleet, utc(2027, 3, 27, 0, 0));
    assert_int_equal(s.usable.start, utc(2027, 3, 28, 0, 0));
    assert_int_equal(s.usable.end, utc(2027, 3, 28, 4, 0));
    local_text(fleet, s.usable.end, "2027-03-28 06:00");
    fleet_destroy(&fleet);
}

static void test_window_across_midnight(void **state)
{
    (void)state;
    fleet_t *fleet = fleet_of("  timezone: Europe/Berlin\n  start: 2027-01-04T22:00\n  rrule: FREQ=DAILY\n"
                              "  duration: 4h\n",
                              "waves: [{name: all, deployments: [a, b, c, d], parallelism: 4}]\n"
                              "approve_cutovers: true\n");
    /* 2027-01-06 01:00 local (00:00Z) is inside the window that opened 2027-01-05 22:00 */
    int64_t now = utc(2027, 1, 6, 0, 0);
    fleet_slot_t s = slot_after(fleet, now);
    assert_int_equal(s.usable.start, utc(2027, 1, 5, 21, 0));
    assert_int_equal(s.usable.end, utc(2027, 1, 6, 1, 0));
    fleet_member_t m[MAX_MEMBERS] = {{FLEET_PREPARED, 40 * MINUTE, 0}, {FLEET_PREPARED, 41 * MINUTE, 0}};
    fleet_tick_t tick = {.now = now};
    fleet_verdict_t v[MAX_MEMBERS];
    fleet_outcome_t o;
    alfup_err_t err;
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_true(o.in_window);
    assert_int_equal(v[0].action, FLEET_ACT_CUTOVER); /* 40 min x 1.5 = 60 min = the hour left */
    assert_int_equal(v[1].action, FLEET_ACT_WAIT);
    assert_int_equal(v[1].why, FLEET_WHY_NO_FIT);
    fleet_destroy(&fleet);
}

static void test_blackouts_cut_windows(void **state)
{
    (void)state;
    fleet_t *fleet = fleet_of(SATURDAYS, "blackouts:\n"
                                         "  - date: 2027-01-09\n"                               /* removes one */
                                         "  - {from: 2027-01-16T03:00, to: 2027-01-16T04:00}\n" /* cuts one */
                                         "  - {start: 2027-01-30T00:00, rrule: FREQ=MONTHLY;BYDAY=-1SA,"
                                         " duration: 2h}\n" /* 00:00-02:00 */
                                         "waves: [{name: all, deployments: [a, b, c, d], parallelism: 4}]\n");
    fleet_slot_t s = slot_after(fleet, utc(2027, 1, 8, 0, 0));
    assert_int_equal(s.usable.start, utc(2027, 1, 16, 0, 0)); /* the 9th is blacked out */
    assert_int_equal(s.usable.end, utc(2027, 1, 16, 2, 0));   /* until 03:00 local */
    assert_int_equal(s.occurrence.end, utc(2027, 1, 16, 4, 0));
    s = slot_after(fleet, utc(2027, 1, 16, 2, 30)); /* 03:30 local: in the blackout */
    assert_int_equal(s.usable.start, utc(2027, 1, 16, 3, 0));
    assert_int_equal(s.usable.end, utc(2027, 1, 16, 4, 0));
    /* last Saturday of January: 01:00-02:00 local blacked out, 02:00-05:00 usable */
    s = slot_after(fleet, utc(2027, 1, 29, 0, 0));
    assert_int_equal(s.usable.start, utc(2027, 1, 30, 1, 0));
    assert_int_equal(s.usable.end, utc(2027, 1, 30, 4, 0));

    /* In the blackout of the 16th, a prepared deployment with a short estimate does not start. */
    fleet_member_t m[MAX_MEMBERS] = {{FLEET_PREPARED, 60, 0}};
    fleet_tick_t tick = {.now = utc(2027, 1, 16, 2, 30)};
    fleet_verdict_t v[MAX_MEMBERS];
    fleet_outcome_t o;
    alfup_err_t err;
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_false(o.in_window);
    assert_int_equal(v[0].why, FLEET_WHY_OUTSIDE);
    assert_non_null(strstr(v[0].text, "2027-01-16 04:00"));
    fleet_destroy(&fleet);
}

static void test_fit_rule_boundary(void **state)
{
    (void)state;
    fleet_t *fleet = fleet_of(SATURDAYS, "waves: [{name: all, deployments: [a, b, c, d], parallelism: 4}]\n"
                                         "approve_cutovers: true\n");
    int64_t now = utc(2027, 1, 2, 1, 0);                        /* 02:00 local: 3 h = 10800 s left */
    fleet_member_t m[MAX_MEMBERS] = {{FLEET_PREPARED, 7200, 0}, /* x 1.5 = 10800: fits exactly */
                                     {FLEET_PREPARED, 7201, 0}, /* 10802 > 10800 */
                                     {FLEET_PREPARED, FLEET_ESTIMATE_UNKNOWN, 0},
                                     {FLEET_PREPARED, 2880, 0}}; /* 48 min */
    fleet_tick_t tick = {.now = now};
    fleet_verdict_t v[MAX_MEMBERS];
    fleet_outcome_t o;
    alfup_err_t err;
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_int_equal(v[0].action, FLEET_ACT_CUTOVER);
    assert_int_equal(v[1].action, FLEET_ACT_WAIT);
    assert_int_equal(v[1].why, FLEET_WHY_NO_FIT);
    assert_string_equal(v[1].text, "estimate 2 h x 1.5 = 3 h > 3 h left (10802s > 10800s): waits for the next window");
    assert_int_equal(v[2].why, FLEET_WHY_NO_ESTIMATE);
    assert_int_equal(v[3].action, FLEET_ACT_CUTOVER);
    /* 31 min before the end: 48 min x 1.5 does not fit */
    tick.now = utc(2027, 1, 2, 3, 29);
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_string_equal(v[3].text,
                        "estimate 48 min x 1.5 = 1 h 12 min > 31 min left (4320s > 1860s): waits for the next window");
    fleet_destroy(&fleet);
}

static void test_threshold_count_and_percent(void **state)
{
    (void)state;
    fleet_t *fleet = fleet_of(SATURDAYS, "waves: [{name: all, deployments: [a, b, c, d], parallelism: 4}]\n"
                                         "failure_threshold: 2\napprove_cutovers: true\n");
    fleet_member_t m[MAX_MEMBERS] = {
        {FLEET_FAILED, 60, 1}, {FLEET_PREPARED, 60, 0}, {FLEET_PENDING, 60, 0}, {FLEET_CUTTING_OVER, 60, 0}};
    fleet_tick_t tick = {.now = utc(2027, 1, 2, 1, 0), .failures = 1};
    fleet_verdict_t v[MAX_MEMBERS];
    fleet_outcome_t o;
    alfup_err_t err;
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_false(o.halted);
    assert_int_equal(v[1].action, FLEET_ACT_CUTOVER);
    assert_int_equal(v[2].action, FLEET_ACT_PREPARE);
    tick.failures = 2;
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_true(o.halted);
    assert_int_equal(v[1].why, FLEET_WHY_HALTED);
    assert_int_equal(v[2].why, FLEET_WHY_HALTED);
    assert_int_equal(v[3].why, FLEET_WHY_RUNNING); /* a running cutover finishes as usual */
    assert_string_equal(v[1].text, "fleet halted: 2 failures reach the threshold of 2");
    fleet_destroy(&fleet);

    fleet = fleet_of(SATURDAYS, "waves: [{name: all, deployments: [a, b, c, d], parallelism: 4}]\n"
                                "failure_threshold: 50%\n");
    assert_int_equal(fleet->halt_failures, 2); /* half of 4 */
    tick.failures = 1;
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_false(o.halted);
    tick.failures = 2;
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_true(o.halted);
    fleet_destroy(&fleet);
}

static const char TWO_WAVES[] = "waves:\n"
                                "  - {name: canary, deployments: [a], soak: 1h}\n"
                                "  - {name: rest, deployments: [b, c, d], parallelism: 2}\n"
                                "prepare_ahead: 2h\napprove_cutovers: true\n";

static void test_waves_parallelism_prepare_ahead(void **state)
{
    (void)state;
    fleet_t *fleet = fleet_of(SATURDAYS, TWO_WAVES);
    fleet_member_t m[MAX_MEMBERS] = {
        {FLEET_PENDING, -1, 0}, {FLEET_PENDING, -1, 0}, {FLEET_PENDING, -1, 0}, {FLEET_PENDING, -1, 0}};
    fleet_verdict_t v[MAX_MEMBERS];
    fleet_outcome_t o;
    alfup_err_t err;
    /* 2027-01-01 22:59 local: 2 h 1 min before the window: too early; at 23:00 exactly: prepare */
    fleet_tick_t tick = {.now = utc(2027, 1, 1, 21, 59)};
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_int_equal(v[0].why, FLEET_WHY_NOT_YET);
    assert_string_equal(v[0].text, "prepares from 2027-01-01 23:00 (2 h before the window at 2027-01-02 01:00 "
                                   "Europe/Berlin)");
    assert_int_equal(v[1].why, FLEET_WHY_EARLIER_WAVE);
    tick.now = utc(2027, 1, 1, 22, 0);
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_int_equal(v[0].action, FLEET_ACT_PREPARE);
    assert_int_equal(o.prepares, 1);
    /* the canary settled: the rest prepares two at a time */
    m[0].state = FLEET_SUCCEEDED;
    m[0].settled_at = utc(2027, 1, 2, 0, 30);
    tick.now = utc(2027, 1, 2, 0, 31);
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_int_equal(v[1].action, FLEET_ACT_PREPARE);
    assert_int_equal(v[2].action, FLEET_ACT_PREPARE);
    assert_int_equal(v[3].why, FLEET_WHY_PARALLELISM);
    assert_int_equal(o.open_wave, 1);
    fleet_destroy(&fleet);
}

static void test_soak_then_cutover(void **state)
{
    (void)state;
    fleet_t *fleet = fleet_of(SATURDAYS, TWO_WAVES);
    fleet_member_t m[MAX_MEMBERS] = {
        {FLEET_SUCCEEDED, 600, 0}, {FLEET_PREPARED, 600, 0}, {FLEET_CUTTING_OVER, 600, 0}, {FLEET_PENDING, 600, 0}};
    m[0].settled_at = utc(2027, 1, 2, 0, 10);
    fleet_verdict_t v[MAX_MEMBERS];
    fleet_outcome_t o;
    alfup_err_t err;
    fleet_tick_t tick = {.now = utc(2027, 1, 2, 1, 9)};
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_int_equal(v[1].why, FLEET_WHY_SOAK);
    assert_string_equal(v[1].text, "soak after wave 'canary' until 2027-01-02 02:10 Europe/Berlin");
    assert_int_equal(v[3].why, FLEET_WHY_PARALLELISM); /* b and c hold the wave's two places */
    tick.now = utc(2027, 1, 2, 1, 10);
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_int_equal(v[1].action, FLEET_ACT_CUTOVER);
    /* drained: nothing new, running work untouched */
    tick.drained = true;
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_int_equal(v[1].why, FLEET_WHY_DRAINED);
    assert_int_equal(v[2].why, FLEET_WHY_RUNNING);
    fleet_destroy(&fleet);
}

static void test_operator_approval(void **state)
{
    (void)state;
    fleet_t *fleet = fleet_of(SATURDAYS, ONE_WAVE);
    assert_false(fleet->approve_cutovers);
    fleet_member_t m[MAX_MEMBERS] = {
        {FLEET_PREPARED, 600, 0}, {FLEET_SUCCEEDED, 600, 1}, {FLEET_SUCCEEDED, 600, 1}, {FLEET_SUCCEEDED, 600, 1}};
    fleet_verdict_t v[MAX_MEMBERS];
    fleet_outcome_t o;
    alfup_err_t err;
    fleet_tick_t tick = {.now = utc(2027, 1, 2, 1, 0)};
    assert_int_equal(fleet_decide(fleet, m, &tick, v, &o, &err), 0);
    assert_int_equal(v[0].why, FLEET_WHY_APPROVAL);
    assert_int_equal(o.cutovers, 0);
    fleet_destroy(&fleet);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dst_spring_and_autumn),       cmocka_unit_test(test_window_across_midnight),
        cmocka_unit_test(test_blackouts_cut_windows),       cmocka_unit_test(test_fit_rule_boundary),
        cmocka_unit_test(test_threshold_count_and_percent), cmocka_unit_test(test_waves_parallelism_prepare_ahead),
        cmocka_unit_test(test_soak_then_cutover),           cmocka_unit_test(test_operator_approval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
