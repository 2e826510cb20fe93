/* event_log.c -- inserting into and reading the journal's `events` table (never UPDATE, never DELETE). */
#include "event_log.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "message.h"

static const char *INSERT_SQL = "INSERT INTO events(at_unix_ms, type, run_id, data) VALUES(?1, ?2, ?3, ?4)";
static const char *SELECT_SQL =
    "SELECT id, type, at_unix_ms, data FROM events WHERE id > ?1 ORDER BY id LIMIT ?2";

int event_log_append(journal_t *journal, const char *type, const char *run_id, const char *data,
                     alfup_err_t *err)
{
    sqlite3 *db = journal_db(journal);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, INSERT_SQL, -1, &stmt, NULL) != SQLITE_OK)
        return alfup_err_set(err, "events: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(stmt, 1, (sqlite3_int64)alfup_now_unix_ms());
    sqlite3_bind_text(stmt, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, run_id ? run_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, data, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt) == SQLITE_DONE ? ALFUP_OK : alfup_err_set(err, "events: %s", sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    return rc;
}

static json_t *row_object(sqlite3_stmt *stmt)
{
    json_t *data = json_loads((const char *)sqlite3_column_text(stmt, 3), 0, NULL);
    return json_pack("{s:I, s:s, s:I, s:o}", "id", (json_int_t)sqlite3_column_int64(stmt, 0), "type",
                     (const char *)sqlite3_column_text(stmt, 1), "at_unix_ms",
                     (json_int_t)sqlite3_column_int64(stmt, 2), "data", data ? data : json_object());
}

char *event_log_json_after(journal_t *journal, long long after_id, unsigned limit, alfup_err_t *err)
{
    sqlite3 *db = journal_db(journal);
    sqlite3_stmt *stmt = NULL;
    char *text = NULL;
    json_t *rows = json_array();
    if (rows == NULL)
        return alfup_err_set(err, "events: out of memory"), NULL;
    if (sqlite3_prepare_v2(db, SELECT_SQL, -1, &stmt, NULL) != SQLITE_OK) {
        alfup_err_set(err, "events: %s", sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_int64(stmt, 1, after_id);
    sqlite3_bind_int64(stmt, 2, limit);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        if (json_array_append_new(rows, row_object(stmt)) != 0) {
            alfup_err_set(err, "events: out of memory");
            goto out;
        }
    if (rc != SQLITE_DONE) {
        alfup_err_set(err, "events: %s", sqlite3_errmsg(db));
        goto out;
    }
    text = json_dumps(rows, JSON_COMPACT);
    if (text == NULL)
        alfup_err_set(err, "events: out of memory");
out:
    sqlite3_finalize(stmt);
    json_decref(rows);
    return text;
}
