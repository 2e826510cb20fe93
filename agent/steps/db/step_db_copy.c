/* step_db_copy.c -- "db-copy": refuse while clients are connected, template copy, owners, verify;
 * on another server (param server, not the same PostgreSQL server) dump and restore instead. */
#include "step_db_copy.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_admin.h"
#include "db_copy_dump.h"
#include "db_facts.h"
#include "db_guard.h"
#include "db_ident.h"
#include "db_owner.h"
#include "db_params.h"
#include "db_server.h"
#include "db_sessions.h"
#include "db_target.h"
#include "message.h"

/* The server's message when the template has sessions (createdb, errcode 55006). */
#define TEMPLATE_BUSY_TEXT "is being accessed by other users"
#define SUMMARY_MAX 1024
/* How long sessions on the source get to finish leaving before the refusal. */
#define SESSION_GRACE_MS 5000u
#define SESSION_POLL_NS (100L * 1000L * 1000L)

typedef struct copy_job {
    const char *target, *source, *owner;
    db_conn_t *admin;
    db_facts_t facts; /* the source's, counted just before the copy */
    int created;      /* 1 once the CREATE may have run: failure drops the target */
    int recovered;    /* 1: a verified copy from before the agent restarted was kept */
    int64_t terminated, reassigned, bytes;
    uint64_t started_ms;
    const char *server;     /* param server: postgres.servers.NAME, or NULL / "" (own) */
    int other_server;       /* 1: not the source's server: dump and restore */
    db_server_view_t view;  /* the target's server */
} copy_job_t;

