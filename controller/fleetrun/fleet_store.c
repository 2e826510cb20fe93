/* fleet_store.c -- the journal's fleet tables: fleets, fleet_members, fleet_decisions, controller_flags. */
#include "fleet_store.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *SCHEMA =
    "CREATE TABLE IF NOT EXISTS fleets(name TEXT PRIMARY KEY, path TEXT NOT NULL, text TEXT NOT NULL,"
    "  state TEXT NOT NULL, approve_cutovers INTEGER NOT NULL, started_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS fleet_members(fleet TEXT NOT NULL, deployment TEXT NOT NULL, run_id TEXT,"
    "  state TEXT NOT NULL, settled_s INTEGER, PRIMARY KEY(fleet, deployment));"
    "CREATE TABLE IF NOT EXISTS fleet_decisions(fleet TEXT NOT NULL, deployment TEXT NOT NULL,"
    "  action TEXT NOT NULL, occurrence INTEGER NOT NULL, decided_ms INTEGER NOT NULL, run_id TEXT,"
    "  done INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(fleet, deployment, action, occurrence));"
    "CREATE TABLE IF NOT EXISTS controller_flags(name TEXT PRIMARY KEY, value TEXT NOT NULL);";

#define DRAIN_FLAG "drained"

static int prepare(journal_t *journal, const char *sql, sqlite3_stmt **stmt, alfup_err_t *err)
{
    sqlite3 *db = journal_db(journal);
    if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK)
        return alfup_err_set(err, "fleet journal: %s", sqlite3_errmsg(db));
    return ALFUP_OK;
}

/* Steps a statement that returns no row, then finalizes it. */
static int run_done(journal_t *journal, sqlite3_stmt *stmt, alfup_err_t *err)
{
    int rc = sqlite3_step(stmt) == SQLITE_DONE
                 ? ALFUP_OK
                 : alfup_err_set(err, "fleet journal: %s", sqlite3_errmsg(journal_db(journal)));
    sqlite3_finalize(stmt);
    return rc;
}

static const char *column(sqlite3_stmt *stmt, int i)
{
    const char *text = (const char *)sqlite3_column_text(stmt, i);
    return text ? text : "";
}

int fleet_store_init(journal_t *journal, alfup_err_t *err)
{
    char *message = NULL;
    if (sqlite3_exec(journal_db(journal), SCHEMA, NULL, NULL, &message) != SQLITE_OK) {
        alfup_err_set(err, "fleet journal tables: %s", message ? message : "?");
        sqlite3_free(message);
        return ALFUP_ERR;
    }
    return ALFUP_OK;
}

int fleet_store_add_fleet(journal_t *journal, const char *name, const char *path, const char *text,
                          bool approve_cutovers, int64_t started_ms, alfup_err_t *err)
{
    sqlite3_stmt *stmt;
    if (prepare(journal, "SELECT started_ms, state FROM fleets WHERE name = ?1", &stmt, err) != ALFUP_OK)
        return ALFUP_ERR;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        time_t at = (time_t)(sqlite3_column_int64(stmt, 0) / 1000);
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime(&at));
        alfup_err_set(err,
                      "fleet '%s' was started at %s (now %s); a fleet runs once: give the new one another "
                      "name",
                      name, when, column(stmt, 1));
        sqlite3_finalize(stmt);
        return ALFUP_ERR;
    }
    sqlite3_finalize(stmt);
    if (prepare(journal,
                "INSERT INTO fleets(name, path, text, state, approve_cutovers, started_ms) "
                "VALUES(?1, ?2, ?3, 'running', ?4, ?5)",
                &stmt, err) != ALFUP_OK)
        return ALFUP_ERR;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, text, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 4, approve_cutovers);
    sqlite3_bind_int64(stmt, 5, started_ms);
    return run_done(journal, stmt, err);
}

