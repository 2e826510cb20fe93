/* fleet_runner.h -- runs fleets in the controller: each tick reads the state of every deployment's run, asks
 * fleet_decide what to do, journals each decision before acting on it, starts runs (prepare) and approves cutover
 * gates, counts failures against the threshold and records the fleet's events (docs/fleet.md). */
#ifndef ALFUP_FLEET_RUNNER_H
#define ALFUP_FLEET_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "alfup_error.h"
#include "fleet.h"
#include "journal.h"
#include "run_model.h"

#define FLEET_ESTIMATE_BASIS_MAX 640

/* What the runner needs to know of one run. */
typedef struct fleet_run_view {
    bool found;
    run_state_t state;
    bool paused;               /* the controller restarted and the run waits for resume */
    char waiting_gate[64];     /* "" when not waiting at a gate */
    bool cutover_approved;     /* its cutover gate is approved */
    char error[ALFUP_ERR_MAX]; /* why it failed ("" when not) */
} fleet_run_view_t;

/* How the runner reaches the run engine and the clock (the daemon fills these; unit tests fake them). Every
 * function returns ALFUP_OK or ALFUP_ERR with err unless said otherwise. */
typedef struct fleet_runner_ops {
    /* Starts a run of the plan at plan_path; its id into run_id. */
    int (*start_run)(void *arg, const char *plan_path, char *run_id, size_t len, alfup_err_t *err);
    /* The id of a run of plan_path created at or after since_ms (a start whose outcome the runner did not get
     * to record before the controller stopped): 1 with run_id filled, 0 when there is none. */
    int (*find_run)(void *arg, const char *plan_path, int64_t since_ms, char *run_id, size_t len);
    /* Fills view for run_id (view->found false when the engine has no such run). */
    void (*view_run)(void *arg, const char *run_id, fleet_run_view_t *view);
    int (*approve)(void *arg, const char *run_id, const char *gate, alfup_err_t *err);
    int (*resume)(void *arg, const char *run_id, alfup_err_t *err);
    int (*cancel)(void *arg, const char *run_id, alfup_err_t *err);
    /* The cutover's estimated downtime in seconds from the run's measurements as of now_s (the runner's clock:
     * the changes counted before the gate extrapolated to it), or FLEET_ESTIMATE_UNKNOWN; what it rests on into
     * basis. The seam to downtime_estimate_at(). */
    int64_t (*estimate_s)(void *arg, const char *run_id, int64_t now_s, char *basis, size_t len);
    /* The clock: UTC seconds. */
    int64_t (*now)(void *arg);
    void *arg;
} fleet_runner_ops_t;

typedef struct fleet_runner fleet_runner_t;

/* Creates the fleet tables if needed and loads every fleet from the journal (a restarted controller continues
 * each one from its journaled state). workflows_dir: where plans' workflows are (fleet start checks the plans).
 * NULL with err. */
fleet_runner_t *fleet_runner_new(journal_t *journal, const char *workflows_dir, const fleet_runner_ops_t *ops,
                                 alfup_err_t *err);

/* Frees the runner (the journal stays the caller's); sets *runner_p to NULL. Tolerates NULL. */
void fleet_runner_destroy(fleet_runner_t **runner_p);

/* Reads the fleet file at path (absolute) and every plan it names, checks that each plan's workflow has the
 * cutover gate, and starts the fleet; approve_cutovers overrides the file's false. Its name into name. A fleet
 * name runs once. ALFUP_ERR with err (the file's FILE:LINE errors, one a line). */
int fleet_runner_start(fleet_runner_t *runner, const char *path, bool approve_cutovers, char *name, size_t len,
                       alfup_err_t *err);

/* pause: nothing new starts for the fleet (running work goes on); resume: it continues; cancel: nothing new
 * ever starts, and runs still preparing or waiting at their cutover gate (production serving) are cancelled;
 * runs cutting over finish. */
int fleet_runner_pause(fleet_runner_t *runner, const char *name, alfup_err_t *err);
int fleet_runner_resume(fleet_runner_t *runner, const char *name, alfup_err_t *err);
int fleet_runner_cancel(fleet_runner_t *runner, const char *name, alfup_err_t *err);

/* drain: no fleet starts anything new, controller-wide, until undrain (journaled: survives a restart). */
int fleet_runner_set_drained(fleet_runner_t *runner, bool drained, alfup_err_t *err);
bool fleet_runner_drained(const fleet_runner_t *runner);

/* One tick of every fleet. Call with no journal batch open: each decision is committed before it is acted on. */
void fleet_runner_tick(fleet_runner_t *runner);

/* Status of fleet name (NULL: every fleet) as text or JSON (an object per fleet, its deployments an array of
 * objects with state and, when waiting, why with the numbers; --json of every fleet: an array). 0, or 1 with a
 * message on out when there is no such fleet. */
int fleet_runner_status(fleet_runner_t *runner, const char *name, bool json, FILE *out);

/* 1 when run_id belongs to a deployment of a fleet. */
int fleet_runner_owns_run(const fleet_runner_t *runner, const char *run_id);

#endif
