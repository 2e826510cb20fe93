/* audit_log.c -- inserting into and reading the journal's `audit` table (never UPDATE, never DELETE). */
#include "audit_log.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

static const char *INSERT_SQL =
    "INSERT INTO audit(at_unix_ms, who, serial, source, address, action, run_id, status, outcome) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char *SELECT_SQL =
    "SELECT id, at_unix_ms, who, serial, source, address, action, run_id, status, outcome FROM "
    "(SELECT * FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id";
static const char *STARTER_SQL =
    "SELECT who FROM audit WHERE run_id = ?1 AND action IN ('start', 'run') AND status IN (0, 201) "
    "ORDER BY id LIMIT 1";

static const char *text_or_empty(const char *s)
{
    return s ? s : "";
}

int audit_log_append(journal_t *journal, const audit_entry_t *e, alfup_err_t *err)
{
    sqlite3 *db = journal_db(journal);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, INSERT_SQL, -1, &stmt, NULL) != SQLITE_OK)
        return alfup_err_set(err, "audit: %s", sqlite3_errmsg(db));
    const char *texts[] = {e->who, e->serial, e->source, e->address, e->action, e->run_id};
    sqlite3_bind_int64(stmt, 1, (sqlite3_int64)alfup_now_unix_ms());
    for (int i = 0; i < 6; i++)
        sqlite3_bind_text(stmt, 2 + i, text_or_empty(texts[i]), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(stmt, 8, e->status);
    sqlite3_bind_text(stmt, 9, text_or_empty(e->outcome), -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt) == SQLITE_DONE ? ALFUP_OK : alfup_err_set(err, "audit: %s", sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return rc;
}

static json_t *row_object(sqlite3_stmt *stmt)
{
    static const char *const KEYS[] = {"id", "at_unix_ms", "who", "serial", "source", "address",
                                       "action", "run", "status", "outcome"};
    json_t *row = json_object();
    for (int i = 0; row && i < 10; i++) {
        json_t *value = sqlite3_column_type(stmt, i) == SQLITE_INTEGER
                            ? json_integer((json_int_t)sqlite3_column_int64(stmt, i))
                            : json_string((const char *)sqlite3_column_text(stmt, i));
        if (value == NULL || json_object_set_new(row, KEYS[i], value) != 0) {
            json_decref(row);
            return NULL;
        }
    }
    return row;
}

char *audit_log_json(journal_t *journal, unsigned limit, alfup_err_t *err)
{
    sqlite3 *db = journal_db(journal);
    sqlite3_stmt *stmt = NULL;
    char *text = NULL;
    json_t *rows = json_array();
    if (rows == NULL)
        return alfup_err_set(err, "audit: out of memory"), NULL;
    if (sqlite3_prepare_v2(db, SELECT_SQL, -1, &stmt, NULL) != SQLITE_OK) {
        alfup_err_set(err, "audit: %s", sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_int64(stmt, 1, limit);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (json_array_append_new(rows, row_object(stmt)) != 0) {
            alfup_err_set(err, "audit: out of memory");
            goto out;
        }
    }
    if (rc != SQLITE_DONE) {
        alfup_err_set(err, "audit: %s", sqlite3_errmsg(db));
        goto out;
    }
    text = json_dumps(rows, JSON_INDENT(2));
    if (text == NULL)
        alfup_err_set(err, "audit: out of memory");
out:
    sqlite3_finalize(stmt);
    json_decref(rows);
    return text;
}

int audit_log_run_starter(journal_t *journal, const char *run_id, char *who, size_t len, alfup_err_t *err)
{
    sqlite3 *db = journal_db(journal);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, STARTER_SQL, -1, &stmt, NULL) != SQLITE_OK)
        return alfup_err_set(err, "audit: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(stmt, 1, run_id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        snprintf(who, len, "%s", (const char *)sqlite3_column_text(stmt, 0));
    else if (rc != SQLITE_DONE)
        alfup_err_set(err, "audit: %s", sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? ALFUP_OK : rc == SQLITE_DONE ? 1 : ALFUP_ERR;
}