int fleet_store_set_fleet_state(journal_t *journal, const char *name, const char *state, alfup_err_t *err)
{
    sqlite3_stmt *stmt;
    if (prepare(journal, "UPDATE fleets SET state = ?2 WHERE name = ?1", &stmt, err) != ALFUP_OK)
        return ALFUP_ERR;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC);
    return run_done(journal, stmt, err);
}

int fleet_store_each_fleet(journal_t *journal, fleet_store_fleet_fn fn, void *arg, alfup_err_t *err)
{
    sqlite3_stmt *stmt;
    if (prepare(journal,
                "SELECT name, path, text, state, approve_cutovers, started_ms FROM fleets "
                "ORDER BY started_ms, name",
                &stmt, err) != ALFUP_OK)
        return ALFUP_ERR;
    int rc = 0;
    while (rc == 0 && sqlite3_step(stmt) == SQLITE_ROW)
        rc = fn(arg, column(stmt, 0), column(stmt, 1), column(stmt, 2), column(stmt, 3),
                sqlite3_column_int(stmt, 4) != 0, sqlite3_column_int64(stmt, 5));
    sqlite3_finalize(stmt);
    return rc;
}

int fleet_store_save_member(journal_t *journal, const char *fleet, const char *deployment, const char *run_id,
                            const char *state, int64_t settled_s, alfup_err_t *err)
{
    sqlite3_stmt *stmt;
    if (prepare(journal,
                "INSERT OR REPLACE INTO fleet_members(fleet, deployment, run_id, state, settled_s) "
                "VALUES(?1, ?2, ?3, ?4, ?5)",
                &stmt, err) != ALFUP_OK)
        return ALFUP_ERR;
    sqlite3_bind_text(stmt, 1, fleet, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, deployment, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 5, settled_s);
    return run_done(journal, stmt, err);
}

int fleet_store_each_member(journal_t *journal, const char *fleet, fleet_store_member_fn fn, void *arg,
                            alfup_err_t *err)
{
    sqlite3_stmt *stmt;
    if (prepare(journal, "SELECT deployment, run_id, state, settled_s FROM fleet_members WHERE fleet = ?1", &stmt,
                err) != ALFUP_OK)
        return ALFUP_ERR;
    sqlite3_bind_text(stmt, 1, fleet, -1, SQLITE_STATIC);
    while (sqlite3_step(stmt) == SQLITE_ROW)
        fn(arg, column(stmt, 0), column(stmt, 1), column(stmt, 2), sqlite3_column_int64(stmt, 3));
    sqlite3_finalize(stmt);
    return ALFUP_OK;
}

static void bind_key(sqlite3_stmt *stmt, const char *fleet, const char *deployment, const char *action,
                     int64_t occurrence)
{
    sqlite3_bind_text(stmt, 1, fleet, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, deployment, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, occurrence);
}

