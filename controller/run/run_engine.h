/* run_engine.h -- runs upgrade plans: sends each stage's steps, waits at gates, stops at the
 * first failure and rolls back, and keeps every state change in the journal first. */
#ifndef ALFUP_RUN_ENGINE_H
#define ALFUP_RUN_ENGINE_H

#include <stdio.h>

#include "alfup_error.h"
#include "journal.h"
#include "message.h"
#include "run_model.h"

#define RUN_PLAN_FILE_MAX (1024u * 1024u)
/* Step progress becomes an event of the API's stream at most this often per step (docs/api.md). */
#define RUN_PROGRESS_EVENT_MIN_MS 1000u

typedef struct run_engine run_engine_t;

/* How the engine reaches agents (the controller daemon provides these). */
typedef struct run_engine_io {
    /* Sends msg to agent; ALFUP_ERR when it is not online (the step is re-sent when it returns). */
    int (*send)(void *arg, const char *agent, alfup_msg_t *msg, alfup_err_t *err);
    /* The roles (cert_role_t bits) of an online agent's certificate, or -1 when it is not online. */
    int (*agent_roles)(void *arg, const char *agent);
    void *arg;
    /* Optional (last, so positional initializers stay valid): why agent was refused while
     * connected (its certificate revoked), or NULL. A step for a refused agent fails at
     * once with that reason instead of waiting for it. */
    const char *(*agent_refused)(void *arg, const char *agent);
    /* Optional: how long a step in flight waits for its result before its (online) agent is
     * asked again, doubling each time up to 20 times that; 0: 15 s (run_engine_reask.c). */
    unsigned reask_ms;
} run_engine_io_t;

/* Loads every run from the journal; runs that were not finished come back
 * paused, exactly as they were, until `resume`. NULL with err. */
run_engine_t *run_engine_new(journal_t *journal, const char *workflows_dir, const run_engine_io_t *io,
                             alfup_err_t *err);

void run_engine_destroy(run_engine_t **engine_p);

/* Reads and expands the plan at plan_path, checks that every agent it names is
 * online with the roles it is given, and starts a run; its id goes into run_id.
 * Refused while another run of the same deployment is not finished. */
int run_engine_start(run_engine_t *engine, const char *plan_path, char *run_id, size_t len, alfup_err_t *err);

/* For `plan check`: expands the plan and checks that every agent it names is
 * online with each role the plan gives it. ALFUP_OK, or ALFUP_ERR with err. */
int run_engine_check_agents(run_engine_t *engine, const char *plan_path, alfup_err_t *err);

/* A result the journal accepted from agent. 1 when it belonged to a run. */
int run_engine_on_result(run_engine_t *engine, const char *agent, const msg_step_result_t *result);

/* Keeps the latest progress of the step; journals a "progress" event at most every RUN_PROGRESS_EVENT_MIN_MS. */
void run_engine_on_progress(run_engine_t *engine, const char *agent, const msg_step_progress_t *progress);

/* agent is (back) online: steps sent to it without a result are sent again
 * (the agent answers a step it already ran from its record). */
void run_engine_on_agent_up(run_engine_t *engine, const char *agent);

/* agent was cut because its certificate was revoked (reason): every step sent to it without
 * a result fails with that reason (it can no longer answer), and each run moves on -- a
 * run fails and rolls back as at any failure. Later steps for it fail at once while
 * io.agent_refused names it. The agent may still be running such a step: nobody can reach
 * it to cancel it or hear its result. */
void run_engine_on_agent_refused(run_engine_t *engine, const char *agent, const char *reason);

/* Timeouts and progress of every active run; call often. */
void run_engine_tick(run_engine_t *engine);

/* Operator commands. gate NULL approves the gate the run waits at. Each fails
 * with err explaining why the run is not in a state for it. */
int run_engine_approve(run_engine_t *engine, const char *run_id, const char *gate, alfup_err_t *err);
int run_engine_resume(run_engine_t *engine, const char *run_id, char *note, size_t note_len, alfup_err_t *err);
int run_engine_rollback(run_engine_t *engine, const char *run_id, alfup_err_t *err);
int run_engine_cancel(run_engine_t *engine, const char *run_id, alfup_err_t *err);

/* The run with id, or the newest when run_id is NULL; NULL when none. */
const run_t *run_engine_find(const run_engine_t *engine, const char *run_id);

#endif
