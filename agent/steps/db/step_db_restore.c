/* step_db_restore.c -- "db-restore": guard, recreate, pg_restore -j, verify. */
#include "step_db_restore.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "db_admin.h"
#include "db_facts.h"
#include "db_guard.h"
#include "db_ident.h"
#include "db_params.h"
#include "db_tool.h"
#include "path_policy.h"

#define PG_RESTORE_TABLE_MARKER "processing data for table"
#define DUMP_TOC_FILE "toc.dat"
/* How long a failed restore waits for a restarting server to drop what it half-restored. */
#define LEFTOVER_RECONNECT_S 30u

typedef struct restore_job {
    const char *target, *source, *owner;
    unsigned jobs, timeout_s;
    char *dump;
    db_facts_t facts;
    db_conn_t *admin;
    int created; /* 1 once CREATE DATABASE ran: failure must drop it */
    int64_t terminated;
} restore_job_t;

static step_status_t read_params(step_context_t *ctx, restore_job_t *job)
{
    if (!db_param_config_ready(ctx) || (job->target = db_param_ident(ctx, "database")) == NULL ||
        (job->source = db_param_ident(ctx, "source")) == NULL ||
        (job->owner = db_param_ident(ctx, "owner")) == NULL ||
        db_param_uint(ctx, "jobs", DB_JOBS_MIN, DB_JOBS_MAX, DB_JOBS_DEFAULT, &job->jobs) != 0 ||
        db_param_uint(ctx, "timeout_s", 1, DB_TOOL_TIMEOUT_MAX_S, DB_TOOL_TIMEOUT_DEFAULT_S,
                      &job->timeout_s) != 0)
        return STEP_REFUSED;
    if (strcmp(job->target, job->source) == 0)
        return step_fail(ctx, STEP_REFUSED,
                         "%s: target database %s is the source database; the source is never "
                         "dropped or written",
                         ctx->step_id, job->target);
    if (db_ident_is_system_database(job->target))
        return step_fail(ctx, STEP_REFUSED, "%s: %s is a system database", ctx->step_id,
                         job->target);
    const char *dump = step_param_required(ctx, "dump");
    if (dump == NULL)
        return STEP_REFUSED;
    alfup_err_t err;
    if ((job->dump = path_policy_resolve(ctx->config, dump, &err)) == NULL)
        return step_fail(ctx, STEP_REFUSED, "%s: dump: %s", ctx->step_id, err.msg);
    return STEP_SUCCEEDED;
}

static int load_dump_facts(restore_job_t *job, alfup_err_t *err)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", job->dump, DUMP_TOC_FILE);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return alfup_err_set(err, "%s is not a complete db-backup dump (no %s)", job->dump,
                             DUMP_TOC_FILE);
    snprintf(path, sizeof path, "%s/%s", job->dump, DB_FACTS_FILE);
    return db_facts_read(path, &job->facts, err);
}

/* Drops the target when it exists and alfup created it; refuses otherwise. Every
 * error names the target database (the admin connection's errors name only
 * the maintenance database). */