static void report(step_context_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(step_context_t *ctx, const char *fmt, ...)
{
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    step_progress_t progress = {.message = message};
    step_report(ctx, &progress);
}

static step_status_t read_params(step_context_t *ctx, copy_job_t *job)
{
    if (db_param_target_source_owner(ctx, &job->target, &job->source, &job->owner) != 0)
        return STEP_REFUSED;
    const char *system = db_ident_is_system_database(job->target)   ? job->target
                         : db_ident_is_system_database(job->source) ? job->source
                                                                    : NULL;
    if (system != NULL)
        return step_fail(ctx, STEP_REFUSED, "%s: %s is a system database", ctx->step_id, system);
    return STEP_SUCCEEDED;
}

static void facts_progress(void *arg, size_t done, size_t total)
{
    step_context_t *ctx = arg;
    step_progress_t progress = {
        .files_done = done, .files_total = total, .message = "counting rows in the source"};
    step_report(ctx, &progress);
}

/* The source's schema number, size and exact row counts. The session is closed
 * before the copy (CREATE DATABASE waits up to 5 s for a leaving session). */
static int count_source(step_context_t *ctx, copy_job_t *job, alfup_err_t *err)
{
    db_facts_clear(&job->facts);
    db_conn_t *conn = db_conn_open(ctx->config, job->source, ctx->cancel, err);
    if (conn == NULL)
        return ALFUP_ERR;
    int rc = db_facts_collect(conn, &job->facts, facts_progress, ctx, err);
    db_conn_destroy(&conn);
    return rc;
}

/* The copy has the source's schema number and every table's row count, and
 * every object in it belongs to the owner. */
static int verify_copy(step_context_t *ctx, copy_job_t *job, alfup_err_t *err)
{
    db_conn_t *conn = db_conn_open(ctx->config, job->target, ctx->cancel, err);
    if (conn == NULL)
        return ALFUP_ERR;
    char origin[sizeof "the source  had" + DB_IDENT_MAX];
    snprintf(origin, sizeof origin, "the source %s had", job->source);
    int rc = db_facts_verify(conn, job->target, &job->facts, origin, err);
    if (rc == ALFUP_OK)
        rc = db_owner_check(conn, job->owner, err);
    db_conn_destroy(&conn);
    return rc;
}

/* The clients on the source, waiting up to wait_ms for sessions that are
 * already leaving (a closed connection's server process ends a moment later,
 * and CREATE DATABASE itself waits 5 s the same way). ALFUP_ERR with err. */
static int wait_for_clients(copy_job_t *job, uint64_t wait_ms, str_list_t *clients,
                            alfup_err_t *err)
{
    uint64_t deadline = alfup_now_mono_ms() + wait_ms;
    for (;;) {
        str_list_clear(clients);
        if (db_sessions_list(job->admin, job->source, clients, err) != ALFUP_OK)
            return ALFUP_ERR;
        if (clients->count == 0 || alfup_now_mono_ms() >= deadline)
            return ALFUP_OK;
        nanosleep(&(struct timespec){.tv_nsec = SESSION_POLL_NS}, NULL);
    }
}

/* Fails naming every client connected to the source (they are also log lines).
 * alfup never ends production's sessions: its service steps stop the clients.
 * raced: CREATE found clients (it waited already); name whoever is there now. */
static step_status_t refuse_clients(step_context_t *ctx, copy_job_t *job, int raced)
{
    alfup_err_t err;
    str_list_t clients = {0};
    if (wait_for_clients(job, raced ? 0 : SESSION_GRACE_MS, &clients, &err) != ALFUP_OK) {
        str_list_clear(&clients);
        return step_fail(ctx, STEP_FAILED, "%s: copy of %s: %s", ctx->step_id, job->source,
                         err.msg);
    }
    step_status_t status = STEP_SUCCEEDED;
    char summary[SUMMARY_MAX];
    db_sessions_summary(&clients, summary, sizeof summary);
    for (size_t i = 0; i < clients.count; i++)
        str_list_addf(&ctx->result->log_lines, "connected to %s: %s", job->source,
                      clients.items[i]);
    if (clients.count > 0 || raced)
        status = step_fail(ctx, STEP_FAILED,
                           "%s: database %s has clients connected; a template copy needs none, "
                           "and alfup does not end them (stop them first): %s",
                           ctx->step_id, job->source,
                           clients.count > 0 ? summary : "they connected during the copy and "
                                                         "have left since");
    str_list_clear(&clients);
    return status;
}

/* 1 when clients are connected to the source now: after a failed CREATE, so the
 * clients are named even when the server's messages are not in English. */
static int source_busy(copy_job_t *job)
{
    alfup_err_t ignored;
    str_list_t clients = {0};
    int busy = db_sessions_list(job->admin, job->source, &clients, &ignored) == ALFUP_OK &&
               clients.count > 0;
    str_list_clear(&clients);
    return busy;
}

typedef struct copy_tick {
    step_context_t *ctx;
    const copy_job_t *job;
    uint64_t started_ms;
} copy_tick_t;

static void copy_progress(void *arg)
{
    copy_tick_t *tick = arg;
    report(tick->ctx, "copying %s to %s: %" PRIu64 " s", tick->job->source, tick->job->target,
           (alfup_now_mono_ms() - tick->started_ms) / 1000u);
}

/* Records the target, then CREATE DATABASE ... TEMPLATE: one statement,
 * cancelled with PQcancel when the step is. */
static step_status_t copy_database(step_context_t *ctx, copy_job_t *job)
{
    alfup_err_t err;
    if (db_guard_record(ctx->config, job->target, ctx->step_id, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: copy to %s: %s", ctx->step_id, job->target,
                         err.msg);
    job->created = 1;
    report(ctx, "copying %s to %s (template copy, %" PRId64 " bytes)", job->source, job->target,
           job->facts.db_size);
    copy_tick_t tick = {.ctx = ctx, .job = job, .started_ms = alfup_now_mono_ms()};
    db_conn_set_tick(job->admin, copy_progress, &tick);
    int rc = db_admin_copy_database(job->admin, job->target, job->source, job->owner, &err);
    db_conn_set_tick(job->admin, NULL, NULL);
    if (rc == ALFUP_OK) {
        report(ctx, "copied %s to %s", job->source, job->target);
        return STEP_SUCCEEDED;
    }
    if (step_cancelled(ctx))
        return step_fail(ctx, STEP_CANCELLED, "%s: copy of %s to %s cancelled: %s", ctx->step_id,
                         job->source, job->target, err.msg);
    if (strstr(err.msg, TEMPLATE_BUSY_TEXT) != NULL || source_busy(job))
        return refuse_clients(ctx, job, 1);
    return step_fail(ctx, STEP_FAILED, "%s: copy of %s to %s: %s", ctx->step_id, job->source,
                     job->target, err.msg);
}

/* Gives the copy's objects to the owner, then checks it against the source's facts. */
static step_status_t finish_copy(step_context_t *ctx, copy_job_t *job)
{
    alfup_err_t err;
    db_conn_t *conn = db_conn_open(ctx->config, job->target, ctx->cancel, &err);
    int rc = conn ? db_owner_reassign(conn, job->owner, &job->reassigned, &err) : ALFUP_ERR;
    db_conn_destroy(&conn);
    if (rc == ALFUP_OK && verify_copy(ctx, job, &err) == ALFUP_OK) {
        report(ctx, "verified %s: schema %s, %zu tables, %" PRId64 " rows", job->target,
               job->facts.schema_number, job->facts.table_count, db_facts_total_rows(&job->facts));
        return STEP_SUCCEEDED;
    }
    if (step_cancelled(ctx))
        return step_fail(ctx, STEP_CANCELLED, "%s: copy to %s cancelled: %s", ctx->step_id,
                         job->target, err.msg);
    return step_fail(ctx, STEP_FAILED, "%s: copy of %s to %s: %s", ctx->step_id, job->source,
                     job->target, err.msg);
}

/* What is at the target before copying. */
enum { TARGET_ABSENT, TARGET_KEPT, TARGET_TO_DROP };

/* The target exists: refused unless alfup recorded it. When this step id ran
 * before the agent restarted, a target that passes the whole verification now
 * (the source is unchanged since production stopped) is that attempt's
 * complete copy: kept. Anything else recorded is dropped and copied again.
 * *target gets TARGET_*; any other status has the error set. */
static step_status_t inspect_target(step_context_t *ctx, copy_job_t *job, int *target)
{
    alfup_err_t err;
    int exists = 0;
    *target = TARGET_ABSENT;
    step_status_t status = db_target_replaceable(ctx, job->admin, job->target, "copy to", &exists);
    if (status != STEP_SUCCEEDED || !exists)
        return status;
    *target = TARGET_TO_DROP;
    if (!ctx->interrupted)
        return STEP_SUCCEEDED;
    if (count_source(ctx, job, &err) == ALFUP_OK && verify_copy(ctx, job, &err) == ALFUP_OK) {
        str_list_addf(&ctx->result->log_lines,
                      "%s was a complete, verified copy of %s before the agent restarted: kept",
                      job->target, job->source);
        *target = TARGET_KEPT;
        return STEP_SUCCEEDED;
    }
    if (step_cancelled(ctx))
        return step_fail(ctx, STEP_CANCELLED, "%s: cancelled: %s", ctx->step_id, err.msg);
    str_list_addf(&ctx->result->log_lines,
                  "%s from before the agent restarted is not a verified copy (%s): copied again",
                  job->target, err.msg);
    return STEP_SUCCEEDED;
}

static step_status_t drop_target(step_context_t *ctx, copy_job_t *job)
{
    alfup_err_t err;
    if (db_admin_drop_database(job->admin, job->target, &job->terminated, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: copy to %s: %s", ctx->step_id, job->target,
                         err.msg);
    return STEP_SUCCEEDED;
}

/* Admin session, owner role and source present. */
static step_status_t open_admin(step_context_t *ctx, copy_job_t *job)
{
    alfup_err_t err;
    job->admin = db_conn_open(ctx->config, DB_MAINTENANCE_DATABASE, ctx->cancel, &err);
    if (job->admin == NULL)
        return step_fail(ctx, STEP_FAILED, "%s: copy of %s: %s", ctx->step_id, job->source,
                         err.msg);
    int role = db_admin_role_exists(job->admin, job->owner, &err);
    if (role != 1)
        return step_fail(ctx, STEP_FAILED, "%s: copy to %s: owner role %s: %s", ctx->step_id,
                         job->target, job->owner, role == 0 ? "does not exist" : err.msg);
    int source = db_admin_database_exists(job->admin, job->source, &err);
    if (source != 1)
        return step_fail(ctx, STEP_FAILED, "%s: source database %s: %s", ctx->step_id,
                         job->source, source == 0 ? "does not exist" : err.msg);
    return STEP_SUCCEEDED;
}

static step_status_t do_copy(step_context_t *ctx, copy_job_t *job)
{
    step_status_t status = open_admin(ctx, job);
    if (status != STEP_SUCCEEDED)
        return status;
    report(ctx, "copying database %s to %s, owner %s", job->source, job->target, job->owner);
    int target = TARGET_ABSENT;
    if ((status = inspect_target(ctx, job, &target)) != STEP_SUCCEEDED)
        return status;
    if (target == TARGET_KEPT) {
        job->recovered = 1;
        return STEP_SUCCEEDED;
    }
    if ((status = refuse_clients(ctx, job, 0)) != STEP_SUCCEEDED)
        return status;
    if (target == TARGET_TO_DROP && (status = drop_target(ctx, job)) != STEP_SUCCEEDED)
        return status;
    alfup_err_t err;
    if (count_source(ctx, job, &err) != ALFUP_OK)
        return step_fail(ctx, step_cancelled(ctx) ? STEP_CANCELLED : STEP_FAILED,
                         "%s: copy of %s: %s", ctx->step_id, job->source, err.msg);
    if ((status = copy_database(ctx, job)) != STEP_SUCCEEDED)
        return status;
    return finish_copy(ctx, job);
}

/* With param server: is the target's server the source's? Template copy when it
 * is, dump and restore when it is not (both identities in the log lines). */
static step_status_t choose_method(step_context_t *ctx, copy_job_t *job)
{
    alfup_err_t err;
    job->server = kv_list_get(ctx->params, "server");
    if (job->server == NULL || job->server[0] == '\0')
        return STEP_SUCCEEDED;
    if (db_server_view(ctx->config, job->server, &job->view, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_REFUSED, "%s: copy to %s: %s", ctx->step_id, job->target,
                         err.msg);
    int same = 0;
    db_server_identity_t source_id = {0}, target_id = {0};
    if (db_server_same(ctx->config, &job->view.config, &same, &source_id, &target_id, &err) !=
        ALFUP_OK)
        return step_fail(ctx, step_cancelled(ctx) ? STEP_CANCELLED : STEP_FAILED,
                         "%s: same-server test for server %s: %s", ctx->step_id, job->server,
                         err.msg);
    char text[DB_SERVER_TEXT_MAX + 96];
    db_server_describe(&source_id, text, sizeof text);
    str_list_addf(&ctx->result->log_lines, "the source's server: %s", text);
    db_server_describe(&target_id, text, sizeof text);
    str_list_addf(&ctx->result->log_lines, "server %s: %s: %s", job->server, text,
                  same ? "the same server (template copy)" : "another server (dump and restore)");
    job->other_server = !same;
    if (job->other_server && kv_list_get(ctx->params, "dump") == NULL)
        return step_fail(ctx, STEP_REFUSED,
                         "%s: copy to %s on server %s, another server: needs param dump",
                         ctx->step_id, job->target, job->server);
    return STEP_SUCCEEDED;
}

static step_status_t copy_by_dump(step_context_t *ctx, copy_job_t *job)
{
    report(ctx, "copying %s to %s on server %s: dump and restore", job->source, job->target,
           job->server);
    db_copy_dump_request_t req = {
        .source = job->source, .target = job->target, .owner = job->owner,
        .dump = kv_list_get(ctx->params, "dump"), .jobs = kv_list_get(ctx->params, "jobs"),
        .server = &job->view};
    step_status_t status = db_copy_dump_run(ctx, &req);
    uint64_t elapsed_ms = alfup_now_mono_ms() - job->started_ms;
    kv_list_t *out = &ctx->result->outputs;
    if (status == STEP_SUCCEEDED &&
        (kv_list_add(out, "database", job->target) || kv_list_add(out, "owner", job->owner) ||
         kv_list_add(out, "source", job->source) || kv_list_add(out, "method", "dump-restore") ||
         kv_list_add(out, "server", job->server) ||
         kv_list_addf(out, "seconds", "%" PRIu64 ".%03u", elapsed_ms / 1000u,
                      (unsigned)(elapsed_ms % 1000u))))
        status = step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return status;
}

static step_status_t add_outputs(step_context_t *ctx, copy_job_t *job)
{
    alfup_err_t err;
    if (db_admin_database_size(job->admin, job->target, &job->bytes, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_FAILED, "%s: size of %s: %s", ctx->step_id, job->target,
                         err.msg);
    const char *strategy =
        db_conn_server_version(job->admin) >= DB_STRATEGY_VERSION ? "file_copy" : "default";
    uint64_t elapsed_ms = alfup_now_mono_ms() - job->started_ms;
    kv_list_t *out = &ctx->result->outputs;
    if (kv_list_add(out, "database", job->target) || kv_list_add(out, "owner", job->owner) ||
        kv_list_add(out, "source", job->source) || kv_list_add(out, "strategy", strategy) ||
        kv_list_add(out, "method", "template") ||
        (job->server && job->server[0] && kv_list_add(out, "server", job->server)) ||
        kv_list_addf(out, "bytes", "%" PRId64, job->bytes) ||
        kv_list_addf(out, "seconds", "%" PRIu64 ".%03u", elapsed_ms / 1000u,
                     (unsigned)(elapsed_ms % 1000u)) ||
        kv_list_add(out, "schema", job->facts.schema_number) ||
        kv_list_addf(out, "tables", "%zu", job->facts.table_count) ||
        kv_list_addf(out, "rows", "%" PRId64, db_facts_total_rows(&job->facts)) ||
        kv_list_addf(out, "reassigned", "%" PRId64, job->reassigned) ||
        kv_list_addf(out, "terminated_sessions", "%" PRId64, job->terminated) ||
        kv_list_add(out, "recovered", job->recovered ? "yes" : "no"))
        return step_fail(ctx, STEP_FAILED, "%s: out of memory", ctx->step_id);
    return STEP_SUCCEEDED;
}

step_status_t step_db_copy_run(step_context_t *ctx)
{
    copy_job_t job = {.started_ms = alfup_now_mono_ms()};
    step_status_t status = read_params(ctx, &job);
    if (status == STEP_SUCCEEDED)
        status = choose_method(ctx, &job);
    if (status == STEP_SUCCEEDED && job.other_server)
        return copy_by_dump(ctx, &job);
    step_context_t on_server = *ctx; /* a named server that is the source's: its own guard records */
    if (job.server != NULL && job.server[0] != '\0')
        on_server.config = &job.view.config;
    ctx = &on_server;
    if (status == STEP_SUCCEEDED)
        status = do_copy(ctx, &job);
    if (status == STEP_FAILED && step_cancelled(ctx))
        status = STEP_CANCELLED; /* whatever query the cancel stopped */
    if (status == STEP_SUCCEEDED) {
        job.created = 0;
        status = add_outputs(ctx, &job);
    }
    if (status != STEP_SUCCEEDED && job.created && job.admin != NULL)
        db_target_remove_leftover(ctx, &job.admin, job.target, "unfinished copy");
    db_conn_destroy(&job.admin);
    db_facts_clear(&job.facts);
    return status;
}
