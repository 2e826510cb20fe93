/* journal.c -- SQLite tables for steps sent and results received. */
#include "journal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"

#define JOURNAL_BUSY_MS 5000

struct journal {
    sqlite3 *db;
    sqlite3_stmt *sent;     /* prepared once: parsing showed up in the fan-out profile */
    sqlite3_stmt *result;
    int in_batch;
};

static const char *SENT_SQL =
    "INSERT INTO steps(step_id, agent, kind, state, sent_unix_ms) VALUES(?1, ?2, ?3, 'sent', ?4) "
    "ON CONFLICT(step_id) DO UPDATE SET sends = sends + 1 WHERE agent = ?2";

static const char *RESULT_SQL =
    "UPDATE steps SET state = ?3, started_unix_ms = ?4, finished_unix_ms = ?5, error = ?6, "
    "outputs_json = ?7, log_json = ?8 WHERE step_id = ?1 AND agent = ?2";

static const char *SCHEMA =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS steps("
    "  step_id TEXT PRIMARY KEY,"
    "  agent TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  sent_unix_ms INTEGER NOT NULL,"
    "  sends INTEGER NOT NULL DEFAULT 1,"
    "  started_unix_ms INTEGER, finished_unix_ms INTEGER,"
    "  error TEXT, outputs_json TEXT, log_json TEXT);"
    /* the operators' actions (audit_log.c): rows are only ever inserted */
    "CREATE TABLE IF NOT EXISTS audit("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at_unix_ms INTEGER NOT NULL,"
    "  who TEXT NOT NULL, serial TEXT NOT NULL, source TEXT NOT NULL, address TEXT NOT NULL,"
    "  action TEXT NOT NULL, run_id TEXT NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL);"
    /* what the event stream sends (event_log.c): rows are only ever inserted */
    "CREATE TABLE IF NOT EXISTS events("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at_unix_ms INTEGER NOT NULL, type TEXT NOT NULL, run_id TEXT NOT NULL, data TEXT NOT NULL);";

journal_t *journal_open(const char *path, alfup_err_t *err)
{
    journal_t *j = calloc(1, sizeof *j);
    if (j == NULL)
        return alfup_err_set(err, "journal: out of memory"), NULL;
    if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        alfup_err_set(err, "journal %s: %s", path, j->db ? sqlite3_errmsg(j->db) : "cannot open");
        journal_close(&j);
        return NULL;
    }
    sqlite3_busy_timeout(j->db, JOURNAL_BUSY_MS);
    char *message = NULL;
    if (sqlite3_exec(j->db, SCHEMA, NULL, NULL, &message) != SQLITE_OK) {
        alfup_err_set(err, "journal %s: %s", path, message ? message : "schema");
        sqlite3_free(message);
        journal_close(&j);
        return NULL;
    }
    if (sqlite3_prepare_v2(j->db, SENT_SQL, -1, &j->sent, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(j->db, RESULT_SQL, -1, &j->result, NULL) != SQLITE_OK) {
        alfup_err_set(err, "journal %s: %s", path, sqlite3_errmsg(j->db));
        journal_close(&j);
        return NULL;
    }
    return j;
}

