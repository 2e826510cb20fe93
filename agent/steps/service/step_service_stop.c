/* step_service_stop.c -- the "service-stop" step kind: stop a configured service and make sure it is gone. */
#include "step_service_stop.h"

#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "proc_run.h"
#include "service_command.h"
#include "service_state.h"

#define STOP_POLL_MS 200u
#define STOP_OUTPUT_LINES 20u
#define MS_PER_S 1000u

typedef struct stop_run {
    step_context_t *ctx;
    const agent_service_t *service;
    pid_t pid;
    uint64_t started_ms;
    uint64_t last_report_ms;
    uint64_t command_ms;        /* how long the stop argv ran */
    int command_gave_up;        /* the stop argv ended while the service still ran */
} stop_run_t;

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / MS_PER_S, .tv_nsec = (long)(ms % MS_PER_S) * 1000000L};
    nanosleep(&ts, NULL);
}

/* 1 while the service runs: with a pidfile, while its process lives -- the probe
 * URL is shared by the old and the new version (same port), so the other one's
 * answer must not keep this one "running"; without a pidfile, while the probe
 * still answers 200. */
static int still_running(const stop_run_t *run)
{
    if (run->service->pidfile != NULL)
        return run->pid > 0 && service_pid_alive_reap(run->pid);
    return service_probe_ready(run->service);
}

static void stop_report(stop_run_t *run, const char *what)
{
    uint64_t now = alfup_now_mono_ms();
    if (now - run->last_report_ms < MS_PER_S)
        return;
    run->last_report_ms = now;
    char message[160];
    snprintf(message, sizeof message, "%s %s (%llu s)", what, run->service->name,
             (unsigned long long)((now - run->started_ms) / MS_PER_S));
    step_progress_t progress = {.message = message};
    step_report(run->ctx, &progress);
}

/* Waits until the service is gone or deadline_ms. Returns 1 gone, 0 not yet,
 * -1 cancelled. */
static int wait_gone(stop_run_t *run, uint64_t deadline_ms, const char *what)
{
    for (;;) {
        if (!still_running(run))
            return 1;
        if (step_cancelled(run->ctx))
            return -1;
        if (alfup_now_mono_ms() >= deadline_ms)
            return 0;
        stop_report(run, what);
        sleep_ms(STOP_POLL_MS);
    }
}

static int run_stop_command(stop_run_t *run, unsigned timeout_s, alfup_err_t *err)
{
    const agent_service_t *service = run->service;
    if (service->stop_argv.count == 0)
        return ALFUP_OK;
    proc_spec_t spec = {.argv = service->stop_argv.items, .timeout_s = timeout_s ? timeout_s : 1,
                        .cancel = run->ctx->cancel, .keep_lines = STOP_OUTPUT_LINES};
    proc_outcome_t outcome;
    uint64_t command_start = alfup_now_mono_ms();
    if (service_command_run(run->ctx, service->name, "stop", &spec, &outcome, err) != ALFUP_OK)
        return alfup_err_prefix(err, "stop %s", service->name);
    run->command_ms = alfup_now_mono_ms() - command_start;
    msg_step_result_t *result = run->ctx->result;
    for (size_t i = 0; i < outcome.output_tail.count; i++)
        str_list_add(&result->log_lines, outcome.output_tail.items[i]);
    if (!proc_succeeded(&outcome)) {
        char why[256];
        proc_describe(&spec, &outcome, why, sizeof why);
        str_list_addf(&result->log_lines, "alfup: stop command: %s", why);
    }
    int ended_by_itself = outcome.exited && !outcome.timed_out && !outcome.cancelled;
    if (ended_by_itself && still_running(run)) {
        run->command_gave_up = 1;
        str_list_addf(&result->log_lines, "alfup: the stop command ended after %llu ms with %s still running; "
                      "waiting for it to exit", (unsigned long long)run->command_ms, service->name);
    }
    proc_outcome_clear(&outcome);
    return ALFUP_OK;
}

/* SIGTERM, then SIGKILL, the recorded pid. Returns 1 gone, 0 still there, -1 cancelled. */
static int kill_service(stop_run_t *run)
{
    if (run->pid <= 0)
        return 0;
    str_list_addf(&run->ctx->result->log_lines, "alfup: %s still running after %u s: SIGTERM to pid %d",
                  run->service->name, run->service->stop_timeout_s, (int)run->pid);
    kill(run->pid, SIGTERM);
    int gone = wait_gone(run, alfup_now_mono_ms() + SERVICE_STOP_TERM_GRACE_S * MS_PER_S, "terminating");
    if (gone != 0)
        return gone;
    str_list_addf(&run->ctx->result->log_lines, "alfup: SIGKILL to pid %d", (int)run->pid);
    kill(run->pid, SIGKILL);
    return wait_gone(run, alfup_now_mono_ms() + SERVICE_STOP_KILL_WAIT_S * MS_PER_S, "killing");
}

/* Leaves no pidfile naming the stopped process (the next start would refuse
 * to run). Returns 1 removed, 0 nothing to remove, -1 with err. */
