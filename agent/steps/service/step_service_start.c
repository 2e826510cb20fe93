/* step_service_start.c -- the "service-start" step kind: start a configured service and watch it come up. */
#include "step_service_start.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log_follow.h"
#include "proc_run.h"
#include "service_command.h"
#include "service_patterns.h"
#include "service_state.h"
#include "step_service_stop.h"

#define START_POLL_MS 200u
#define START_OUTPUT_LINES 20u
#define MS_PER_S 1000u
/* After a failure line, what the service logs in this long is kept too (the lines after it say why). */
#define AFTER_FAILURE_MS 300u

typedef struct start_run {
    step_context_t *ctx;
    const agent_service_t *service;
    service_patterns_t *patterns;
    log_follow_t *follow;       /* NULL when the service has no log */
    str_list_t tail;            /* the last lines seen */
    str_list_t started_tail;    /* the tail as it was at the started line */
    char *started_line;
    char *failed_line;
    pid_t pid;
    uint64_t started_ms;
    uint64_t last_report_ms;
    int start_attempted;        /* the start command ran: a failure stops the service again */
} start_run_t;

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / MS_PER_S, .tv_nsec = (long)(ms % MS_PER_S) * 1000000L};
    nanosleep(&ts, NULL);
}

static void copy_lines(str_list_t *to, const str_list_t *from)
{
    str_list_clear(to);
    for (size_t i = 0; i < from->count; i++)
        str_list_add(to, from->items[i]);
}

/* log_line_fn: keeps the tail; stops at the first failure line. */
static int on_log_line(void *arg, const char *line)
{
    start_run_t *run = arg;
    if (str_list_add(&run->tail, line) == 0)
        str_list_keep_last(&run->tail, SERVICE_START_TAIL_LINES);
    if (service_patterns_failed(run->patterns, line)) {
        run->failed_line = strdup(line);
        return 1;
    }
    if (run->started_line == NULL && service_patterns_started(run->patterns, line)) {
        run->started_line = strdup(line);
        copy_lines(&run->started_tail, &run->tail);
    }
    return 0;
}

static int read_log(start_run_t *run, alfup_err_t *err)
{
    if (run->follow == NULL || run->failed_line != NULL)
        return ALFUP_OK;
    return log_follow_poll(run->follow, on_log_line, run, err) < 0 ? ALFUP_ERR : ALFUP_OK;
}

static void start_report(start_run_t *run, const char *what)
{
    uint64_t now = alfup_now_mono_ms();
    if (now - run->last_report_ms < MS_PER_S)
        return;
    run->last_report_ms = now;
    char message[160];
    snprintf(message, sizeof message, "%s: %s (%llu s)", run->service->name, what,
             (unsigned long long)((now - run->started_ms) / MS_PER_S));
    step_progress_t progress = {.message = message};
    step_report(run->ctx, &progress);
}

/* Moves lines into the result's log_lines. */
static void give_lines(start_run_t *run, const str_list_t *lines)
{
    for (size_t i = 0; i < lines->count; i++)
        str_list_add(&run->ctx->result->log_lines, lines->items[i]);
}

static step_status_t start_succeeded(start_run_t *run, int already)
{
    kv_list_t *out = &run->ctx->result->outputs;
    give_lines(run, run->started_line ? &run->started_tail : &run->tail);
    if (kv_list_addf(out, "pid", "%d", (int)(run->pid > 0 ? run->pid : 0)) != 0 ||
        kv_list_add(out, "started_line", run->started_line ? run->started_line : "") != 0 ||
        kv_list_addf(out, "ready_after_ms", "%llu",
                     (unsigned long long)(alfup_now_mono_ms() - run->started_ms)) != 0 ||
        kv_list_add(out, "already_running", already ? "yes" : "no") != 0)
        return step_fail(run->ctx, STEP_FAILED, "%s: out of memory", run->ctx->step_id);
    return STEP_SUCCEEDED;
}

/* log_line_fn after the failure line: only keeps the tail. */
static int on_line_after_failure(void *arg, const char *line)
{
    start_run_t *run = arg;
    if (str_list_add(&run->tail, line) == 0)
        str_list_keep_last(&run->tail, SERVICE_START_TAIL_LINES);
    return 0;
}

/* Fails the step with "STEP: SERVICE: why" and the log tail as its lines: the lines before a failure line
 * and those logged in the AFTER_FAILURE_MS after it. */
static step_status_t start_failed(start_run_t *run, const char *why)
{
    if (run->failed_line != NULL && run->follow != NULL) {
        alfup_err_t err = {{0}};
        sleep_ms(AFTER_FAILURE_MS);
        log_follow_poll(run->follow, on_line_after_failure, run, &err);
    }
    give_lines(run, &run->tail);
    return step_fail(run->ctx, STEP_FAILED, "%s: %s: %s", run->ctx->step_id, run->service->name, why);
}

/* Runs the start argv; a failing start command fails the step. */
static step_status_t run_start_command(start_run_t *run)
{
    const agent_service_t *service = run->service;
    proc_spec_t spec = {.argv = service->start_argv.items,
                        .timeout_s = service->start_timeout_s ? service->start_timeout_s : 1,
                        .cancel = run->ctx->cancel, .keep_lines = START_OUTPUT_LINES};
    proc_outcome_t outcome;
    alfup_err_t err = {{0}};
    if (service_command_run(run->ctx, service->name, "start", &spec, &outcome, &err) != ALFUP_OK)
        return step_fail(run->ctx, STEP_FAILED, "%s: start %s: %s", run->ctx->step_id,
                         service->name, err.msg);
    step_status_t status = STEP_SUCCEEDED;
    if (outcome.cancelled) {
        status = step_fail(run->ctx, STEP_CANCELLED, "%s: start %s cancelled", run->ctx->step_id,
                           service->name);
    } else if (!proc_succeeded(&outcome)) {
        char why[256];
        proc_describe(&spec, &outcome, why, sizeof why);
        give_lines(run, &outcome.output_tail);
        status = step_fail(run->ctx, STEP_FAILED, "%s: start %s: %s", run->ctx->step_id,
                           service->name, why);
    }
    proc_outcome_clear(&outcome);
    return status;
}