static step_status_t clear_target(step_context_t *ctx, restore_job_t *job)
{
    alfup_err_t err;
    int exists = db_admin_database_exists(job->admin, job->target, &err);
    if (exists < 0)
        return step_fail(ctx, STEP_FAILED, "%s: restore of %s: %s", ctx->step_id, job->target,
                         err.msg);
    if (exists == 0)
        return STEP_SUCCEEDED;
    int recorded = db_guard_is_recorded(ctx->config, job->target, &err);
    if (recorded < 0)
        return step_fail(ctx, STEP_FAILED, "%s: restore of %s: %s", ctx->step_id, job->target,
                         err.msg);
    if (recorded == 0)
        return step_fail(ctx, STEP_REFUSED,
                         "%s: database %s exists and was not created by alfup on this agent "
                         "(no record in %s/%s); refusing to drop it",
                         ctx->step_id, job->target, ctx->config->state_dir, DB_GUARD_FOLDER);
    if (db_admin_drop_database(job->admin, job->target, &job->terminated, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: restore of %s: %s", ctx->step_id, job->target,
                         err.msg);
    return STEP_SUCCEEDED;
}

static int run_pg_restore(step_context_t *ctx, restore_job_t *job, alfup_err_t *err)
{
    char *conninfo = NULL, *password_env = NULL;
    char jobs_arg[32], role_arg[96];
    if (db_conninfo_for_child(ctx->config, job->target, &conninfo, &password_env, err) != ALFUP_OK)
        return ALFUP_ERR;
    snprintf(jobs_arg, sizeof jobs_arg, "--jobs=%u", job->jobs);
    snprintf(role_arg, sizeof role_arg, "--role=%s", job->owner);
    char exit_flag[] = "--exit-on-error", no_owner[] = "--no-owner", verbose[] = "--verbose",
         fmt[] = "--format=directory", db_flag[] = "--dbname";
    char *args[] = {fmt,     jobs_arg, exit_flag, no_owner,  role_arg,
                    verbose, db_flag,  conninfo,  job->dump, NULL};
    char *env[] = {password_env, NULL};
    db_tool_job_t tool = {.tool = "pg_restore",
                          .args = args,
                          .env_extra = env,
                          .timeout_s = job->timeout_s,
                          .table_marker = PG_RESTORE_TABLE_MARKER,
                          .tables_total = job->facts.table_count};
    int rc = db_tool_run(ctx, &tool, err);
    free(conninfo);
    free(password_env);
    return rc;
}

/* Every table of the facts has its recorded row count; the schema number matches. */
static int verify_target(step_context_t *ctx, restore_job_t *job, alfup_err_t *err)
{
    db_conn_t *conn = db_conn_open(ctx->config, job->target, ctx->cancel, err);
    if (conn == NULL)
        return ALFUP_ERR;
    char *schema_number = NULL;
    int rc = db_facts_schema_number(conn, &schema_number, err);
    if (rc == ALFUP_OK && strcmp(schema_number, job->facts.schema_number) != 0)
        rc = alfup_err_set(err, "database %s: schema number %s, the dump recorded %s", job->target,
                           schema_number, job->facts.schema_number);
    for (size_t i = 0; rc == ALFUP_OK && i < job->facts.table_count; i++) {
        const db_table_count_t *want = &job->facts.tables[i];
        int64_t rows = 0;
        rc = db_facts_count_table(conn, want->schema, want->table, &rows, err);
        if (rc == ALFUP_OK && rows != want->rows)
            rc = alfup_err_set(
                err, "database %s: table %s.%s has %" PRId64 " rows, the dump recorded %" PRId64,
                job->target, want->schema, want->table, rows, want->rows);
    }
    free(schema_number);
    db_conn_destroy(&conn);
    return rc;
}

static step_status_t add_outputs(step_context_t *ctx, const restore_job_t *job)
{
    kv_list_t *out = &ctx->result->outputs;
    if (kv_list_add(out, "database", job->target) || kv_list_add(out, "owner", job->owner) ||
        kv_list_add(out, "source", job->source) || kv_list_add(out, "dump", job->dump) ||
        kv_list_add(out, "schema", job->facts.schema_number) ||
        kv_list_addf(out, "tables", "%zu", job->facts.table_count) ||
        kv_list_addf(out, "total_rows", "%" PRId64, db_facts_total_rows(&job->facts)) ||
        kv_list_addf(out, "terminated_sessions", "%" PRId64, job->terminated))
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

static step_status_t do_restore(step_context_t *ctx, restore_job_t *job)
{
    alfup_err_t err;
    if (load_dump_facts(job, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: %s", ctx->step_id, err.msg);
    job->admin = db_conn_open(ctx->config, DB_MAINTENANCE_DATABASE, ctx->cancel, &err);
    if (job->admin == NULL)
        return step_fail(ctx, STEP_FAILED, "%s: restore of %s: %s", ctx->step_id, job->target,
                         err.msg);
    int role = db_admin_role_exists(job->admin, job->owner, &err);
    if (role != 1)
        return step_fail(ctx, STEP_FAILED, "%s: restore of %s: owner role %s: %s", ctx->step_id,
                         job->target, job->owner, role == 0 ? "does not exist" : err.msg);
    step_status_t status = clear_target(ctx, job);
    if (status != STEP_SUCCEEDED)
        return status;
    if (db_guard_record(ctx->config, job->target, ctx->step_id, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: restore of %s: %s", ctx->step_id, job->target,
                         err.msg);
    job->created = 1;
    if (db_admin_create_database(job->admin, job->target, job->owner, &err) != ALFUP_OK ||
        run_pg_restore(ctx, job, &err) != ALFUP_OK || verify_target(ctx, job, &err) != ALFUP_OK) {
        if (step_cancelled(ctx))
            return step_fail(ctx, STEP_CANCELLED, "%s: restore of %s cancelled: %s", ctx->step_id,
                             job->target, err.msg);
        return step_fail(ctx, STEP_FAILED, "%s: restore of %s: %s", ctx->step_id, job->target,
                         err.msg);
    }
    job->created = 0;
    return add_outputs(ctx, job);
}

/* A new admin session once the server answers again: tried once a second for up
 * to LEFTOVER_RECONNECT_S (once only when the step was cancelled). Replaces
 * job->admin and returns 0, or -1 with err. */
static int reconnect_admin(step_context_t *ctx, restore_job_t *job, alfup_err_t *err)
{
    unsigned tries = step_cancelled(ctx) ? 1 : LEFTOVER_RECONNECT_S;
    for (unsigned i = 0; i < tries; i++) {
        if (i > 0) {
            step_progress_t progress = {
                .message = "waiting for the database server to remove the half-restored database"};
            step_report(ctx, &progress);
            nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
        }
        db_conn_t *fresh = db_conn_open(ctx->config, DB_MAINTENANCE_DATABASE, NULL, err);
        if (fresh != NULL) {
            db_conn_destroy(&job->admin);
            job->admin = fresh;
            return 0;
        }
    }
    return -1;
}

/* After a failure or cancel: the half-restored database goes, then its record.
 * When the admin session died with the failure (the server restarted), a new
 * session is tried for a while, so a database that comes back is cleaned up. */
static void remove_leftover(step_context_t *ctx, restore_job_t *job)
{
    alfup_err_t err;
    db_conn_ignore_cancel(job->admin);
    int exists = db_admin_database_exists(job->admin, job->target, &err);
    if (exists < 0 && reconnect_admin(ctx, job, &err) == 0)
        exists = db_admin_database_exists(job->admin, job->target, &err);
    if (exists == 1 && db_admin_drop_database(job->admin, job->target, NULL, &err) == ALFUP_OK)
        str_list_addf(&ctx->result->log_lines, "removed the half-restored database %s",
                      job->target);
    else if (exists != 0) {
        /* The record stays, so a later restore or db-drop-scratch may remove it. */
        str_list_addf(&ctx->result->log_lines, "leftover database %s not removed: %s", job->target,
                      err.msg);
        return;
    }
    if (db_guard_forget(ctx->config, job->target, &err) != ALFUP_OK)
        str_list_addf(&ctx->result->log_lines, "%s", err.msg);
}

step_status_t step_db_restore_run(step_context_t *ctx)
{
    restore_job_t job = {0};
    step_status_t status = read_params(ctx, &job);
    if (status == STEP_SUCCEEDED)
        status = do_restore(ctx, &job);
    if (status != STEP_SUCCEEDED && job.created && job.admin != NULL)
        remove_leftover(ctx, &job);
    db_conn_destroy(&job.admin);
    db_facts_clear(&job.facts);
    free(job.dump);
    return status;
}
