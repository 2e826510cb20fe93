/* fleet_runner_internal.h -- what the fleet runner's files share. Not for use outside controller/fleetrun. */
#ifndef ALFUP_FLEET_RUNNER_INTERNAL_H
#define ALFUP_FLEET_RUNNER_INTERNAL_H

#include "fleet.h"
#include "fleet_decide.h"
#include "fleet_runner.h"
#include "fleet_store.h"

#define FLEET_RUNNER_COMPONENT "fleet"
#define FLEET_NOTE_MAX (ALFUP_ERR_MAX + 128)
#define FLEET_STATUS_EVENTS 20u

typedef enum fleet_run_state {
    FLEET_RUNNING,
    FLEET_PAUSED,
    FLEET_HALTED,
    FLEET_CANCELLED,
    FLEET_FINISHED
} fleet_run_state_t;

/* One deployment as the runner keeps it. */
typedef struct fleet_runner_member {
    char run_id[RUN_ID_MAX];
    fleet_member_t member;   /* what fleet_decide reads */
    fleet_verdict_t verdict; /* the last tick's */
    char basis[FLEET_ESTIMATE_BASIS_MAX];
    char note[FLEET_NOTE_MAX]; /* the last refusal (a start the engine refused), or the run's error */
    int last_why;              /* the last deferral reported as an event (-1: none) */
    int64_t last_occurrence;   /* the occurrence it was reported for */
} fleet_runner_member_t;

typedef struct fleet_active {
    fleet_t *fleet;
    fleet_run_state_t state;
    bool approve_cutovers;
    int64_t started_ms;
    fleet_runner_member_t *members; /* fleet->deployment_count, in the fleet's order */
    fleet_outcome_t outcome;        /* the last tick's */
    unsigned failures;
    struct fleet_active *next;
} fleet_active_t;

struct fleet_runner {
    journal_t *journal;
    char *workflows_dir;
    fleet_runner_ops_t ops;
    bool drained;
    fleet_active_t *fleets; /* oldest first */
};

const char *fleet_run_state_name(fleet_run_state_t state);

/* Appends a fleet event (event: "prepare-started", "prepared", "cutover-started", "deferred", ...) for
 * deployment (NULL: the fleet's own) on run_id (NULL: none) with detail; a failure is logged. */
void fleet_runner_event(fleet_runner_t *r, const fleet_active_t *fa, const char *deployment, const char *run_id,
                        const char *event, const char *detail);

/* Sets the fleet's state, journaled, with an event. */
void fleet_runner_set_state(fleet_runner_t *r, fleet_active_t *fa, fleet_run_state_t state, const char *detail);

/* Journals member i's run, state and settle time (a failure is logged). */
void fleet_runner_save_member(fleet_runner_t *r, fleet_active_t *fa, size_t i);

/* One fleet's tick (fleet_runner_tick.c). */
void fleet_runner_tick_fleet(fleet_runner_t *r, fleet_active_t *fa);

fleet_active_t *fleet_runner_find(const fleet_runner_t *r, const char *name);

#endif
