/* step_preflight.c -- "preflight": paths, space, pg tools, database, services. */
#include "step_preflight.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "db_conn.h"
#include "db_ident.h"
#include "db_tool.h"
#include "path_policy.h"
#include "preflight_copy.h"
#include "preflight_fs.h"

#define TREE_DEPTH_MAX 256

void preflight_check_result(preflight_t *pf, const char *name, const char *fail_fmt, ...)
{
    char value[600] = "ok";
    if (fail_fmt != NULL) {
        char reason[ALFUP_ERR_MAX];
        va_list ap;
        va_start(ap, fail_fmt);
        vsnprintf(reason, sizeof reason, fail_fmt, ap);
        va_end(ap);
        snprintf(value, sizeof value, "FAIL: %s", reason);
        if (pf->failed++ == 0)
            snprintf(pf->first_failed, sizeof pf->first_failed, "%.150s: %.500s", name, reason);
    }
    kv_list_add(&pf->ctx->result->outputs, name, value);
    str_list_addf(&pf->ctx->result->log_lines, "%s=%s", name, value);
}

/* Adds the sizes of regular files below the folder open as dir_fd (closed
 * here); symlinks are not followed and the walk stays on device dev. */
static int tree_bytes(int dir_fd, dev_t dev, int depth, const step_context_t *ctx, uint64_t *total,
                      alfup_err_t *err)
{
    DIR *dir = fdopendir(dir_fd);
    if (dir == NULL) {
        close(dir_fd);
        return alfup_err_errno(err, errno, "open folder");
    }
    int rc = ALFUP_OK;
    struct dirent *entry;
    while (rc == ALFUP_OK && (entry = readdir(dir)) != NULL) {
        struct stat st;
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (step_cancelled(ctx))
            rc = alfup_err_set(err, "cancelled");
        else if (fstatat(dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            rc = alfup_err_errno(err, errno, "stat %s", entry->d_name);
        else if (S_ISREG(st.st_mode))
            *total += (uint64_t)st.st_size;
        else if (S_ISDIR(st.st_mode) && st.st_dev == dev && depth >= TREE_DEPTH_MAX)
            rc = alfup_err_set(err, "deeper than %d folders", TREE_DEPTH_MAX);
        else if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
            int child =
                openat(dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            rc = child < 0 ? alfup_err_errno(err, errno, "open %s", entry->d_name)
                           : tree_bytes(child, dev, depth + 1, ctx, total, err);
        }
    }
    closedir(dir);
    return rc;
}

/* Resolves a path param; on failure records the check as failed. */
static char *checked_path(preflight_t *pf, const char *check, const char *path)
{
    alfup_err_t err;
    char *resolved = path_policy_resolve(pf->ctx->config, path, &err);
    if (resolved == NULL)
        preflight_check_result(pf, check, "%s", err.msg);
    return resolved;
}

static void check_paths(preflight_t *pf, const char *key, int must_exist)
{
    const kv_list_t *params = pf->ctx->params;
    for (size_t i = 0; i < kv_list_count_key(params, key); i++) {
        const char *path = kv_list_get_nth(params, key, i);
        char name[PATH_MAX + 32];
        snprintf(name, sizeof name, "%s:%s", key, path);
        char *resolved = checked_path(pf, name, path);
        if (resolved == NULL)
            continue;
        struct stat st;
        int exists = lstat(resolved, &st) == 0;
        if (exists == must_exist)
            preflight_check_result(pf, name, NULL);
        else
            preflight_check_result(pf, name, must_exist ? "%s does not exist" : "%s exists", resolved);
        free(resolved);
    }
}

static void check_tree_sizes(preflight_t *pf)
{
    const kv_list_t *params = pf->ctx->params;
    for (size_t i = 0; i < kv_list_count_key(params, "size_tree"); i++) {
        const char *path = kv_list_get_nth(params, "size_tree", i);
        char name[PATH_MAX + 32];
        snprintf(name, sizeof name, "size_tree:%s", path);
        char *resolved = checked_path(pf, name, path);
        if (resolved == NULL)
            continue;
        alfup_err_t err;
        struct stat st;
        uint64_t bytes = 0;
        int fd = open(resolved, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) != 0) {
            preflight_check_result(pf, name, "%s: %s", resolved, strerror(errno));
            if (fd >= 0)
                close(fd);
        } else if (tree_bytes(fd, st.st_dev, 0, pf->ctx, &bytes, &err) != ALFUP_OK) {
            preflight_check_result(pf, name, "%s: %s", resolved, err.msg);
        } else {
            pf->estimate += bytes;
            pf->estimated = 1;
            pf->tree_bytes += bytes;
            pf->trees_sized = 1;
            preflight_check_result(pf, name, NULL);
            snprintf(name, sizeof name, "size_bytes:%s", path);
            kv_list_addf(&pf->ctx->result->outputs, name, "%" PRIu64, bytes);
        }
        free(resolved);
    }
}

/* The database answers, has no alf_bootstrap_lock, and its size joins the estimate. */
static void check_database(preflight_t *pf, const char *database)
{
    char name[128];
    alfup_err_t err;
    snprintf(name, sizeof name, "database:%s", database);
    db_conn_t *conn = db_conn_open(pf->ctx->config, database, pf->ctx->cancel, &err);
    if (conn == NULL) {
        preflight_check_result(pf, name, "%s", err.msg);
        return;
    }
    int64_t size = 0, locks = 0;
    if (db_conn_query_int64(conn, "select pg_catalog.pg_database_size(current_database())", 0, NULL,
                            &size, NULL, &err) != ALFUP_OK) {
        preflight_check_result(pf, name, "%s", err.msg);
    } else {
        preflight_check_result(pf, name, NULL);
        kv_list_addf(&pf->ctx->result->outputs, "database_bytes", "%" PRId64, size); /* the downtime estimate's */
        pf->estimate += (uint64_t)size;
        pf->estimated = 1;
    }
    snprintf(name, sizeof name, "bootstrap_lock:%s", database);
    if (db_conn_query_int64(
            conn,
            "select count(*) from pg_catalog.pg_class c join pg_catalog.pg_namespace n "
            "on n.oid = c.relnamespace where c.relname = 'alf_bootstrap_lock' "
            "and n.nspname !~ '^pg_'",
            0, NULL, &locks, NULL, &err) != ALFUP_OK)
        preflight_check_result(pf, name, "%s", err.msg);
    else if (locks > 0)
        preflight_check_result(pf, name,
                     "table alf_bootstrap_lock exists in database %s: an earlier schema upgrade "
                     "did not finish",
                     database);
    else
        preflight_check_result(pf, name, NULL);
    int server_major = db_tool_server_major(db_conn_server_version(conn));
    db_conn_destroy(&conn);
    static const char *const TOOLS[] = {"pg_dump", "pg_restore"};
    for (size_t i = 0; i < sizeof TOOLS / sizeof TOOLS[0]; i++) {
        int major = 0;
        if (db_tool_major_version(pf->ctx->config, TOOLS[i], &major, &err) != ALFUP_OK)
            preflight_check_result(pf, TOOLS[i], "%s", err.msg);
        else if (major < server_major)
            preflight_check_result(pf, TOOLS[i], "version %d is older than the server's %d", major,
                         server_major);
        else
            preflight_check_result(pf, TOOLS[i], NULL);
    }
}

/* 1 when path lies inside one of the preflight's path_absent folders: something
 * the upgrade itself installs (the new home's scripts), so it cannot exist yet. */
static int installed_later(const kv_list_t *params, const char *path)
{
    for (size_t i = 0; i < kv_list_count_key(params, "path_absent"); i++)
        if (path_is_within(path, kv_list_get_nth(params, "path_absent", i)))
            return 1;
    return 0;
}

/* argv[0] of a configured command is absolute and, unless the upgrade installs
 * it, exists and is executable. */
static const char *argv_problem(const kv_list_t *params, const str_list_t *argv)
{
    if (argv->count == 0)
        return "no command configured";
    if (argv->items[0][0] != '/')
        return "is not an absolute path";
    if (!installed_later(params, argv->items[0]) && access(argv->items[0], X_OK) != 0)
        return "is not an executable absolute path";
    return NULL;
}

static void check_services_and_tools(preflight_t *pf)
{
    const kv_list_t *params = pf->ctx->params;
    char name[160];
    for (size_t i = 0; i < kv_list_count_key(params, "service"); i++) {
        const char *service_name = kv_list_get_nth(params, "service", i);
        snprintf(name, sizeof name, "service:%.100s", service_name);
        const agent_service_t *service = agent_config_service(pf->ctx->config, service_name);
        const char *start_problem = service ? argv_problem(params, &service->start_argv) : NULL;
        const char *stop_problem = service ? argv_problem(params, &service->stop_argv) : NULL;
        if (service == NULL)
            preflight_check_result(pf, name, "service %.100s is not configured on this agent", service_name);
        else if (start_problem || stop_problem)
            preflight_check_result(pf, name, "%s command %s", start_problem ? "start" : "stop",
                         start_problem ? start_problem : stop_problem);
        else
            preflight_check_result(pf, name, NULL);
    }
    for (size_t i = 0; i < kv_list_count_key(params, "tool"); i++) {
        const char *tool_name = kv_list_get_nth(params, "tool", i);
        snprintf(name, sizeof name, "tool:%.100s", tool_name);
        const agent_tool_t *tool = agent_config_tool(pf->ctx->config, tool_name);
        const char *problem = tool ? argv_problem(params, &tool->argv) : NULL;
        if (tool == NULL)
            preflight_check_result(pf, name, "tool %.100s is not configured on this agent", tool_name);
        else if (problem)
            preflight_check_result(pf, name, "%s %s", tool->argv.items[0] ? tool->argv.items[0] : "",
                         problem);
        else
            preflight_check_result(pf, name, NULL);
    }
}

/* 1 when path names folder (resolving symlinks when path exists; trailing slashes ignored). */
static int same_folder(const char *path, const char *folder)
{
    char *resolved = realpath(path, NULL);
    const char *a = resolved ? resolved : path;
    size_t a_len = strlen(a), b_len = strlen(folder);
    while (a_len > 1 && a[a_len - 1] == '/')
        a_len--;
    while (b_len > 1 && folder[b_len - 1] == '/')
        b_len--;
    int same = a_len == b_len && strncmp(a, folder, a_len) == 0;
    free(resolved);
    return same;
}

/* Reports this agent's backup_dir and, given the plan's (param backup_dir), whether they are
 * the same folder. Not a failing check: the controller compares every host's report after the
 * preflight stage and names each host that differs (docs/plan.md: one path on every host). */
static void report_backup_dir(preflight_t *pf)
{
    const char *mine = pf->ctx->config->backup_dir, *plans = kv_list_get(pf->ctx->params, "backup_dir");
    if (mine == NULL)
        return;
    kv_list_add(&pf->ctx->result->outputs, "backup_dir", mine);
    if (plans == NULL)
        return;
    int same = same_folder(plans, mine);
    kv_list_add(&pf->ctx->result->outputs, "backup_dir_same", same ? "yes" : "no");
    str_list_addf(&pf->ctx->result->log_lines, "backup_dir=%s (the plan's %s: %s)", mine, plans,
                  same ? "same" : "DIFFERENT");
}

/* Names the filesystem backup_dir is on (output backup_fs), so that the controller can add up
 * the estimates of hosts whose backups share it. Without a name the sum is not checked. */
static void report_backup_fs(preflight_t *pf, const char *backup_dir)
{
    char id[PREFLIGHT_FS_ID_MAX];
    alfup_err_t err;
    if (preflight_fs_identity(backup_dir, id, sizeof id, &err) == ALFUP_OK) {
        kv_list_add(&pf->ctx->result->outputs, "backup_fs", id);
        str_list_addf(&pf->ctx->result->log_lines, "backup_fs=%s", id);
    } else {
        str_list_addf(&pf->ctx->result->log_lines, "backup_fs unknown (%s): shared space not checked", err.msg);
    }
}

/* Free space in backup_dir >= estimate * 1.1, when anything was estimated; plus the copy's
 * need (preflight_copy.h) when the copy goes to the same filesystem. */
static void check_space(preflight_t *pf)
{
    if (!pf->estimated)
        return;
    const char *backup_dir = pf->ctx->config->backup_dir;
    struct statvfs fs;
    uint64_t need = preflight_with_margin(pf->estimate);
    kv_list_addf(&pf->ctx->result->outputs, "space_needed_bytes", "%" PRIu64, need);
    if (backup_dir == NULL)
        preflight_check_result(pf, "free_space", "no backup_dir configured");
    else if (statvfs(backup_dir, &fs) != 0)
        preflight_check_result(pf, "free_space", "statvfs %s: %s", backup_dir, strerror(errno));
    else {
        uint64_t free_bytes = (uint64_t)fs.f_bavail * (uint64_t)fs.f_frsize;
        kv_list_addf(&pf->ctx->result->outputs, "space_free_bytes", "%" PRIu64, free_bytes);
        report_backup_fs(pf, backup_dir);
        const char *backup_fs = kv_list_get(&pf->ctx->result->outputs, "backup_fs");
        int shared = pf->copy_need > 0 && backup_fs && strcmp(pf->copy_fs, backup_fs) == 0;
        char also[160] = "";
        if (shared)
            snprintf(also, sizeof also, ", and the copy %" PRIu64 " more on the same filesystem",
                     pf->copy_need);
        if (free_bytes < need + (shared ? pf->copy_need : 0))
            preflight_check_result(pf, "free_space",
                         "%s has %" PRIu64 " bytes free, the backup needs %" PRIu64
                         " (1.1 x estimate %" PRIu64 ")%s",
                         backup_dir, free_bytes, need, pf->estimate, also);
        else
            preflight_check_result(pf, "free_space", NULL);
    }
}

/* Refuses malformed params before any check runs. */
static step_status_t check_params(step_context_t *ctx, const char **database)
{
    static const char *const REPEATABLE[] = {"path_exists", "path_absent", "size_tree", "service",
                                             "tool", "copy_to"};
    for (size_t i = 0; i < sizeof REPEATABLE / sizeof REPEATABLE[0]; i++)
        if (kv_list_count_key(ctx->params, REPEATABLE[i]) > PREFLIGHT_REPEAT_MAX)
            return step_fail(ctx, STEP_REFUSED, "%s: more than %u %s parameters", ctx->step_id,
                             PREFLIGHT_REPEAT_MAX, REPEATABLE[i]);
    *database = kv_list_get(ctx->params, "database");
    const char *copy_server = kv_list_get(ctx->params, "copy_server");
    if (*database == NULL && copy_server != NULL && copy_server[0] != '\0')
        return step_fail(ctx, STEP_REFUSED, "%s: copy_server needs database (what is copied)",
                         ctx->step_id);
    if (*database == NULL)
        return STEP_SUCCEEDED;
    alfup_err_t err;
    if (db_ident_check("database", *database, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_REFUSED, "%s: %s", ctx->step_id, err.msg);
    if (ctx->config->postgres.conninfo == NULL)
        return step_fail(ctx, STEP_REFUSED, "%s: database %s: this agent has no postgres config",
                         ctx->step_id, *database);
    return STEP_SUCCEEDED;
}

step_status_t step_preflight_run(step_context_t *ctx)
{
    const char *database = NULL;
    step_status_t status = check_params(ctx, &database);
    if (status != STEP_SUCCEEDED)
        return status;
    preflight_t pf = {.ctx = ctx};
    report_backup_dir(&pf);
    check_paths(&pf, "path_exists", 1);
    check_paths(&pf, "path_absent", 0);
    check_tree_sizes(&pf);
    if (database != NULL)
        check_database(&pf, database);
    if (database != NULL)
        preflight_check_copy_server(&pf, database);
    check_services_and_tools(&pf);
    preflight_check_copy_space(&pf);
    check_space(&pf);
    if (step_cancelled(ctx))
        return step_fail(ctx, STEP_CANCELLED, "%s: cancelled", ctx->step_id);
    if (pf.failed > 0)
        return step_fail(ctx, STEP_FAILED, "%s: %u preflight check%s failed, first %s",
                         ctx->step_id, pf.failed, pf.failed == 1 ? "" : "s", pf.first_failed);
    return STEP_SUCCEEDED;
}
