/* step_runner.h -- runs step requests on worker threads and reports progress and results. */
#ifndef ALFUP_STEP_RUNNER_H
#define ALFUP_STEP_RUNNER_H

#include "agent_config.h"
#include "alfup_error.h"
#include "message.h"
#include "result_store.h"

#define STEP_RUNNER_SLOTS 8   /* steps that may run at once on one agent */
#define STEP_PROGRESS_MIN_MS 500u

typedef struct step_runner step_runner_t;

/* A runner whose workers record results in store before reporting them.
 * config and store must outlive the runner. NULL with err on failure. */
step_runner_t *step_runner_new(void *zmq_context, const agent_config_t *config,
                               result_store_t *store, alfup_err_t *err);

/* Cancels running steps, waits for them, frees the runner; *runner_p = NULL. */
void step_runner_destroy(step_runner_t **runner_p);

/* The socket to poll: it becomes readable when a worker reports. */
void *step_runner_socket(step_runner_t *runner);

/* Starts request on a worker. ALFUP_AGAIN when every slot is busy. The
 * caller has checked that the step id is new and the kind is known. */
int step_runner_start(step_runner_t *runner, const msg_step_request_t *request, alfup_err_t *err);

/* 1 when step_id is running now. */
int step_runner_is_running(const step_runner_t *runner, const char *step_id);

/* Asks the running step step_id to stop. 1 when it was running, else 0. */
int step_runner_cancel(step_runner_t *runner, const char *step_id);

/* The next report: MSG_STEP_PROGRESS or MSG_STEP_RESULT (already recorded).
 * ALFUP_AGAIN when none is waiting. The caller clears *msg. */
int step_runner_next_report(step_runner_t *runner, alfup_msg_t *msg);

#endif
