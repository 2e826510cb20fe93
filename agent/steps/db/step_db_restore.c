/* step_db_restore.c -- "db-restore": guard, recreate, pg_restore -j, verify. */
#include "step_db_restore.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "db_admin.h"
#include "db_facts.h"
#include "db_guard.h"
#include "db_ident.h"
#include "db_params.h"
#include "db_target.h"
#include "db_tool.h"
#include "path_policy.h"

#define PG_RESTORE_TABLE_MARKER "processing data for table"
#define DUMP_TOC_FILE "toc.dat"

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
    if (db_param_target_source_owner(ctx, &job->target, &job->source, &job->owner) != 0 ||
        db_param_uint(ctx, "jobs", DB_JOBS_MIN, DB_JOBS_MAX, DB_JOBS_DEFAULT, &job->jobs) != 0 ||
        db_param_uint(ctx, "timeout_s", 1, DB_TOOL_TIMEOUT_MAX_S, DB_TOOL_TIMEOUT_DEFAULT_S,
                      &job->timeout_s) != 0)
        return STEP_REFUSED;
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
 * error names the target database. */
static step_status_t clear_target(step_context_t *ctx, restore_job_t *job)
{
    alfup_err_t err;
    int exists = 0;
    step_status_t status =
        db_target_replaceable(ctx, job->admin, job->target, "restore of", &exists);
    if (status != STEP_SUCCEEDED || !exists)
        return status;
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
    int rc = db_facts_verify(conn, job->target, &job->facts, "the dump recorded", err);
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

step_status_t step_db_restore_run(step_context_t *ctx)
{
    restore_job_t job = {0};
    step_status_t status = read_params(ctx, &job);
    if (status == STEP_SUCCEEDED)
        status = do_restore(ctx, &job);
    if (status != STEP_SUCCEEDED && job.created && job.admin != NULL)
        db_target_remove_leftover(ctx, &job.admin, job.target, "half-restored database");
    db_conn_destroy(&job.admin);
    db_facts_clear(&job.facts);
    free(job.dump);
    return status;
}
