/* service_state.c -- what the agent can observe of a configured service: its pid and liveness. */
#include "service_state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_probe.h"
#include "proc_children.h"

#define PROC_STAT_MAX 512u
#define HTTP_STATUS_OK 200L

const agent_service_t *service_lookup(step_context_t *ctx)
{
    const char *name = step_param_required(ctx, "service");
    if (name == NULL)
        return NULL;
    const agent_service_t *service = agent_config_service(ctx->config, name);
    if (service == NULL) {
        step_fail(ctx, STEP_REFUSED, "%s: service '%.128s' is not in this agent's config",
                  ctx->step_id, name);
        return NULL;
    }
    return service;
}

static pid_t parse_pid(const char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || value <= 1 || value > INT32_MAX)
        return 0;
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    return *end == '\0' ? (pid_t)value : 0;
}

/* Seconds since the epoch at which the system booted, or 0. */
static long long boot_time(void)
{
    FILE *f = fopen("/proc/stat", "re");
    if (f == NULL)
        return 0;
    char line[256];
    long long btime = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "btime %lld", &btime) == 1)
            break;
    fclose(f);
    return btime;
}

/* Reads /proc/PID/stat into buf and returns the text after the parenthesised
 * command (which may itself hold spaces and parentheses), or NULL. */
static const char *proc_stat_fields(pid_t pid, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return strrchr(buf, ')');
}

/* The wall-clock second process pid started at, or 0 when unknown. */
static long long process_start(pid_t pid)
{
    char stat_text[PROC_STAT_MAX + 1];
    const char *field = proc_stat_fields(pid, stat_text, sizeof stat_text);
    unsigned long long ticks = 0;
    /* after ")": state is field 3, starttime field 22 */
    for (int i = 3; field != NULL && i <= 22; i++)
        field = strchr(field + 1, ' ');
    long hz = sysconf(_SC_CLK_TCK);
    if (field == NULL || sscanf(field, " %llu", &ticks) != 1 || hz <= 0)
        return 0;
    long long btime = boot_time();
    return btime > 0 ? btime + (long long)(ticks / (unsigned long long)hz) : 0;
}

/* 1 when pid's process started after the pidfile was written (+ skew). */
static int pid_is_stale(pid_t pid, int fd)
{
    struct stat st;
    long long started = process_start(pid);
    return started > 0 && fstat(fd, &st) == 0 && started > (long long)st.st_mtime + SERVICE_PID_SKEW_S;
}

/* The state letter in /proc/PID/stat (after the parenthesised command), or 0. */
static char proc_state(pid_t pid)
{
    char stat_text[PROC_STAT_MAX + 1];
    const char *paren = proc_stat_fields(pid, stat_text, sizeof stat_text);
    return paren != NULL && paren[1] == ' ' ? paren[2] : 0;
}

int service_pid_alive(pid_t pid)
{
    if (pid <= 1)
        return 0;
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return 0;
    char state = proc_state(pid);
    return state != 'Z' && state != 'X';
}

int service_pid_alive_reap(pid_t pid)
{
    if (service_pid_alive(pid))
        return 1;
    if (pid > 1)
        proc_children_reap(pid);
    return 0;
}

/* Reads pidfile's pid without the stale check: *stale tells it. Returns the
 * pid (0 for none), -1 with err. */
static pid_t pid_read_raw(const char *pidfile, int *stale, alfup_err_t *err)
{
    int fd = open(pidfile, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        alfup_err_errno(err, errno, "pidfile %s: open", pidfile);
        return -1;
    }
    char text[SERVICE_PIDFILE_MAX + 1];
    ssize_t n;
    do
        n = read(fd, text, SERVICE_PIDFILE_MAX);
    while (n < 0 && errno == EINTR);
    int saved = errno;
    pid_t pid = 0;
    if (n >= 0) {
        text[n] = '\0';
        pid = parse_pid(text);
        *stale = pid > 0 && pid_is_stale(pid, fd);
    }
    close(fd);
    if (n < 0) {
        alfup_err_errno(err, saved, "pidfile %s: read", pidfile);
        return -1;
    }
    return pid;
}

pid_t service_pid_read(const char *pidfile, alfup_err_t *err)
{
    if (pidfile == NULL)
        return 0;
    int stale = 0;
    pid_t pid = pid_read_raw(pidfile, &stale, err);
    return stale ? 0 : pid;
}

int service_pidfile_clear_if_gone(const char *pidfile, pid_t *pid_out, alfup_err_t *err)
{
    *pid_out = 0;
    if (pidfile == NULL)
        return 0;
    int stale = 0;
    pid_t pid = pid_read_raw(pidfile, &stale, err);
    if (pid <= 0)
        return pid < 0 ? -1 : 0;
    *pid_out = pid;
    if (!stale && service_pid_alive_reap(pid))
        return 0;
    if (unlink(pidfile) != 0 && errno != ENOENT) {
        alfup_err_errno(err, errno, "pidfile %s (pid %d, gone): remove", pidfile, (int)pid);
        return -1;
    }
    return 1;
}

int service_probe_ready(const agent_service_t *service)
{
    long status = 0;
    return service->ready_url != NULL &&
           http_probe_get(service->ready_url, SERVICE_PROBE_TIMEOUT_MS, &status, NULL) == ALFUP_OK &&
           status == HTTP_STATUS_OK;
}