/* 1 when the process named by the pidfile has exited (after it was seen). */
static int process_exited(start_run_t *run)
{
    pid_t pid = service_pid_read(run->service->pidfile, NULL);
    if (pid > 0)
        run->pid = pid;
    return run->pid > 0 && !service_pid_alive(run->pid);
}

/* One round of watching. Returns STEP_UNSPECIFIED to go on, or the outcome. */
static step_status_t watch_once(start_run_t *run, uint64_t deadline)
{
    alfup_err_t err = {{0}};
    char why[LOG_FOLLOW_LINE_MAX + 64];
    if (read_log(run, &err) != ALFUP_OK)
        return start_failed(run, err.msg);
    if (run->failed_line == NULL && process_exited(run)) {
        read_log(run, &err);
        if (run->failed_line == NULL) {
            snprintf(why, sizeof why, "process %d exited during startup", (int)run->pid);
            return start_failed(run, why);
        }
    }
    if (run->failed_line != NULL) {
        snprintf(why, sizeof why, "failed to start: %s", run->failed_line);
        return start_failed(run, why);
    }
    int log_ok = !service_patterns_has_started(run->patterns) || run->started_line != NULL;
    if (log_ok && (run->service->ready_url == NULL || service_probe_ready(run->service)))
        return start_succeeded(run, 0);
    if (step_cancelled(run->ctx))
        return step_fail(run->ctx, STEP_CANCELLED, "%s: start %s: stopped watching (cancelled)",
                         run->ctx->step_id, run->service->name);
    if (alfup_now_mono_ms() >= deadline) {
        snprintf(why, sizeof why, log_ok ? "not ready within %u s (readiness probe)"
                                         : "did not log its startup line within %u s",
                 run->service->start_timeout_s);
        return start_failed(run, why);
    }
    start_report(run, log_ok ? "waiting for probe" : "waiting for log");
    return STEP_UNSPECIFIED;
}

/* A pidfile left naming a process that is gone (a stop by other hands, a
 * crash) would make the start command refuse: it is removed first. */
static int clear_leftover_pidfile(start_run_t *run, alfup_err_t *err)
{
    pid_t named = 0;
    int removed = service_pidfile_clear_if_gone(run->service->pidfile, &named, err);
    if (removed < 0)
        return ALFUP_ERR;
    if (removed == 1)
        str_list_addf(&run->ctx->result->log_lines, "alfup: removed %s before the start: it named pid %d, "
                      "which is gone", run->service->pidfile, (int)named);
    return ALFUP_OK;
}

static step_status_t start_service(start_run_t *run)
{
    const agent_service_t *service = run->service;
    alfup_err_t err = {{0}};
    run->pid = service_pid_read(service->pidfile, &err);
    if (run->pid < 0)
        return step_fail(run->ctx, STEP_FAILED, "%s: start %s: %s", run->ctx->step_id, service->name, err.msg);
    if ((service->pidfile == NULL || service_pid_alive(run->pid)) && service_probe_ready(service))
        return start_succeeded(run, 1);
    if (clear_leftover_pidfile(run, &err) != ALFUP_OK)
        return step_fail(run->ctx, STEP_FAILED, "%s: start %s: %s", run->ctx->step_id, service->name, err.msg);
    uint64_t offset = 0;
    if (service->log != NULL) {
        if (log_follow_size(service->log, &offset, &err) != ALFUP_OK)
            return step_fail(run->ctx, STEP_FAILED, "%s: start %s: %s", run->ctx->step_id, service->name, err.msg);
        run->follow = log_follow_new(service->log, offset);
        if (run->follow == NULL)
            return step_fail(run->ctx, STEP_FAILED, "%s: out of memory", run->ctx->step_id);
    }
    run->start_attempted = 1;
    step_status_t status = run_start_command(run);
    if (status == STEP_FAILED && read_log(run, &err) == ALFUP_OK)
        give_lines(run, &run->tail);    /* what the service logged before it gave up */
    if (status != STEP_SUCCEEDED)
        return status;
    run->pid = 0;
    uint64_t deadline = run->started_ms + (uint64_t)service->start_timeout_s * MS_PER_S;
    while ((status = watch_once(run, deadline)) == STEP_UNSPECIFIED)
        sleep_ms(START_POLL_MS);
    return status;
}

step_status_t step_service_start_run(step_context_t *ctx)
{
    const agent_service_t *service = service_lookup(ctx);
    if (service == NULL)
        return STEP_REFUSED;
    if (service->start_argv.count == 0)
        return step_fail(ctx, STEP_REFUSED, "%s: service %s has no start command", ctx->step_id,
                         service->name);
    alfup_err_t err = {{0}};
    start_run_t run = {.ctx = ctx, .service = service, .started_ms = alfup_now_mono_ms()};
    run.patterns = service_patterns_new(service, &err);
    if (run.patterns == NULL)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    step_status_t status = start_service(&run);
    if (status == STEP_FAILED && run.start_attempted)
        service_stop_after_failed_start(ctx, service); /* nothing half-started is left running */
    log_follow_destroy(&run.follow);
    service_patterns_destroy(&run.patterns);
    str_list_clear(&run.tail);
    str_list_clear(&run.started_tail);
    free(run.started_line);
    free(run.failed_line);
    return status;
}
