/* run_store.c -- SQLite rows for runs (runs, run_steps, run_approvals). A step's result is
 * kept as the encoded StepResult envelope, so outputs and log lines come back exactly. */
#include "run_store.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "event_log.h"
#include "log.h"

static const char *RUN_SCHEMA =
    "CREATE TABLE IF NOT EXISTS runs("
    "  run_id TEXT PRIMARY KEY, deployment TEXT, workflow TEXT, plan_path TEXT, plan_text TEXT,"
    "  state TEXT NOT NULL, paused INTEGER, armed INTEGER, error TEXT, failed_index INTEGER,"
    "  waiting_gate TEXT, rollback_round INTEGER, cancel_requested INTEGER,"
    "  created_unix_ms INTEGER, finished_unix_ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS run_steps("
    "  run_id TEXT NOT NULL, rollback INTEGER NOT NULL, idx INTEGER NOT NULL, step TEXT, agent TEXT,"
    "  state TEXT NOT NULL, attempt INTEGER, sent_unix_ms INTEGER, finished_unix_ms INTEGER, result BLOB,"
    "  PRIMARY KEY(run_id, rollback, idx));"
    "CREATE TABLE IF NOT EXISTS run_approvals("
    "  run_id TEXT NOT NULL, gate TEXT NOT NULL, approved_unix_ms INTEGER, PRIMARY KEY(run_id, gate));";

static int sql_failed(sqlite3 *db, alfup_err_t *err, const char *what, const char *run_id)
{
    return alfup_err_set(err, "journal: %s of run %s: %s", what, run_id, sqlite3_errmsg(db));
}

int run_store_init(journal_t *journal, alfup_err_t *err)
{
    char *message = NULL;
    if (sqlite3_exec(journal_db(journal), RUN_SCHEMA, NULL, NULL, &message) != SQLITE_OK) {
        alfup_err_set(err, "journal: run tables: %s", message ? message : "?");
        sqlite3_free(message);
        return ALFUP_ERR;
    }
    return ALFUP_OK;
}

static const run_state_t ALL_STATES[] = {RUN_RUNNING, RUN_WAITING, RUN_ROLLING_BACK, RUN_SUCCEEDED,
                                         RUN_FAILED, RUN_ROLLED_BACK, RUN_CANCELLED};

static run_state_t state_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof ALL_STATES / sizeof ALL_STATES[0]; i++)
        if (name && strcmp(run_state_name(ALL_STATES[i]), name) == 0)
            return ALL_STATES[i];
    return RUN_FAILED;
}

static run_step_state_t step_state_from_name(const char *name)
{
    static const run_step_state_t all[] = {RSTEP_PENDING, RSTEP_SENT,    RSTEP_SUCCEEDED,
                                           RSTEP_FAILED,  RSTEP_SKIPPED, RSTEP_CANCELLED};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (name && strcmp(run_step_state_name(all[i]), name) == 0)
            return all[i];
    return RSTEP_PENDING;
}

/* The state change as an event for the API's stream (event_log.h), in the same batch as the row. */
static int append_event(journal_t *journal, const char *type, const char *run_id, json_t *data, alfup_err_t *err)
{
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (text == NULL)
        return alfup_err_set(err, "journal: run %s: out of memory for its event", run_id);
    int rc = event_log_append(journal, type, run_id, text, err);
    free(text);
    return rc;
}

int run_store_save_run(journal_t *journal, const run_t *run, alfup_err_t *err)
{
    static const char *SQL =
        "INSERT OR REPLACE INTO runs(run_id, deployment, workflow, plan_path, plan_text, state, paused, armed,"
        " error, failed_index, waiting_gate, rollback_round, cancel_requested, created_unix_ms, finished_unix_ms)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)";
    sqlite3 *db = journal_db(journal);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, SQL, -1, &stmt, NULL) != SQLITE_OK)
        return sql_failed(db, err, "save", run->id);
    sqlite3_bind_text(stmt, 1, run->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, run->plan->deployment, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, run->plan->workflow, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, run->plan->plan_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, run->plan_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, run_state_name(run->state), -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 7, run->paused);
    sqlite3_bind_int(stmt, 8, run->armed);
    sqlite3_bind_text(stmt, 9, run->error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 10, run->failed_index);
    sqlite3_bind_text(stmt, 11, run->waiting_gate, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 12, (int)run->rollback_round);
    sqlite3_bind_int(stmt, 13, run->cancel_requested);
    sqlite3_bind_int64(stmt, 14, (sqlite3_int64)run->created_unix_ms);
    sqlite3_bind_int64(stmt, 15, (sqlite3_int64)run->finished_unix_ms);
    int rc = sqlite3_step(stmt) == SQLITE_DONE ? ALFUP_OK : sql_failed(db, err, "save", run->id);
    sqlite3_finalize(stmt);
    if (rc != ALFUP_OK)
        return rc;
    json_t *data = json_pack("{s:s, s:s, s:b, s:s?, s:s?}", "run", run->id, "state", run_state_name(run->state),
                             "paused", run->paused, "waiting_for", run->waiting_gate, "error", run->error);
    return append_event(journal, "run", run->id, data, err);
}

