/* run_model.h -- the state of one upgrade run and of each of its steps, as the engine
 * keeps it in memory and the run store keeps it in the journal. */
#ifndef ALFUP_RUN_MODEL_H
#define ALFUP_RUN_MODEL_H

#include <stdint.h>

#include "message.h"
#include "run_plan.h"

#define RUN_ID_MAX 32

typedef enum run_state {
    RUN_RUNNING,
    RUN_WAITING,      /* at an approval gate */
    RUN_ROLLING_BACK,
    RUN_SUCCEEDED,
    RUN_FAILED,       /* stopped at a failed step; nothing rolled back (or rollback failed) */
    RUN_ROLLED_BACK,  /* failed, then the old system was started again */
    RUN_CANCELLED
} run_state_t;

typedef enum run_step_state {
    RSTEP_PENDING,
    RSTEP_SENT,       /* journaled and sent (or waiting for its agent to come back) */
    RSTEP_SUCCEEDED,
    RSTEP_FAILED,     /* failed, refused, or timed out */
    RSTEP_SKIPPED,    /* not run: the run stopped before it */
    RSTEP_CANCELLED   /* stopped by the agent on the controller's request */
} run_step_state_t;

typedef struct run_step {
    run_step_state_t state;
    unsigned attempt;            /* 1 on the first send; a retry gets a new wire id */
    uint64_t sent_unix_ms, finished_unix_ms;
    uint64_t sent_mono_ms;       /* for the result timeout (not persisted) */
    uint64_t asked_mono_ms;      /* last sent or asked again (not persisted; run_engine_reask.c) */
    unsigned ask_interval_ms;    /* the wait before asking again; 0: not asked yet */
    msg_step_result_t result;    /* the agent's result once finished (outputs, error, log lines) */
    msg_step_progress_t progress;/* the latest progress (not persisted) */
    uint64_t progress_mono_ms;
    uint64_t progress_event_mono_ms; /* the last progress event journaled (RUN_PROGRESS_EVENT_MIN_MS apart) */
} run_step_t;

typedef struct run {
    char id[RUN_ID_MAX];
    run_plan_t *plan;
    char *plan_text;             /* as read at `run`, so resume re-expands the same plan */
    run_state_t state;
    int paused;                  /* the controller restarted: waits for `resume` */
    int armed;                   /* a step at or past plan->rollback_from was sent */
    char *error;                 /* why it failed: host, step, reason */
    long failed_index;           /* the main step whose failure stopped the run (the first), or -1 */
    char *waiting_gate;          /* the gate it waits at (RUN_WAITING) */
    str_list_t approvals;        /* gates approved */
    run_step_t *steps;           /* parallel to plan->steps */
    run_step_t *rollback_steps;  /* parallel to plan->rollback */
    unsigned rollback_round;     /* 0: never rolled back */
    int cancel_requested;
    uint64_t created_unix_ms, finished_unix_ms;
    struct run *next;
} run_t;

const char *run_state_name(run_state_t state);
const char *run_step_state_name(run_step_state_t state);

/* 1 for a step that ended without success (failed or cancelled). */
int run_step_ended_badly(const run_step_t *step);

/* 1 for succeeded, failed, rolled-back and cancelled. */
int run_state_is_final(run_state_t state);

/* The wire step id of main step index (rollback 0) or rollback step index (rollback 1):
 * "RUN.ID[.aN]" or "RUN.rbR.ID". Returns 0, or -1 when it would not fit. */
int run_wire_step_id(const run_t *run, int rollback, size_t index, char *buf, size_t len);

/* Frees everything the run owns, then the run. */
void run_free(run_t *run);

/* Frees the step's last progress (its message) and zeroes it: the progress of an earlier attempt or rollback
 * round is not the new one's. */
void run_step_clear_progress(run_step_t *step);

#endif
