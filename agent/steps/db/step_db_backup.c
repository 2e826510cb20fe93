/* step_db_backup.c -- "db-backup": facts and pg_dump -Fd of one snapshot. */
#include "step_db_backup.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db_conn.h"
#include "db_facts.h"
#include "db_params.h"
#include "db_tool.h"
#include "file_util.h"
#include "step_params.h"
#include "tree_remove.h"

#define PARTIAL_SUFFIX ".partial"
#define DUMP_PARENT_MODE 0750
#define PG_DUMP_TABLE_MARKER "dumping contents of table"

typedef struct backup_job {
    const char *database;
    unsigned jobs, timeout_s;
    char *dest;      /* canonical dump folder */
    char *partial;   /* dest + PARTIAL_SUFFIX, where pg_dump writes */
    db_conn_t *conn; /* holds the snapshot the dump uses */
    char *snapshot;
    db_facts_t facts;
    int dest_exists; /* only when the step was interrupted: see recover_dump */
} backup_job_t;

static void backup_job_clear(backup_job_t *job)
{
    db_conn_destroy(&job->conn);
    db_facts_clear(&job->facts);
    free(job->dest);
    free(job->partial);
    free(job->snapshot);
}

/* dest must resolve inside backup_dir (not be it) and not exist yet. */
static step_status_t resolve_dest(step_context_t *ctx, backup_job_t *job)
{
    const char *dest = step_param_required(ctx, "dest");
    if (dest == NULL)
        return STEP_REFUSED;
    step_status_t status = step_param_backup_path(ctx, "dest", dest, &job->dest);
    if (status != STEP_SUCCEEDED)
        return status;
    struct stat st;
    job->dest_exists = lstat(job->dest, &st) == 0;
    if (job->dest_exists && !ctx->interrupted)
        return step_fail(ctx, STEP_FAILED, "%s: dump folder %s already exists", ctx->step_id,
                         job->dest);
    if (asprintf(&job->partial, "%s%s", job->dest, PARTIAL_SUFFIX) < 0) {
        job->partial = NULL;
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    }
    return STEP_SUCCEEDED;
}

static void facts_progress(void *arg, size_t done, size_t total)
{
    step_context_t *ctx = arg;
    step_progress_t progress = {
        .files_done = done, .files_total = total, .message = "counting rows"};
    step_report(ctx, &progress);
}

/* Opens a repeatable-read snapshot, exports it and records the facts in it. */
static int snapshot_and_facts(step_context_t *ctx, backup_job_t *job, alfup_err_t *err)
{
    job->conn = db_conn_open(ctx->config, job->database, ctx->cancel, err);
    if (job->conn == NULL)
        return ALFUP_ERR;
    if (db_conn_exec(job->conn, "begin transaction isolation level repeatable read read only", 0,
                     NULL, err) != ALFUP_OK)
        return ALFUP_ERR;
    PGresult *res =
        db_conn_query(job->conn, "select pg_catalog.pg_export_snapshot()", 0, NULL, err);
    if (res == NULL)
        return ALFUP_ERR;
    job->snapshot = PQntuples(res) == 1 ? strdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    if (job->snapshot == NULL)
        return alfup_err_set(err, "database %s: no snapshot exported", job->database);
    return db_facts_collect(job->conn, &job->facts, facts_progress, ctx, err);
}

static int run_pg_dump(step_context_t *ctx, backup_job_t *job, alfup_err_t *err)
{
    char *conninfo = NULL, *password_env = NULL;
    char jobs_arg[32], snapshot_arg[128];
    if (db_conninfo_for_child(ctx->config, job->database, &conninfo, &password_env, err) !=
        ALFUP_OK)
        return ALFUP_ERR;
    snprintf(jobs_arg, sizeof jobs_arg, "--jobs=%u", job->jobs);
    snprintf(snapshot_arg, sizeof snapshot_arg, "--snapshot=%s", job->snapshot);
    char fmt[] = "--format=directory", verbose[] = "--verbose", file_flag[] = "--file",
         db_flag[] = "--dbname";
    char *args[] = {fmt,          jobs_arg, snapshot_arg, verbose, file_flag,
                    job->partial, db_flag,  conninfo,     NULL};
    char *env[] = {password_env, NULL};
    db_tool_job_t tool = {.tool = "pg_dump",
                          .args = args,
                          .env_extra = env,
                          .timeout_s = job->timeout_s,
                          .table_marker = PG_DUMP_TABLE_MARKER,
                          .tables_total = job->facts.table_count,
                          .watch_folder = job->partial};
    int rc = db_tool_run(ctx, &tool, err);
    free(conninfo);
    free(password_env);
    return rc == ALFUP_OK ? ALFUP_OK : alfup_err_prefix(err, "dump of %s", job->database);
}

