/* service_state.h -- what the agent can observe of a configured service: its pid and liveness. */
#ifndef ALFUP_SERVICE_STATE_H
#define ALFUP_SERVICE_STATE_H

#include <sys/types.h>

#include "step.h"

/* The longest pidfile read; a pidfile holds one decimal pid. */
#define SERVICE_PIDFILE_MAX 64u

/* The service named by the step's `service` param, looked up in the agent's
 * config. Returns NULL with a REFUSED error in ctx->result when the param is
 * missing or the config has no such service (the status to return is then
 * STEP_REFUSED). */
const agent_service_t *service_lookup(step_context_t *ctx);

/* A process that started this long after its pidfile was last written is
 * not the one the pidfile was written for (the pid was reused). */
#define SERVICE_PID_SKEW_S 2

/* The pid in pidfile: > 0, or 0 when pidfile is NULL, missing, empty, does
 * not hold a pid, or is stale (its pid now belongs to a process started more
 * than SERVICE_PID_SKEW_S after the pidfile was written, so it is never
 * signalled). Returns -1 with err on any other read error. */
pid_t service_pid_read(const char *pidfile, alfup_err_t *err);

/* 1 when process pid exists and is not a zombie (an unreaped dead process
 * counts as gone), else 0. */
int service_pid_alive(pid_t pid);

/* Probe limit, short enough for progress reports once a second. */
#define SERVICE_PROBE_TIMEOUT_MS 800u

/* 1 when the service's ready_url answers 200 within SERVICE_PROBE_TIMEOUT_MS
 * (0 when it has no ready_url, or on any other answer or error). */
int service_probe_ready(const agent_service_t *service);

#endif
