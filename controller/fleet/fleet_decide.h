/* fleet_decide.h -- the fleet scheduler's decision for one tick: who prepares, who cuts over, who waits and why (pure).
 */
#ifndef ALFUP_FLEET_DECIDE_H
#define ALFUP_FLEET_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "fleet.h"
#include "fleet_calendar.h"

#define FLEET_ESTIMATE_UNKNOWN (-1)
#define FLEET_VERDICT_TEXT_MAX 200

/* A deployment's state as the engine reports it. */
typedef enum fleet_state {
    FLEET_PENDING,      /* nothing started */
    FLEET_PREPARING,    /* prepare / rehearse running, production serving */
    FLEET_PREPARED,     /* waiting at the cutover gate */
    FLEET_CUTTING_OVER, /* production down */
    FLEET_SUCCEEDED,
    FLEET_FAILED,
    FLEET_ROLLED_BACK
} fleet_state_t;

typedef struct fleet_member {
    fleet_state_t state;
    int64_t estimate_s; /* the cutover's estimated downtime, or FLEET_ESTIMATE_UNKNOWN */
    int64_t settled_at; /* UTC seconds it reached succeeded, failed or rolled back (soak) */
} fleet_member_t;

/* What the caller knows besides the members: the injected clock and the fleet-wide counts. */
typedef struct fleet_tick {
    int64_t now;       /* UTC seconds */
    unsigned failures; /* cumulative failed or rolled-back deployments of the fleet */
    bool drained;      /* the controller stops every new start */
} fleet_tick_t;

typedef enum fleet_action {
    FLEET_ACT_NONE,    /* nothing to do: running or settled */
    FLEET_ACT_PREPARE, /* start the prepare phase now */
    FLEET_ACT_CUTOVER, /* let it past the cutover gate now */
    FLEET_ACT_WAIT     /* deferred: see why */
} fleet_action_t;

typedef enum fleet_why {
    FLEET_WHY_GO,           /* the action is to be taken */
    FLEET_WHY_RUNNING,      /* preparing or cutting over */
    FLEET_WHY_SETTLED,      /* succeeded, failed or rolled back */
    FLEET_WHY_HALTED,       /* the failure threshold is reached */
    FLEET_WHY_DRAINED,      /* the controller is drained */
    FLEET_WHY_EARLIER_WAVE, /* an earlier wave has not settled */
    FLEET_WHY_PARALLELISM,  /* the wave's parallelism is in use */
    FLEET_WHY_NO_WINDOW,    /* the window has no further usable occurrence */
    FLEET_WHY_NOT_YET,      /* prepare: the next window is more than prepare_ahead away */
    FLEET_WHY_SOAK,         /* the previous wave's soak time is not over */
    FLEET_WHY_NO_ESTIMATE,  /* the cutover's downtime is unknown: never started */
    FLEET_WHY_OUTSIDE,      /* outside a usable window (or in a blackout) */
    FLEET_WHY_NO_FIT,       /* estimate x safety factor > time left in the window */
    FLEET_WHY_APPROVAL      /* would start now; approve_cutovers is false: an operator approves */
} fleet_why_t;

typedef struct fleet_verdict {
    fleet_action_t action;
    fleet_why_t why;
    char text[FLEET_VERDICT_TEXT_MAX]; /* for status: "estimate 48 min x 1.5 = 1 h 12 min > 31 min left ..." */
} fleet_verdict_t;

typedef struct fleet_outcome {
    bool halted;
    bool has_slot;         /* slot is set */
    bool in_window;        /* now is inside slot.usable */
    fleet_slot_t slot;     /* the current or next usable slot */
    size_t open_wave;      /* the first wave not settled (wave_count: all settled) */
    int64_t cutovers_from; /* when the open wave's soak ends (0: no soak) */
    size_t prepares, cutovers, waiting;
} fleet_outcome_t;

/* The decision for one tick. members and verdicts have fleet->deployment_count entries, in the
 * fleet's order. No I/O, no clock but tick->now; the same inputs give the same verdicts.
 * 0, or ALFUP_ERR when the window's occurrences cannot be computed (err). */
int fleet_decide(const fleet_t *fleet, const fleet_member_t *members, const fleet_tick_t *tick,
                 fleet_verdict_t *verdicts, fleet_outcome_t *outcome, alfup_err_t *err);

/* The time a cutover needs by the rule: ceil(estimate x safety factor). */
int64_t fleet_cutover_budget(const fleet_t *fleet, int64_t estimate_s);

/* "pending", "preparing", ... / "prepare", "cutover", "wait", "none". */
const char *fleet_state_name(fleet_state_t state);
const char *fleet_action_name(fleet_action_t action);
/* "go", "running", "settled", "halted", "drained", "earlier-wave", ... "no-fit", "approval". */
const char *fleet_why_name(fleet_why_t why);

#endif