/* The step's event: its state, and when it finished with the bytes it moved (its result's "bytes",
 * "bytes_added" or "dump_bytes" output), those bytes. NULL when memory ran out. */
static json_t *step_event(const run_t *run, const planned_step_t *planned, int rollback, const run_step_t *step)
{
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:i, s:s?}", "run", run->id, "step", planned->id, "host",
                             planned->agent, "kind", planned->kind, "rollback", rollback, "state",
                             run_step_state_name(step->state), "attempt", (int)step->attempt, "error",
                             step->result.error);
    static const char *const BYTE_OUTPUTS[] = {"bytes", "bytes_added", "dump_bytes"};
    for (size_t i = 0; data && i < sizeof BYTE_OUTPUTS / sizeof BYTE_OUTPUTS[0]; i++) {
        const char *bytes = kv_list_get(&step->result.outputs, BYTE_OUTPUTS[i]);
        char *end = NULL;
        long long value = bytes ? strtoll(bytes, &end, 10) : -1;
        if (bytes && end != bytes && *end == '\0' && value >= 0) {
            json_object_set_new(data, "bytes", json_integer(value));
            break;
        }
    }
    return data;
}

int run_store_save_step(journal_t *journal, const run_t *run, int rollback, size_t index, alfup_err_t *err)
{
    static const char *SQL =
        "INSERT OR REPLACE INTO run_steps(run_id, rollback, idx, step, agent, state, attempt, sent_unix_ms,"
        " finished_unix_ms, result) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)";
    const planned_step_t *planned = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    const run_step_t *step = rollback ? &run->rollback_steps[index] : &run->steps[index];
    sqlite3 *db = journal_db(journal);
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    if (step->result.step_id != NULL) {
        alfup_msg_t msg = {.kind = MSG_STEP_RESULT, .result = step->result};
        if (msg_encode(&msg, &blob, &blob_len, err) != ALFUP_OK)
            return alfup_err_prefix(err, "journal: step %s of run %s", planned->id, run->id);
    }
    sqlite3_stmt *stmt = NULL;
    int rc = ALFUP_ERR;
    if (sqlite3_prepare_v2(db, SQL, -1, &stmt, NULL) != SQLITE_OK) {
        sql_failed(db, err, "save step", run->id);
        goto out;
    }
    sqlite3_bind_text(stmt, 1, run->id, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, rollback);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)index);
    sqlite3_bind_text(stmt, 4, planned->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, planned->agent, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, run_step_state_name(step->state), -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 7, (int)step->attempt);
    sqlite3_bind_int64(stmt, 8, (sqlite3_int64)step->sent_unix_ms);
    sqlite3_bind_int64(stmt, 9, (sqlite3_int64)step->finished_unix_ms);
    if (blob)
        sqlite3_bind_blob(stmt, 10, blob, (int)blob_len, SQLITE_STATIC);
    rc = sqlite3_step(stmt) == SQLITE_DONE ? ALFUP_OK : sql_failed(db, err, "save step", run->id);
    if (rc == ALFUP_OK)
        rc = append_event(journal, "step", run->id, step_event(run, planned, rollback, step), err);
out:
    sqlite3_finalize(stmt);
    free(blob);
    return rc;
}

int run_store_progress_event(journal_t *journal, const run_t *run, int rollback, size_t index, alfup_err_t *err)
{
    const planned_step_t *planned = rollback ? &run->plan->rollback[index] : &run->plan->steps[index];
    const msg_step_progress_t *p = rollback ? &run->rollback_steps[index].progress : &run->steps[index].progress;
    double percent = p->bytes_total ? 100.0 * (double)p->bytes_done / (double)p->bytes_total
                     : p->files_total ? 100.0 * (double)p->files_done / (double)p->files_total : -1.0;
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:o, s:s}", "run", run->id, "step",
                             planned->id, "host", planned->agent, "kind", planned->kind, "rollback", rollback,
                             "bytes_done", (json_int_t)p->bytes_done, "bytes_total", (json_int_t)p->bytes_total,
                             "files_done", (json_int_t)p->files_done, "files_total", (json_int_t)p->files_total,
                             "percent", percent >= 0 ? json_real(percent) : json_null(), "message",
                             p->message ? p->message : "");
    return append_event(journal, "progress", run->id, data, err);
}

int run_store_save_approval(journal_t *journal, const run_t *run, const char *gate, alfup_err_t *err)
{
    sqlite3 *db = journal_db(journal);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO run_approvals VALUES(?1, ?2, ?3)", -1, &stmt, NULL) != SQLITE_OK)
        return sql_failed(db, err, "approval", run->id);
    sqlite3_bind_text(stmt, 1, run->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, gate, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)alfup_now_unix_ms());
    int rc = sqlite3_step(stmt) == SQLITE_DONE ? ALFUP_OK : sql_failed(db, err, "approval", run->id);
    sqlite3_finalize(stmt);
    return rc;
}

static char *column_dup(sqlite3_stmt *stmt, int column)
{
    const unsigned char *text = sqlite3_column_text(stmt, column);
    return text ? strdup((const char *)text) : NULL;
}

