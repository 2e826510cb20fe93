/* proc_run.h -- run a program from the agent's config: argv, no shell, bounded in time. */
#ifndef ALFUP_PROC_RUN_H
#define ALFUP_PROC_RUN_H

#include <stdatomic.h>
#include <stddef.h>

#include "alfup_error.h"
#include "str_list.h"

#define PROC_KILL_GRACE_S 5u

typedef void (*proc_line_fn)(void *arg, const char *line);

typedef struct proc_spec {
    char *const *argv;        /* argv[0] must be an absolute path; from the agent's config */
    const char *cwd;          /* may be NULL */
    char *const *env_extra;   /* "KEY=VALUE" entries added to the agent's environment; may be NULL */
    unsigned timeout_s;       /* 0: no limit */
    atomic_int *cancel;       /* may be NULL; non-zero stops the program */
    size_t keep_lines;        /* output lines (stdout and stderr) kept, the last ones */
    proc_line_fn on_line;     /* may be NULL; sees every output line as it comes */
    void *line_arg;
} proc_spec_t;

typedef struct proc_outcome {
    int exited;               /* 1: exited normally, exit_code is meaningful */
    int exit_code;
    int signal;               /* non-zero: killed by this signal */
    int timed_out;            /* 1: killed because timeout_s passed */
    int cancelled;            /* 1: killed because *cancel became non-zero */
    str_list_t output_tail;   /* the last keep_lines lines of output */
} proc_outcome_t;

/* Runs the program in its own process group with stdin from /dev/null and
 * waits for it. On timeout or cancel the group gets SIGTERM, then SIGKILL
 * after PROC_KILL_GRACE_S. The child is recorded in proc_children while it
 * is waited for, so the agent's orphan reaper never takes its status. Returns ALFUP_OK when the program ran (whatever its
 * exit status: see *outcome, which the caller clears), ALFUP_ERR with err when
 * it could not be started. */
int proc_run(const proc_spec_t *spec, proc_outcome_t *outcome, alfup_err_t *err);

/* 1 when the outcome is a normal exit with status 0. */
int proc_succeeded(const proc_outcome_t *outcome);

/* Describes the outcome in words: "exited with status 3", "timed out after 30 s"... */
void proc_describe(const proc_spec_t *spec, const proc_outcome_t *outcome, char *buf, size_t len);

/* Frees the outcome's output lines. */
void proc_outcome_clear(proc_outcome_t *outcome);

#endif
