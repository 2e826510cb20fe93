/* webhook_store.c -- the webhooks' delivery progress in the journal (one row per URL, updated in place). */
#include "webhook_store.h"

#include <sqlite3.h>

#include "message.h"

static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS webhook_progress(url TEXT PRIMARY KEY, last_event_id INTEGER NOT NULL,"
    " updated_unix_ms INTEGER NOT NULL)";
static const char *ADD_SQL =
    "INSERT OR IGNORE INTO webhook_progress(url, last_event_id, updated_unix_ms)"
    " VALUES(?1, (SELECT COALESCE(MAX(id), 0) FROM events), ?2)";
static const char *GET_SQL = "SELECT last_event_id FROM webhook_progress WHERE url = ?1";
static const char *ADVANCE_SQL =
    "UPDATE webhook_progress SET last_event_id = ?2, updated_unix_ms = ?3 WHERE url = ?1 AND last_event_id < ?2";

int webhook_store_init(journal_t *journal, alfup_err_t *err)
{
    char *message = NULL;
    if (sqlite3_exec(journal_db(journal), SCHEMA, NULL, NULL, &message) != SQLITE_OK) {
        alfup_err_set(err, "journal: webhook_progress: %s", message ? message : "?");
        sqlite3_free(message);
        return ALFUP_ERR;
    }
    return ALFUP_OK;
}

/* Runs sql with url as ?1 and the other values as ?2, ?3; *first gets the first column of the first row. */
static int run(journal_t *journal, const char *sql, const char *url, long long a, long long b, long long *first,
               alfup_err_t *err)
{
    sqlite3 *db = journal_db(journal);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return alfup_err_set(err, "journal: webhook %s: %s", url, sqlite3_errmsg(db));
    sqlite3_bind_text(stmt, 1, url, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(stmt) >= 2)
        sqlite3_bind_int64(stmt, 2, a);
    if (sqlite3_bind_parameter_count(stmt) >= 3)
        sqlite3_bind_int64(stmt, 3, b);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && first)
        *first = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return alfup_err_set(err, "journal: webhook %s: %s", url, sqlite3_errmsg(db));
    return rc == SQLITE_ROW || first == NULL ? ALFUP_OK : alfup_err_set(err, "journal: webhook %s: no row", url);
}

int webhook_store_cursor(journal_t *journal, const char *url, long long *last_id, alfup_err_t *err)
{
    if (run(journal, ADD_SQL, url, (long long)alfup_now_unix_ms(), 0, NULL, err) != ALFUP_OK)
        return ALFUP_ERR;
    return run(journal, GET_SQL, url, 0, 0, last_id, err);
}

int webhook_store_advance(journal_t *journal, const char *url, long long last_id, alfup_err_t *err)
{
    return run(journal, ADVANCE_SQL, url, last_id, (long long)alfup_now_unix_ms(), NULL, err);
}
