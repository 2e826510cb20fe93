/* fleet_decide.c -- one scheduler tick: waves, parallelism, soak, the threshold and the fit rule, with reasons in
 * numbers. */
#include "fleet_decide.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fleet_time.h"

#define MILLI 1000

/* The counts of one tick, per wave. */
typedef struct tick_state {
    const fleet_t *fleet;
    const fleet_member_t *members;
    const fleet_tick_t *tick;
    fleet_outcome_t *outcome;
    unsigned in_progress[FLEET_MAX_WAVES]; /* preparing, prepared or cutting over */
    unsigned cutting[FLEET_MAX_WAVES];
} tick_state_t;

const char *fleet_state_name(fleet_state_t state)
{
    static const char *const NAMES[] = {"pending",   "preparing", "prepared",   "cutting-over",
                                        "succeeded", "failed",    "rolled-back"};
    return (unsigned)state < sizeof NAMES / sizeof NAMES[0] ? NAMES[state] : "unknown";
}

const char *fleet_action_name(fleet_action_t action)
{
    static const char *const NAMES[] = {"none", "prepare", "cutover", "wait"};
    return (unsigned)action < sizeof NAMES / sizeof NAMES[0] ? NAMES[action] : "unknown";
}

const char *fleet_why_name(fleet_why_t why)
{
    static const char *const NAMES[] = {"go",          "running",    "settled",  "halted",  "drained",
                                        "earlier-wave", "parallelism", "no-window", "not-yet", "soak",
                                        "no-estimate",  "outside",     "no-fit",    "approval"};
    return (unsigned)why < sizeof NAMES / sizeof NAMES[0] ? NAMES[why] : "unknown";
}

static bool settled(fleet_state_t state)
{
    return state == FLEET_SUCCEEDED || state == FLEET_FAILED || state == FLEET_ROLLED_BACK;
}

int64_t fleet_cutover_budget(const fleet_t *fleet, int64_t estimate_s)
{
    return (estimate_s * fleet->safety_factor_milli + MILLI - 1) / MILLI;
}

static void factor_text(unsigned milli, char *buf, size_t len)
{
    if (milli % MILLI == 0)
        snprintf(buf, len, "%u", milli / MILLI);
    else if (milli % 100 == 0)
        snprintf(buf, len, "%u.%u", milli / MILLI, milli % MILLI / 100);
    else if (milli % 10 == 0)
        snprintf(buf, len, "%u.%02u", milli / MILLI, milli % MILLI / 10);
    else
        snprintf(buf, len, "%u.%03u", milli / MILLI, milli % MILLI);
}

static void verdict(fleet_verdict_t *v, fleet_action_t action, fleet_why_t why, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void verdict(fleet_verdict_t *v, fleet_action_t action, fleet_why_t why, const char *fmt, ...)
{
    v->action = action;
    v->why = why;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->text, sizeof v->text, fmt, ap);
    va_end(ap);
}

/* Counts per wave, the open wave and when its cutovers may begin (the previous wave's soak). */
static void count_waves(tick_state_t *ts)
{
    const fleet_t *fleet = ts->fleet;
    fleet_outcome_t *o = ts->outcome;
    o->open_wave = fleet->wave_count;
    for (size_t w = 0; w < fleet->wave_count; w++) {
        const fleet_wave_t *wave = &fleet->waves[w];
        for (size_t k = 0; k < wave->member_count; k++) {
            fleet_state_t state = ts->members[wave->members[k]].state;
            ts->in_progress[w] += state == FLEET_PREPARING || state == FLEET_PREPARED || state == FLEET_CUTTING_OVER;
            ts->cutting[w] += state == FLEET_CUTTING_OVER;
            if (!settled(state) && o->open_wave == fleet->wave_count)
                o->open_wave = w;
        }
    }
    o->cutovers_from = 0;
    if (o->open_wave == 0 || o->open_wave >= fleet->wave_count)
        return;
    const fleet_wave_t *previous = &fleet->waves[o->open_wave - 1];
    int64_t last = 0;
    for (size_t k = 0; k < previous->member_count; k++)
        if (ts->members[previous->members[k]].settled_at > last)
            last = ts->members[previous->members[k]].settled_at;
    if (previous->soak_s > 0)
        o->cutovers_from = last + previous->soak_s;
}

static void decide_prepare(tick_state_t *ts, size_t w, fleet_verdict_t *v)
{
    const fleet_t *fleet = ts->fleet;
    const fleet_outcome_t *o = ts->outcome;
    char at[FLEET_TIME_TEXT_MAX], ahead[FLEET_TIME_TEXT_MAX], from[FLEET_TIME_TEXT_MAX];
    if (ts->in_progress[w] >= fleet->waves[w].parallelism)
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_PARALLELISM, "wave '%s' has %u of %u in progress",
                       fleet->waves[w].name, ts->in_progress[w], fleet->waves[w].parallelism);
    if (!o->has_slot)
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_NO_WINDOW, "the window has no further usable occurrence");
    int64_t prepare_from = o->slot.usable.start - fleet->prepare_ahead_s;
    if (ts->tick->now < prepare_from) {
        fleet_utc_text(prepare_from, fleet->zone, from, sizeof from);
        fleet_utc_text(o->slot.usable.start, fleet->zone, at, sizeof at);
        fleet_duration_text(fleet->prepare_ahead_s, ahead, sizeof ahead);
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_NOT_YET, "prepares from %s (%s before the window at %s %s)", from,
                       ahead, at, fleet->zone_name);
    }
    ts->in_progress[w]++;
    verdict(v, FLEET_ACT_PREPARE, FLEET_WHY_GO, "prepare now");
}