static void load_steps(sqlite3 *db, run_t *run)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT rollback, idx, state, attempt, sent_unix_ms, finished_unix_ms, result"
                               " FROM run_steps WHERE run_id = ?1", -1, &stmt, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(stmt, 1, run->id, -1, SQLITE_STATIC);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        int rollback = sqlite3_column_int(stmt, 0);
        sqlite3_int64 index = sqlite3_column_int64(stmt, 1);
        size_t count = rollback ? run->plan->rollback_count : run->plan->step_count;
        if (index < 0 || (size_t)index >= count)
            continue;
        run_step_t *step = rollback ? &run->rollback_steps[index] : &run->steps[index];
        step->state = step_state_from_name((const char *)sqlite3_column_text(stmt, 2));
        step->attempt = (unsigned)sqlite3_column_int(stmt, 3);
        step->sent_unix_ms = (uint64_t)sqlite3_column_int64(stmt, 4);
        step->finished_unix_ms = (uint64_t)sqlite3_column_int64(stmt, 5);
        step->sent_mono_ms = alfup_now_mono_ms(); /* the result timeout restarts with the controller */
        const void *blob = sqlite3_column_blob(stmt, 6);
        int blob_len = sqlite3_column_bytes(stmt, 6);
        alfup_msg_t msg;
        alfup_err_t err;
        if (blob && blob_len > 0 && msg_decode(blob, (size_t)blob_len, &msg, &err) == ALFUP_OK) {
            step->result = msg.result;
            memset(&msg.result, 0, sizeof msg.result);
            alfup_msg_clear(&msg);
        }
    }
    sqlite3_finalize(stmt);
}

static void load_approvals(sqlite3 *db, run_t *run)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT gate FROM run_approvals WHERE run_id = ?1", -1, &stmt, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(stmt, 1, run->id, -1, SQLITE_STATIC);
    while (sqlite3_step(stmt) == SQLITE_ROW)
        str_list_add(&run->approvals, (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
}

/* One runs row to a run with its plan rebuilt; NULL (logged) when the plan no longer builds. */
static run_t *load_run(sqlite3 *db, sqlite3_stmt *stmt, const char *workflows_dir)
{
    run_t *run = calloc(1, sizeof *run);
    if (run == NULL)
        return NULL;
    snprintf(run->id, sizeof run->id, "%s", (const char *)sqlite3_column_text(stmt, 0));
    const char *plan_path = (const char *)sqlite3_column_text(stmt, 1);
    run->plan_text = column_dup(stmt, 2);
    alfup_err_t err;
    run->plan = run->plan_text ? run_plan_build(plan_path ? plan_path : "plan", run->plan_text,
                                                strlen(run->plan_text), workflows_dir, &err)
                               : NULL;
    if (run->plan == NULL) {
        alfup_log(LOG_LEVEL_ERROR, "journal", "run %s cannot be restored: %s", run->id,
                  run->plan_text ? err.msg : "no plan text");
        run_free(run);
        return NULL;
    }
    run->steps = calloc(run->plan->step_count + 1, sizeof *run->steps);
    run->rollback_steps = calloc(run->plan->rollback_count + 1, sizeof *run->rollback_steps);
    if (!run->steps || !run->rollback_steps) {
        run_free(run);
        return NULL;
    }
    run->state = state_from_name((const char *)sqlite3_column_text(stmt, 3));
    run->paused = sqlite3_column_int(stmt, 4);
    run->armed = sqlite3_column_int(stmt, 5);
    run->error = column_dup(stmt, 6);
    run->failed_index = (long)sqlite3_column_int64(stmt, 7);
    run->waiting_gate = column_dup(stmt, 8);
    run->rollback_round = (unsigned)sqlite3_column_int(stmt, 9);
    run->cancel_requested = sqlite3_column_int(stmt, 10);
    run->created_unix_ms = (uint64_t)sqlite3_column_int64(stmt, 11);
    run->finished_unix_ms = (uint64_t)sqlite3_column_int64(stmt, 12);
    load_steps(db, run);
    load_approvals(db, run);
    return run;
}

int run_store_load(journal_t *journal, const char *workflows_dir, run_t **runs, alfup_err_t *err)
{
    sqlite3 *db = journal_db(journal);
    sqlite3_stmt *stmt = NULL;
    *runs = NULL;
    if (sqlite3_prepare_v2(db, "SELECT run_id, plan_path, plan_text, state, paused, armed, error, failed_index,"
                               " waiting_gate, rollback_round, cancel_requested, created_unix_ms, finished_unix_ms"
                               " FROM runs ORDER BY created_unix_ms ASC", -1, &stmt, NULL) != SQLITE_OK)
        return alfup_err_set(err, "journal: load runs: %s", sqlite3_errmsg(db));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        run_t *run = load_run(db, stmt, workflows_dir);
        if (run == NULL)
            continue;
        run->next = *runs; /* newest first */
        *runs = run;
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? ALFUP_OK : alfup_err_set(err, "journal: load runs: %s", sqlite3_errmsg(db));
}