static int clear_pidfile(stop_run_t *run, alfup_err_t *err)
{
    pid_t named = 0;
    int removed = service_pidfile_clear_if_gone(run->service->pidfile, &named, err);
    if (removed == 1)
        str_list_addf(&run->ctx->result->log_lines, "alfup: removed %s, which still named pid %d (gone)",
                      run->service->pidfile, (int)named);
    return removed;
}

static step_status_t stop_finish(stop_run_t *run, int killed, int already)
{
    alfup_err_t err = {{0}};
    int removed = clear_pidfile(run, &err);
    if (removed < 0)
        return step_fail(run->ctx, STEP_FAILED, "%s: %s stopped, but the next start would refuse: %s",
                         run->ctx->step_id, run->service->name, err.msg);
    kv_list_t *out = &run->ctx->result->outputs;
    if (kv_list_addf(out, "pid", "%d", (int)(run->pid > 0 ? run->pid : 0)) != 0 ||
        kv_list_addf(out, "stop_ms", "%llu",
                     (unsigned long long)(alfup_now_mono_ms() - run->started_ms)) != 0 ||
        kv_list_addf(out, "stop_command_ms", "%llu", (unsigned long long)run->command_ms) != 0 ||
        kv_list_add(out, "stop_command_gave_up", run->command_gave_up ? "yes" : "no") != 0 ||
        kv_list_add(out, "pidfile_removed", removed ? "yes" : "no") != 0 ||
        kv_list_add(out, "killed", killed ? "yes" : "no") != 0 ||
        kv_list_add(out, "already_stopped", already ? "yes" : "no") != 0)
        return step_fail(run->ctx, STEP_FAILED, "%s: out of memory", run->ctx->step_id);
    return STEP_SUCCEEDED;
}

/* Stop argv, wait, then SIGTERM and SIGKILL: one of the SERVICE_STOP_* outcomes. */
static int stop_service(stop_run_t *run, int *killed, alfup_err_t *err)
{
    const agent_service_t *service = run->service;
    uint64_t deadline = run->started_ms + (uint64_t)service->stop_timeout_s * MS_PER_S;
    if (run_stop_command(run, service->stop_timeout_s, err) != ALFUP_OK)
        return SERVICE_STOP_ERROR;
    int gone = step_cancelled(run->ctx) ? -1 : wait_gone(run, deadline, "waiting for exit of");
    if (gone == 0) {
        *killed = run->pid > 0;
        gone = kill_service(run);
    }
    return gone < 0 ? SERVICE_STOP_CANCELLED : gone ? SERVICE_STOPPED : SERVICE_STILL_RUNNING;
}

int service_stop_after_failed_start(step_context_t *ctx, const agent_service_t *service)
{
    stop_run_t run = {.ctx = ctx, .service = service, .started_ms = alfup_now_mono_ms()};
    alfup_err_t err = {{0}};
    int killed = 0;
    run.pid = service_pid_read(service->pidfile, &err);
    if (run.pid < 0)
        return SERVICE_STOPPED;
    int ran = still_running(&run);
    int outcome = ran ? stop_service(&run, &killed, &err) : SERVICE_STOPPED;
    if (outcome == SERVICE_STOPPED && clear_pidfile(&run, &err) < 0)
        str_list_addf(&ctx->result->log_lines, "alfup: %s", err.msg);
    if (!ran)
        return SERVICE_STOPPED;
    if (outcome == SERVICE_STOPPED)
        str_list_addf(&ctx->result->log_lines, "alfup: stopped %s after its failed start%s", service->name,
                      killed ? " (killed)" : "");
    else
        str_list_addf(&ctx->result->log_lines, "alfup: %s could not be stopped after its failed start%s%s",
                      service->name, outcome == SERVICE_STOP_ERROR ? ": " : "",
                      outcome == SERVICE_STOP_ERROR ? err.msg : "");
    return outcome;
}

step_status_t step_service_stop_run(step_context_t *ctx)
{
    const agent_service_t *service = service_lookup(ctx);
    if (service == NULL)
        return STEP_REFUSED;
    stop_run_t run = {.ctx = ctx, .service = service, .started_ms = alfup_now_mono_ms()};
    alfup_err_t err = {{0}};
    run.pid = service_pid_read(service->pidfile, &err);
    if (run.pid < 0)
        return step_fail(ctx, STEP_FAILED, "%s: stop %s: %s", ctx->step_id, service->name, err.msg);
    if (!still_running(&run))
        return stop_finish(&run, 0, 1);
    int killed = 0;
    switch (stop_service(&run, &killed, &err)) {
    case SERVICE_STOPPED:
        return stop_finish(&run, killed, 0);
    case SERVICE_STOP_CANCELLED:
        return step_fail(ctx, STEP_CANCELLED, "%s: stop %s cancelled", ctx->step_id, service->name);
    case SERVICE_STOP_ERROR:
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    default:
        return step_fail(ctx, STEP_FAILED, "%s: %s (pid %d) is still running%s after %u s",
                         ctx->step_id, service->name, (int)run.pid,
                         service_probe_ready(service) ? " and answers its readiness probe" : "",
                         service->stop_timeout_s);
    }
}