/* Writes the facts into the finished dump and renames it into place. */
static int seal_dump(backup_job_t *job, alfup_err_t *err)
{
    char facts_path[PATH_MAX];
    if (snprintf(facts_path, sizeof facts_path, "%s/%s", job->partial, DB_FACTS_FILE) >=
        (int)sizeof facts_path)
        return alfup_err_set(err, "%s: path too long", job->partial);
    if (db_facts_write(&job->facts, facts_path, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (rename(job->partial, job->dest) != 0)
        return alfup_err_errno(err, errno, "rename %s to %s", job->partial, job->dest);
    return file_sync_parent(job->dest, err);
}

static step_status_t add_outputs(step_context_t *ctx, const backup_job_t *job)
{
    kv_list_t *out = &ctx->result->outputs;
    if (kv_list_add(out, "dump", job->dest) ||
        kv_list_addf(out, "facts", "%s/%s", job->dest, DB_FACTS_FILE) ||
        kv_list_add(out, "database", job->database) ||
        kv_list_add(out, "schema", job->facts.schema_number) ||
        kv_list_addf(out, "tables", "%zu", job->facts.table_count) ||
        kv_list_addf(out, "total_rows", "%" PRId64, db_facts_total_rows(&job->facts)) ||
        kv_list_addf(out, "db_size", "%" PRId64, job->facts.db_size) ||
        kv_list_addf(out, "dump_bytes", "%llu", db_tool_folder_bytes(job->dest)))
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

static step_status_t do_backup(step_context_t *ctx, backup_job_t *job)
{
    alfup_err_t err;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", job->dest);
    char *slash = strrchr(parent, '/');
    if (slash != NULL && slash != parent)
        *slash = '\0';
    if (tree_remove_all(job->partial, NULL, &err) != ALFUP_OK ||
        file_mkdir_p(parent, DUMP_PARENT_MODE, &err) != ALFUP_OK ||
        snapshot_and_facts(ctx, job, &err) != ALFUP_OK || run_pg_dump(ctx, job, &err) != ALFUP_OK ||
        seal_dump(job, &err) != ALFUP_OK) {
        if (step_cancelled(ctx))
            return step_fail(ctx, STEP_CANCELLED, "%s: cancelled: %s", ctx->step_id, err.msg);
        return step_fail(ctx, STEP_FAILED, "%s: backup of database %s: %s", ctx->step_id,
                         job->database, err.msg);
    }
    db_conn_exec(job->conn, "commit", 0, NULL, &err);
    return add_outputs(ctx, job);
}

/* This step id ran before the agent restarted, and its dump folder exists: the
 * earlier attempt got as far as the rename, which happens only after pg_dump
 * succeeded and the facts were written into it. A folder with readable facts of
 * this database and a table of contents is that complete dump: RECOVERED, kept.
 * A dump of another database is refused and left alone. Anything else at dest
 * is the attempt's own unfinished output: removed, so the dump is taken again.
 * -1 with the error set when refused or not removable. */
#define RECOVERED 1

static int recover_dump(step_context_t *ctx, backup_job_t *job)
{
    char facts_path[PATH_MAX], toc_path[PATH_MAX];
    alfup_err_t err = {{0}};
    struct stat st;
    snprintf(facts_path, sizeof facts_path, "%s/%s", job->dest, DB_FACTS_FILE);
    snprintf(toc_path, sizeof toc_path, "%s/toc.dat", job->dest);
    int facts_read = db_facts_read(facts_path, &job->facts, &err) == ALFUP_OK;
    if (facts_read && strcmp(job->facts.database, job->database) != 0)
        return step_fail(ctx, STEP_FAILED, "%s: %s holds a dump of database %s, not %s; left as it is",
                         ctx->step_id, job->dest, job->facts.database, job->database),
               -1;
    if (facts_read && lstat(toc_path, &st) == 0 && S_ISREG(st.st_mode)) {
        str_list_addf(&ctx->result->log_lines,
                      "%s was complete before the agent restarted: kept", job->dest);
        return RECOVERED;
    }
    if (err.msg[0] == '\0')
        snprintf(err.msg, sizeof err.msg, "no table of contents or facts of %s", job->database);
    str_list_addf(&ctx->result->log_lines,
                  "%s from before the agent restarted is incomplete (%s): dumped again", job->dest,
                  err.msg);
    db_facts_clear(&job->facts);
    if (tree_remove_all(job->dest, NULL, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: remove %s: %s", ctx->step_id, job->dest, err.msg),
               -1;
    return 0;
}

step_status_t step_db_backup_run(step_context_t *ctx)
{
    backup_job_t job = {0};
    step_status_t status = STEP_REFUSED;
    if (!db_param_config_ready(ctx) || (job.database = db_param_ident(ctx, "database")) == NULL ||
        db_param_uint(ctx, "jobs", DB_JOBS_MIN, DB_JOBS_MAX, DB_JOBS_DEFAULT, &job.jobs) != 0 ||
        db_param_uint(ctx, "timeout_s", 1, DB_TOOL_TIMEOUT_MAX_S, DB_TOOL_TIMEOUT_DEFAULT_S,
                      &job.timeout_s) != 0)
        goto out;
    status = resolve_dest(ctx, &job);
    if (status != STEP_SUCCEEDED)
        goto out;
    int recovered = job.dest_exists ? recover_dump(ctx, &job) : 0;
    if (recovered == RECOVERED) {
        status = add_outputs(ctx, &job);
        if (status == STEP_SUCCEEDED && kv_list_add(&ctx->result->outputs, "recovered", "yes"))
            status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
        goto out;
    }
    status = recovered < 0 ? STEP_FAILED : do_backup(ctx, &job);
    if (status != STEP_SUCCEEDED) {
        alfup_err_t ignored;
        tree_remove_all(job.partial, NULL, &ignored);
    }
out:
    backup_job_clear(&job);
    return status;
}