static void decide_cutover(tick_state_t *ts, size_t w, const fleet_member_t *m, fleet_verdict_t *v)
{
    const fleet_t *fleet = ts->fleet;
    const fleet_outcome_t *o = ts->outcome;
    int64_t now = ts->tick->now;
    char a[FLEET_TIME_TEXT_MAX], b[FLEET_TIME_TEXT_MAX], c[FLEET_TIME_TEXT_MAX], f[16];
    if (now < o->cutovers_from) {
        fleet_utc_text(o->cutovers_from, fleet->zone, a, sizeof a);
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_SOAK, "soak after wave '%s' until %s %s", fleet->waves[w - 1].name,
                       a, fleet->zone_name);
    }
    if (m->estimate_s < 0)
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_NO_ESTIMATE,
                       "estimate unknown: no cutover starts without one (run the rehearsal)");
    if (!o->has_slot)
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_NO_WINDOW, "the window has no further usable occurrence");
    if (!o->in_window) {
        fleet_utc_text(o->slot.usable.start, fleet->zone, a, sizeof a);
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_OUTSIDE, "outside the window: the next opens %s %s", a,
                       fleet->zone_name);
    }
    int64_t budget = fleet_cutover_budget(fleet, m->estimate_s), left = o->slot.usable.end - now;
    if (budget > left) {
        fleet_duration_text(m->estimate_s, a, sizeof a);
        fleet_duration_text(budget, b, sizeof b);
        fleet_duration_text(left, c, sizeof c);
        factor_text(fleet->safety_factor_milli, f, sizeof f);
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_NO_FIT,
                       "estimate %s x %s = %s > %s left (%llds > %llds): waits for the next window", a, f, b, c,
                       (long long)budget, (long long)left);
    }
    if (ts->cutting[w] >= fleet->waves[w].parallelism)
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_PARALLELISM, "wave '%s' has %u of %u cutting over",
                       fleet->waves[w].name, ts->cutting[w], fleet->waves[w].parallelism);
    if (!fleet->approve_cutovers)
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_APPROVAL,
                       "fits now (%llds of %llds left): waits for an operator's approve (approve_cutovers: false)",
                       (long long)budget, (long long)left);
    ts->cutting[w]++;
    verdict(v, FLEET_ACT_CUTOVER, FLEET_WHY_GO, "cut over now: %llds needed, %llds left", (long long)budget,
            (long long)left);
}

static void decide_one(tick_state_t *ts, size_t i, fleet_verdict_t *v)
{
    const fleet_t *fleet = ts->fleet;
    const fleet_member_t *m = &ts->members[i];
    size_t w = fleet->deployments[i].wave;
    if (settled(m->state))
        return verdict(v, FLEET_ACT_NONE, FLEET_WHY_SETTLED, "%s", fleet_state_name(m->state));
    if (m->state == FLEET_PREPARING || m->state == FLEET_CUTTING_OVER)
        return verdict(v, FLEET_ACT_NONE, FLEET_WHY_RUNNING, "%s", fleet_state_name(m->state));
    if (ts->outcome->halted)
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_HALTED, "fleet halted: %u failures reach the threshold of %u",
                       ts->tick->failures, fleet->halt_failures);
    if (ts->tick->drained)
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_DRAINED, "controller drained: nothing new starts");
    if (w > ts->outcome->open_wave)
        return verdict(v, FLEET_ACT_WAIT, FLEET_WHY_EARLIER_WAVE, "waits for wave '%s' to settle",
                       fleet->waves[ts->outcome->open_wave].name);
    if (m->state == FLEET_PENDING)
        return decide_prepare(ts, w, v);
    decide_cutover(ts, w, m, v);
}

int fleet_decide(const fleet_t *fleet, const fleet_member_t *members, const fleet_tick_t *tick,
                 fleet_verdict_t *verdicts, fleet_outcome_t *outcome, alfup_err_t *err)
{
    if (fleet->wave_count > FLEET_MAX_WAVES)
        return alfup_err_set(err, "%s: more than %u waves", fleet->path, FLEET_MAX_WAVES);
    memset(outcome, 0, sizeof *outcome);
    tick_state_t ts = {.fleet = fleet, .members = members, .tick = tick, .outcome = outcome};
    int rc = fleet_calendar_next(fleet, tick->now, &outcome->slot, err);
    if (rc == ALFUP_ERR)
        return ALFUP_ERR;
    outcome->has_slot = rc == ALFUP_OK;
    outcome->in_window = outcome->has_slot && outcome->slot.usable.start <= tick->now;
    outcome->halted = tick->failures >= fleet->halt_failures;
    count_waves(&ts);
    for (size_t i = 0; i < fleet->deployment_count; i++) {
        decide_one(&ts, i, &verdicts[i]);
        outcome->prepares += verdicts[i].action == FLEET_ACT_PREPARE;
        outcome->cutovers += verdicts[i].action == FLEET_ACT_CUTOVER;
        outcome->waiting += verdicts[i].action == FLEET_ACT_WAIT;
    }
    return ALFUP_OK;
}