int fleet_store_decide(journal_t *journal, const char *fleet, const char *deployment, const char *action,
                       int64_t occurrence, int64_t now_ms, fleet_decision_t *out, alfup_err_t *err)
{
    sqlite3_stmt *stmt;
    if (prepare(journal,
                "INSERT OR IGNORE INTO fleet_decisions(fleet, deployment, action, occurrence, decided_ms) "
                "VALUES(?1, ?2, ?3, ?4, ?5)",
                &stmt, err) != ALFUP_OK)
        return ALFUP_ERR;
    bind_key(stmt, fleet, deployment, action, occurrence);
    sqlite3_bind_int64(stmt, 5, now_ms);
    if (run_done(journal, stmt, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (prepare(journal,
                "SELECT decided_ms, run_id, done FROM fleet_decisions WHERE fleet = ?1 AND "
                "deployment = ?2 AND action = ?3 AND occurrence = ?4",
                &stmt, err) != ALFUP_OK)
        return ALFUP_ERR;
    bind_key(stmt, fleet, deployment, action, occurrence);
    int rc = ALFUP_OK;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        out->decided_ms = sqlite3_column_int64(stmt, 0);
        snprintf(out->run_id, sizeof out->run_id, "%s", column(stmt, 1));
        out->done = sqlite3_column_int(stmt, 2) != 0;
    } else {
        rc = alfup_err_set(err, "fleet journal: the decision %s of %s/%s is not there after its insert", action, fleet,
                           deployment);
    }
    sqlite3_finalize(stmt);
    return rc;
}

int fleet_store_done(journal_t *journal, const char *fleet, const char *deployment, const char *action,
                     int64_t occurrence, const char *run_id, alfup_err_t *err)
{
    sqlite3_stmt *stmt;
    if (prepare(journal,
                "UPDATE fleet_decisions SET done = 1, run_id = ?5 WHERE fleet = ?1 AND deployment = ?2 "
                "AND action = ?3 AND occurrence = ?4",
                &stmt, err) != ALFUP_OK)
        return ALFUP_ERR;
    bind_key(stmt, fleet, deployment, action, occurrence);
    sqlite3_bind_text(stmt, 5, run_id, -1, SQLITE_STATIC);
    return run_done(journal, stmt, err);
}

int fleet_store_set_drained(journal_t *journal, bool drained, alfup_err_t *err)
{
    sqlite3_stmt *stmt;
    if (prepare(journal, "INSERT OR REPLACE INTO controller_flags(name, value) VALUES('" DRAIN_FLAG "', ?1)", &stmt,
                err) != ALFUP_OK)
        return ALFUP_ERR;
    sqlite3_bind_text(stmt, 1, drained ? "1" : "0", -1, SQLITE_STATIC);
    return run_done(journal, stmt, err);
}

int fleet_store_drained(journal_t *journal, bool *drained, alfup_err_t *err)
{
    sqlite3_stmt *stmt;
    if (prepare(journal, "SELECT value FROM controller_flags WHERE name = '" DRAIN_FLAG "'", &stmt, err) != ALFUP_OK)
        return ALFUP_ERR;
    *drained = sqlite3_step(stmt) == SQLITE_ROW && strcmp(column(stmt, 0), "1") == 0;
    sqlite3_finalize(stmt);
    return ALFUP_OK;
}

/* data[key] as text, or fallback. */
static const char *field(json_t *data, const char *key, const char *fallback)
{
    const char *text = json_string_value(json_object_get(data, key));
    return text ? text : fallback;
}

static void print_event(sqlite3_stmt *stmt, bool json, json_t *array, FILE *out)
{
    json_t *data = json_loads(column(stmt, 1), 0, NULL);
    int64_t at_ms = sqlite3_column_int64(stmt, 0);
    if (json) {
        if (data && json_object_set_new(data, "at_unix_ms", json_integer(at_ms)) == 0)
            json_array_append(array, data);
    } else {
        time_t at = (time_t)(at_ms / 1000);
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", gmtime(&at));
        fprintf(out, "  %s  %-15s %-16s %s\n", when, field(data, "event", "?"), field(data, "deployment", "-"),
                field(data, "detail", ""));
    }
    json_decref(data);
}

int fleet_store_print_events(journal_t *journal, const char *fleet, unsigned limit, bool json, FILE *out,
                             alfup_err_t *err)
{
    sqlite3_stmt *stmt;
    if (prepare(journal,
                "SELECT at_unix_ms, data FROM (SELECT id, at_unix_ms, data FROM events WHERE type = "
                "'fleet' AND json_extract(data, '$.fleet') = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id",
                &stmt, err) != ALFUP_OK)
        return ALFUP_ERR;
    sqlite3_bind_text(stmt, 1, fleet, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 2, (int)limit);
    json_t *array = json ? json_array() : NULL;
    while (sqlite3_step(stmt) == SQLITE_ROW)
        print_event(stmt, json, array, out);
    sqlite3_finalize(stmt);
    if (json) {
        char *text = json_dumps(array, JSON_COMPACT);
        fputs(text ? text : "[]", out);
        free(text);
        json_decref(array);
    }
    return ALFUP_OK;
}
