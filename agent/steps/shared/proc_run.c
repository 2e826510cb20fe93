/* proc_run.c -- fork/execve with captured output, timeout, cancel and group kill. */
#include "proc_run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "message.h"
#include "proc_children.h"

#define PROC_LINE_MAX 4096
#define PROC_POLL_MS 100

extern char **environ;

static char **build_env(char *const *extra)
{
    size_t base = 0, more = 0;
    while (environ && environ[base])
        base++;
    while (extra && extra[more])
        more++;
    char **env = calloc(base + more + 1, sizeof *env);
    if (env == NULL)
        return NULL;
    for (size_t i = 0; i < base; i++)
        env[i] = environ[i];
    for (size_t i = 0; i < more; i++)
        env[base + i] = extra[i];
    return env;
}

static void child_exec(const proc_spec_t *spec, int out_fd, char **env)
{
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    if (spec->cwd && chdir(spec->cwd) != 0) {
        dprintf(STDERR_FILENO, "chdir %s: %s\n", spec->cwd, strerror(errno));
        _exit(126);
    }
    signal(SIGPIPE, SIG_DFL);
    execve(spec->argv[0], spec->argv, env);
    dprintf(STDERR_FILENO, "exec %s: %s\n", spec->argv[0], strerror(errno));
    _exit(127);
}

typedef struct line_buffer {
    char text[PROC_LINE_MAX];
    size_t used;
} line_buffer_t;

static void emit_line(const proc_spec_t *spec, proc_outcome_t *outcome, line_buffer_t *lb)
{
    lb->text[lb->used] = '\0';
    if (spec->on_line)
        spec->on_line(spec->line_arg, lb->text);
    if (spec->keep_lines > 0 && str_list_add(&outcome->output_tail, lb->text) == 0)
        str_list_keep_last(&outcome->output_tail, spec->keep_lines);
    lb->used = 0;
}

static void take_output(const proc_spec_t *spec, proc_outcome_t *outcome, line_buffer_t *lb,
                        const char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (bytes[i] == '\n' || lb->used == PROC_LINE_MAX - 1) {
            emit_line(spec, outcome, lb);
            if (bytes[i] == '\n')
                continue;
        }
        lb->text[lb->used++] = bytes[i];
    }
}

/* Reads output until the program has exited and its output is drained (a
 * daemon it started may keep the pipe open: then the exit is enough); kills
 * the group on timeout or cancel. Returns the wait status. */
static int follow(const proc_spec_t *spec, pid_t pid, int fd, proc_outcome_t *outcome)
{
    line_buffer_t lb = {.used = 0};
    uint64_t start = alfup_now_mono_ms();
    uint64_t term_sent = 0;
    int open_fd = 1, status = 0, reaped = 0;
    while (open_fd) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, reaped ? 0 : PROC_POLL_MS);
        if (ready == 0 && reaped)
            break;
        if (ready > 0) {
            char bytes[4096];
            ssize_t n = read(fd, bytes, sizeof bytes);
            if (n > 0)
                take_output(spec, outcome, &lb, bytes, (size_t)n);
            else if (n == 0 || errno != EINTR)
                open_fd = 0;
        }
        uint64_t now = alfup_now_mono_ms();
        int expired = spec->timeout_s && now - start >= (uint64_t)spec->timeout_s * 1000u;
        int cancel = spec->cancel && atomic_load(spec->cancel);
        if ((expired || cancel) && term_sent == 0) {
            outcome->timed_out = expired;
            outcome->cancelled = !expired && cancel;
            kill(-pid, SIGTERM);
            term_sent = now;
        } else if (term_sent && now - term_sent >= PROC_KILL_GRACE_S * 1000u) {
            kill(-pid, SIGKILL);
            term_sent = now;
        }
        if (!reaped && waitpid(pid, &status, WNOHANG) == pid)
            reaped = 1;
    }
    if (lb.used > 0)
        emit_line(spec, outcome, &lb);
    while (!reaped && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

int proc_run(const proc_spec_t *spec, proc_outcome_t *outcome, alfup_err_t *err)
{
    memset(outcome, 0, sizeof *outcome);
    if (spec->argv == NULL || spec->argv[0] == NULL || spec->argv[0][0] != '/')
        return alfup_err_set(err, "run: program path must be absolute");
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        return alfup_err_errno(err, errno, "run %s: pipe", spec->argv[0]);
    char **env = build_env(spec->env_extra);
    if (env == NULL) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return alfup_err_set(err, "run %s: out of memory", spec->argv[0]);
    }
    pid_t pid = proc_children_fork();
    if (pid == 0)
        child_exec(spec, pipe_fds[1], env);
    free(env);
    close(pipe_fds[1]);
    if (pid < 0) {
        close(pipe_fds[0]);
        return alfup_err_errno(err, errno, "run %s: fork", spec->argv[0]);
    }
    setpgid(pid, pid);
    int status = follow(spec, pid, pipe_fds[0], outcome);
    proc_children_forget(pid);
    close(pipe_fds[0]);
    if (WIFEXITED(status)) {
        outcome->exited = 1;
        outcome->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        outcome->signal = WTERMSIG(status);
    }
    return ALFUP_OK;
}

int proc_succeeded(const proc_outcome_t *outcome)
{
    return outcome->exited && outcome->exit_code == 0 && !outcome->timed_out && !outcome->cancelled;
}

void proc_describe(const proc_spec_t *spec, const proc_outcome_t *outcome, char *buf, size_t len)
{
    const char *program = spec->argv && spec->argv[0] ? spec->argv[0] : "?";
    if (outcome->timed_out)
        snprintf(buf, len, "%s timed out after %u s", program, spec->timeout_s);
    else if (outcome->cancelled)
        snprintf(buf, len, "%s was cancelled", program);
    else if (outcome->exited)
        snprintf(buf, len, "%s exited with status %d", program, outcome->exit_code);
    else
        snprintf(buf, len, "%s was killed by signal %d", program, outcome->signal);
}

void proc_outcome_clear(proc_outcome_t *outcome)
{
    str_list_clear(&outcome->output_tail);
}
