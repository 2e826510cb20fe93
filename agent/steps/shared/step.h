/* step.h -- the contract every agent step kind implements. */
#ifndef ALFUP_STEP_H
#define ALFUP_STEP_H

#include <stdatomic.h>
#include <stdint.h>

#include "agent_config.h"
#include "kv_list.h"
#include "message.h"

/* Progress of a running step; fields that do not apply stay 0. */
typedef struct step_progress {
    uint64_t bytes_done, bytes_total;
    uint64_t files_done, files_total;
    const char *message;    /* short, human-readable; may be NULL */
} step_progress_t;

typedef void (*step_progress_fn)(void *arg, const step_progress_t *progress);

/* Everything a step may use. The config is trusted (it is the agent's own);
 * params come from the wire and are not: every name must be looked up in the
 * config and every path checked with path_policy before use. */
typedef struct step_context {
    const agent_config_t *config;
    const char *step_id;
    const kv_list_t *params;
    const char *approval;       /* approval token the controller recorded, "" if none */
    msg_step_result_t *result;  /* the step adds outputs, log lines and error here */
    step_progress_fn progress;  /* may be NULL; call at least once a second on long work */
    void *progress_arg;
    atomic_int *cancel;         /* non-zero: stop soon, clean up, return STEP_CANCELLED */
    int interrupted;            /* 1: this step id was started before on this agent, which stopped
                                   before recording a result: output of that attempt may exist */
} step_context_t;

/* Runs the step. Returns STEP_SUCCEEDED, STEP_FAILED (result->error set,
 * naming the thing and the reason), STEP_REFUSED (parameters not allowed by
 * the config or malformed) or STEP_CANCELLED. */
typedef step_status_t (*step_run_fn)(step_context_t *ctx);

typedef struct step_kind {
    const char *name;           /* as in StepRequest.kind, e.g. "backup-tree" */
    step_run_fn run;
} step_kind_t;

/* The step kind called name, or NULL when the agent does not know it. */
const step_kind_t *step_kind_find(const char *name);

/* ---- helpers for step implementations (step.c) ---- */

/* Sets ctx->result->error (printf-style) and returns status, so a step can
 * write `return step_fail(ctx, STEP_FAILED, "restore %s: %s", path, why);`. */
step_status_t step_fail(step_context_t *ctx, step_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports progress through ctx->progress when set. */
void step_report(step_context_t *ctx, const step_progress_t *progress);

/* Non-zero when the step was asked to stop. */
int step_cancelled(const step_context_t *ctx);

/* The parameter key, or NULL with a REFUSED error set when it is missing. */
const char *step_param_required(step_context_t *ctx, const char *key);

#endif
