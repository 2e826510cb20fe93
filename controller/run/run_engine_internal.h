/* run_engine_internal.h -- what the run engine's files share: the engine itself and the
 * state-machine operations the commands use. Not for use outside controller/run_engine*.c. */
#ifndef ALFUP_RUN_ENGINE_INTERNAL_H
#define ALFUP_RUN_ENGINE_INTERNAL_H

#include "run_engine.h"

#define ENGINE_COMPONENT "run"

struct run_engine {
    journal_t *journal;
    char *workflows_dir;
    run_engine_io_t io;
    run_t *runs;          /* newest first */
};

/* Journal the run's row / one step's row (a failure is logged; the in-memory state stays). */
void engine_save_run(run_engine_t *e, run_t *run);
int engine_save_step(run_engine_t *e, run_t *run, int rollback, size_t index);

/* Replaces *field with a copy of text (NULL clears it). */
void engine_set_text(char **field, const char *text);

/* Marks a step failed (or cancelled) with error (NULL keeps the result's) and, for the
 * run's main sequence, keeps the first failure as the reason the run stops. */
void engine_settle_failed(run_engine_t *e, run_t *run, int rollback, size_t index, run_step_state_t state,
                          const char *error);

/* 1 when io says agent was refused; error then reads "agent NAME refused: REASON". */
int engine_agent_refused(run_engine_t *e, const char *agent, char *error, size_t len);

/* Ends the run in state, journaled and logged. */
void engine_finish(run_engine_t *e, run_t *run, run_state_t state);

/* (Re)sends a step already marked sent, with its parameters resolved. ALFUP_ERR when the
 * step failed instead (the online agent's certificate lacks its role, or a parameter
 * cannot be resolved); the caller moves the run on. */
int engine_transmit(run_engine_t *e, run_t *run, int rollback, size_t index);

/* Sends a step already SENT and journaled again, without journaling it again: the agent
 * answers from its record, or ignores it while the step runs. */
int engine_reask(run_engine_t *e, run_t *run, int rollback, size_t index);

/* Asks the online agents again for the results of run's steps in flight that have none after
 * an interval that grows each time (run_engine_reask.c). */
void engine_reask_due(run_engine_t *e, run_t *run);

/* 1 when a step of the main sequence at or after index from is no longer pending (it was sent). */
int engine_reached(const run_t *run, size_t from);

/* Asks agents to stop every main step still running. */
void engine_cancel_in_flight(run_engine_t *e, run_t *run);

/* Starts a rollback round: the workflow's rollback steps from the first. */
void engine_start_rollback(run_engine_t *e, run_t *run);

/* When open (the first main step not succeeded) is the first step after the preflight stage
 * and nothing of its stage was sent: checks the preflight results across hosts (each agent's
 * backup_dir is the plan's; hosts whose backups share one filesystem have room for all).
 * ALFUP_ERR after failing the preflight steps concerned, with an error naming the hosts. */
int engine_review_preflight(run_engine_t *e, run_t *run, size_t open);

/* Moves the run on as far as its state allows (sends, gates, failure, end). */
void engine_advance(run_engine_t *e, run_t *run);

#endif