void journal_close(journal_t **journal_p)
{
    if (journal_p == NULL || *journal_p == NULL)
        return;
    if ((*journal_p)->in_batch)
        sqlite3_exec((*journal_p)->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize((*journal_p)->sent);
    sqlite3_finalize((*journal_p)->result);
    sqlite3_close((*journal_p)->db);
    free(*journal_p);
    *journal_p = NULL;
}

int journal_batch_begin(journal_t *j, alfup_err_t *err)
{
    if (j->in_batch)
        return alfup_err_set(err, "journal: a batch is already open");
    if (sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return alfup_err_set(err, "journal: begin: %s", sqlite3_errmsg(j->db));
    j->in_batch = 1;
    return ALFUP_OK;
}

int journal_batch_commit(journal_t *j, alfup_err_t *err)
{
    if (!j->in_batch)
        return alfup_err_set(err, "journal: no batch is open");
    j->in_batch = 0;
    if (sqlite3_get_autocommit(j->db)) /* a failed statement made SQLite roll it back */
        return alfup_err_set(err, "journal: the batch was rolled back after an error");
    if (sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        alfup_err_set(err, "journal: commit: %s", sqlite3_errmsg(j->db));
        if (!sqlite3_get_autocommit(j->db))
            sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
        return ALFUP_ERR;
    }
    return ALFUP_OK;
}

int journal_in_batch(const journal_t *j)
{
    return j->in_batch;
}

/* Runs the prepared stmt once; leaves it reset with its bindings cleared. SQLite's code. */
static int run_once(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

int journal_step_sent(journal_t *j, const char *step_id, const char *agent, const char *kind,
                      alfup_err_t *err)
{
    sqlite3_bind_text(j->sent, 1, step_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(j->sent, 2, agent, -1, SQLITE_STATIC);
    sqlite3_bind_text(j->sent, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(j->sent, 4, (sqlite3_int64)alfup_now_unix_ms());
    if (run_once(j->sent) != SQLITE_DONE)
        return alfup_err_set(err, "journal: record step %s: %s", step_id, sqlite3_errmsg(j->db));
    if (sqlite3_changes(j->db) == 0)
        return alfup_err_set(err, "journal: step %s belongs to another agent", step_id);
    return ALFUP_OK;
}

/* Renders a list as JSON text for the journal with write (caller frees); NULL on ENOMEM. */
static char *to_json(void (*write)(FILE *, const void *), const void *list)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    write(f, list);
    fclose(f);
    return text;
}

static void write_outputs(FILE *f, const void *list)
{
    json_write_kv_object(f, list);
}

static void write_lines(FILE *f, const void *list)
{
    json_write_string_array(f, list);
}

int journal_step_result(journal_t *j, const char *agent, const msg_step_result_t *result, alfup_err_t *err)
{
    char *outputs = to_json(write_outputs, &result->outputs);
    char *lines = to_json(write_lines, &result->log_lines);
    sqlite3_stmt *stmt = j->result;
    int rc = ALFUP_ERR;
    if (outputs == NULL || lines == NULL) {
        alfup_err_set(err, "journal: out of memory");
        goto out;
    }
    sqlite3_bind_text(stmt, 1, result->step_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, agent, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, step_status_name(result->status), -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, (sqlite3_int64)result->started_unix_ms);
    sqlite3_bind_int64(stmt, 5, (sqlite3_int64)result->finished_unix_ms);
    sqlite3_bind_text(stmt, 6, result->error ? result->error : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 7, outputs, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 8, lines, -1, SQLITE_STATIC);
    if (run_once(stmt) != SQLITE_DONE) {
        alfup_err_set(err, "journal: record result of %s: %s", result->step_id, sqlite3_errmsg(j->db));
        goto out;
    }
    if (sqlite3_changes(j->db) == 0) {
        alfup_err_set(err, "journal: agent %s reported step %s, which was never sent to it", agent,
                      result->step_id);
        rc = JOURNAL_NOT_SENT;
        goto out;
    }
    rc = ALFUP_OK;
out:
    free(outputs);
    free(lines);
    return rc;
}

int journal_step_state(journal_t *j, const char *step_id, char *buf, size_t len, alfup_err_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(j->db, "SELECT state FROM steps WHERE step_id = ?1", -1, &stmt, NULL) != SQLITE_OK)
        return alfup_err_set(err, "journal: %s", sqlite3_errmsg(j->db));
    sqlite3_bind_text(stmt, 1, step_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    int found = rc == SQLITE_ROW;
    if (found)
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    if (!found && rc != SQLITE_DONE)
        return alfup_err_set(err, "journal: %s", sqlite3_errmsg(j->db));
    return found ? 0 : 1;
}

struct sqlite3 *journal_db(journal_t *j)
{
    return j->db;
}
