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

/* service_pid_alive, and when pid is gone and an exited child of the agent
 * (an orphan it adopted as subreaper), reaps it so no zombie stays behind. */
int service_pid_alive_reap(pid_t pid);

/* Makes a stopped service's pidfile what its start command expects: when
 * pidfile names a process that is gone (exited, a zombie -- reaped when it
 * is the agent's -- or the pid now belongs to a later process), the pidfile
 * is removed: catalina.sh start refuses to run while its CATALINA_PID names
 * any process, a zombie included. *pid_out gets the pid named (0 when none).
 * Returns 1 removed, 0 left alone (none, empty, not a pid, or its process
 * still runs), -1 with err when it cannot be read or removed. */
int service_pidfile_clear_if_gone(const char *pidfile, pid_t *pid_out, alfup_err_t *err);

/* Probe limit, short enough for progress reports once a second. */
#define SERVICE_PROBE_TIMEOUT_MS 800u

/* 1 when the service's ready_url answers 200 within SERVICE_PROBE_TIMEOUT_MS
 * (0 when it has no ready_url, or on any other answer or error). */
int service_probe_ready(const agent_service_t *service);

#endif
