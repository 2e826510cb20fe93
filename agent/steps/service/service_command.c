/* service_command.c -- run a service's start or stop argv while reporting progress every second. */
#include "service_command.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define COMMAND_POLL_MS 100u
#define COMMAND_REPORT_MS 1000u

typedef struct command_job {
    const proc_spec_t *spec;
    proc_outcome_t *outcome;
    alfup_err_t err;
    int rc;
    atomic_int done;
} command_job_t;

static void *command_thread(void *arg)
{
    command_job_t *job = arg;
    job->rc = proc_run(job->spec, job->outcome, &job->err);
    atomic_store(&job->done, 1);
    return NULL;
}

static void report(step_context_t *ctx, const char *service, const char *what, uint64_t elapsed_ms)
{
    char message[160];
    snprintf(message, sizeof message, "%s: running the %s command (%llu s)", service, what,
             (unsigned long long)(elapsed_ms / 1000u));
    step_progress_t progress = {.message = message};
    step_report(ctx, &progress);
}

int service_command_run(step_context_t *ctx, const char *service, const char *what,
                        const proc_spec_t *spec, proc_outcome_t *outcome, alfup_err_t *err)
{
    command_job_t job = {.spec = spec, .outcome = outcome, .rc = ALFUP_ERR};
    pthread_t thread;
    if (pthread_create(&thread, NULL, command_thread, &job) != 0)
        return alfup_err_set(err, "%s: cannot start a thread for the %s command", service, what);
    uint64_t start = alfup_now_mono_ms(), last = start;
    struct timespec pause = {.tv_sec = 0, .tv_nsec = (long)COMMAND_POLL_MS * 1000000L};
    while (!atomic_load(&job.done)) {
        nanosleep(&pause, NULL);
        uint64_t now = alfup_now_mono_ms();
        if (now - last >= COMMAND_REPORT_MS) {
            report(ctx, service, what, now - start);
            last = now;
        }
    }
    pthread_join(thread, NULL);
    if (job.rc != ALFUP_OK && err != NULL)
        *err = job.err;
    return job.rc;
}
