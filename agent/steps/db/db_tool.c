/* db_tool.c -- pg_dump / pg_restore runs with a progress watcher thread, and their versions. */
#include "db_tool.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proc_run.h"

#define DB_TOOL_ARGS_MAX 64u
#define DB_TOOL_WATCH_TICK_NS (100L * 1000L * 1000L)

char *db_tool_path(const agent_config_t *config, const char *tool, alfup_err_t *err)
{
    const char *bin_dir = config->postgres.bin_dir;
    if (bin_dir == NULL || bin_dir[0] != '/')
        return alfup_err_set(err, "%s: postgres.bin_dir is not configured (absolute path)", tool),
               NULL;
    char *path = NULL;
    if (asprintf(&path, "%s/%s", bin_dir, tool) < 0)
        return alfup_err_set(err, "%s: out of memory", tool), NULL;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
        alfup_err_set(err, "%s is missing or not executable", path);
        free(path);
        return NULL;
    }
    return path;
}

unsigned long long db_tool_folder_bytes(const char *folder)
{
    DIR *dir = opendir(folder);
    if (dir == NULL)
        return 0;
    unsigned long long total = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        struct stat st;
        if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode))
            total += (unsigned long long)st.st_size;
    }
    closedir(dir);
    return total;
}

/* Shared between the waiting thread (counts lines) and the watcher (reports). */
typedef struct tool_watch {
    step_context_t *ctx;
    const db_tool_job_t *job;
    atomic_size_t tables_done;
    atomic_int stop;
    char first_error[256]; /* the first output line saying "error:" (waiting thread only) */
} tool_watch_t;

static void watch_report(tool_watch_t *watch)
{
    char message[128];
    size_t done = atomic_load(&watch->tables_done);
    snprintf(message, sizeof message, "%s: %zu/%zu tables", watch->job->tool, done,
             watch->job->tables_total);
    step_progress_t progress = {
        .files_done = done,
        .files_total = watch->job->tables_total,
        .bytes_done = watch->job->watch_folder ? db_tool_folder_bytes(watch->job->watch_folder) : 0,
        .message = message,
    };
    step_report(watch->ctx, &progress);
}

static void *watch_main(void *arg)
{
    tool_watch_t *watch = arg;
    unsigned ticks = 0;
    while (!atomic_load(&watch->stop)) {
        struct timespec pause = {0, DB_TOOL_WATCH_TICK_NS};
        nanosleep(&pause, NULL);
        if (++ticks * (DB_TOOL_WATCH_TICK_NS / 1000000L) >= DB_TOOL_PROGRESS_MS) {
            ticks = 0;
            watch_report(watch);
        }
    }
    return NULL;
}

static void count_line(void *arg, const char *line)
{
    tool_watch_t *watch = arg;
    if (watch->job->table_marker != NULL && strstr(line, watch->job->table_marker) != NULL)
        atomic_fetch_add(&watch->tables_done, 1);
    if (watch->first_error[0] == '\0' && strstr(line, "error:") != NULL)
        snprintf(watch->first_error, sizeof watch->first_error, "%s", line);
}

/* argv = program + job->args, into a fixed array. */
static int build_argv(char *program, const db_tool_job_t *job, char **argv, alfup_err_t *err)
{
    size_t n = 0;
    argv[n++] = program;
    for (size_t i = 0; job->args[i] != NULL; i++) {
        if (n + 1 >= DB_TOOL_ARGS_MAX)
            return alfup_err_set(err, "%s: too many arguments", job->tool);
        argv[n++] = job->args[i];
    }
    argv[n] = NULL;
    return ALFUP_OK;
}

static void keep_output(step_context_t *ctx, const db_tool_job_t *job, const proc_outcome_t *out)
{
    for (size_t i = 0; i < out->output_tail.count; i++)
        str_list_addf(&ctx->result->log_lines, "%s: %s", job->tool, out->output_tail.items[i]);
}

int db_tool_run(step_context_t *ctx, const db_tool_job_t *job, alfup_err_t *err)
{
    char *program = db_tool_path(ctx->config, job->tool, err);
    if (program == NULL)
        return ALFUP_ERR;
    char *argv[DB_TOOL_ARGS_MAX];
    tool_watch_t watch = {.ctx = ctx, .job = job};
    proc_spec_t spec = {.argv = argv,
                        .env_extra = job->env_extra,
                        .timeout_s = job->timeout_s,
                        .cancel = ctx->cancel,
                        .keep_lines = DB_TOOL_KEEP_LINES,
                        .on_line = count_line,
                        .line_arg = &watch};
    proc_outcome_t outcome = {0};
    pthread_t watcher;
    int watching = 0;
    int rc = build_argv(program, job, argv, err);
    if (rc != ALFUP_OK)
        goto out;
    watching = pthread_create(&watcher, NULL, watch_main, &watch) == 0;
    rc = proc_run(&spec, &outcome, err);
    atomic_store(&watch.stop, 1);
    if (watching)
        pthread_join(watcher, NULL);
    if (rc != ALFUP_OK)
        goto out;
    watch_report(&watch);
    if (!proc_succeeded(&outcome)) {
        char why[256];
        proc_describe(&spec, &outcome, why, sizeof why);
        const char *last = outcome.output_tail.count
                               ? outcome.output_tail.items[outcome.output_tail.count - 1]
                               : "";
        rc = alfup_err_set(err, "%s: %.250s", why, watch.first_error[0] ? watch.first_error : last);
        if (watch.first_error[0])
            str_list_addf(&ctx->result->log_lines, "%s", watch.first_error);
        keep_output(ctx, job, &outcome);
    }
out:
    proc_outcome_clear(&outcome);
    free(program);
    return rc;
}

int db_tool_server_major(int server_version)
{
    return server_version >= 100000 ? server_version / 10000 : server_version / 100;
}

/* "pg_dump (PostgreSQL) 15.4 (Debian ...)" -> 15; "... 9.6.24" -> 906. */
static int parse_version_line(const char *line, int *major)
{
    const char *p = strstr(line, ") ");
    if (p == NULL)
        return -1;
    p += 2;
    char *end = NULL;
    long first = strtol(p, &end, 10);
    if (end == p || first <= 0 || first > 1000)
        return -1;
    if (first >= 10) {
        *major = (int)first;
        return 0;
    }
    if (*end != '.')
        return -1;
    long second = strtol(end + 1, NULL, 10);
    *major = (int)(first * 100 + second);
    return 0;
}

int db_tool_major_version(const agent_config_t *config, const char *tool, int *major,
                          alfup_err_t *err)
{
    char *program = db_tool_path(config, tool, err);
    if (program == NULL)
        return ALFUP_ERR;
    char version_flag[] = "--version";
    char *argv[] = {program, version_flag, NULL};
    proc_spec_t spec = {.argv = argv, .timeout_s = DB_TOOL_VERSION_TIMEOUT_S, .keep_lines = 4};
    proc_outcome_t outcome = {0};
    int rc = proc_run(&spec, &outcome, err);
    if (rc == ALFUP_OK && (!proc_succeeded(&outcome) || outcome.output_tail.count == 0 ||
                           parse_version_line(outcome.output_tail.items[0], major) != 0))
        rc = alfup_err_set(err, "%s --version: no version found", program);
    proc_outcome_clear(&outcome);
    free(program);
    return rc;
}
