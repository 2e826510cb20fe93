/* db_conn.c -- libpq connections, cancellable queries, conninfo for children. */
#include "db_conn.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

#define DB_POLL_MS 200
#define DB_APPLICATION_NAME "alfup-agent"

struct db_conn {
    PGconn *pg;
    char *database;
    atomic_int *cancel;
    int cancelled;
    db_tick_fn tick;
    void *tick_arg;
};

/* libpq's message without its trailing newline, into err. */
static int set_pg_error(alfup_err_t *err, const char *database, const char *what,
                        const char *pg_message)
{
    const char *text = pg_message ? pg_message : "";
    int len = (int)strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        len--;
    return alfup_err_set(err, "database %s: %s: %.*s", database, what, len, text);
}

db_conn_t *db_conn_open(const agent_config_t *config, const char *dbname, atomic_int *cancel,
                        alfup_err_t *err)
{
    if (config->postgres.conninfo == NULL)
        return alfup_err_set(err, "database %s: no postgres conninfo in the agent config", dbname),
               NULL;
    if (cancel != NULL && atomic_load(cancel) != 0)
        return alfup_err_set(err, "database %s: cancelled", dbname), NULL;
    /* Processed in order, later keywords win: the first dbname is expanded
     * from the config's conninfo, the second overrides the database only. */
    const char *keywords[] = {"connect_timeout", "dbname", "dbname", "fallback_application_name",
                              NULL};
    const char *values[] = {DB_CONNECT_TIMEOUT_S, config->postgres.conninfo, dbname,
                            DB_APPLICATION_NAME, NULL};
    db_conn_t *conn = calloc(1, sizeof *conn);
    if (conn == NULL || (conn->database = strdup(dbname)) == NULL) {
        free(conn);
        return alfup_err_set(err, "database %s: out of memory", dbname), NULL;
    }
    conn->cancel = cancel;
    conn->pg = PQconnectdbParams(keywords, values, 1);
    if (conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK) {
        set_pg_error(err, dbname, "cannot connect",
                     conn->pg ? PQerrorMessage(conn->pg) : "out of memory");
        db_conn_destroy(&conn);
        return NULL;
    }
    return conn;
}

void db_conn_destroy(db_conn_t **conn_p)
{
    if (conn_p == NULL || *conn_p == NULL)
        return;
    db_conn_t *conn = *conn_p;
    if (conn->pg != NULL)
        PQfinish(conn->pg);
    free(conn->database);
    free(conn);
    *conn_p = NULL;
}

const char *db_conn_database(const db_conn_t *conn)
{
    return conn->database;
}

int db_conn_server_version(const db_conn_t *conn)
{
    return PQserverVersion(conn->pg);
}

void db_conn_set_tick(db_conn_t *conn, db_tick_fn tick, void *arg)
{
    conn->tick = tick;
    conn->tick_arg = arg;
}

void db_conn_ignore_cancel(db_conn_t *conn)
{
    conn->cancel = NULL;
}

int db_conn_cancelled(const db_conn_t *conn)
{
    return conn->cancelled;
}

static void send_cancel(db_conn_t *conn)
{
    PGcancel *handle = PQgetCancel(conn->pg);
    char why[256];
    if (handle != NULL) {
        PQcancel(handle, why, sizeof why);
        PQfreeCancel(handle);
    }
    conn->cancelled = 1;
}

/* Waits until the query's result is available, cancelling it when asked. */
static int wait_result(db_conn_t *conn, alfup_err_t *err)
{
    uint64_t next_tick = alfup_now_mono_ms() + DB_TICK_MS;
    while (PQisBusy(conn->pg)) {
        if (conn->tick != NULL && alfup_now_mono_ms() >= next_tick) {
            conn->tick(conn->tick_arg);
            next_tick += DB_TICK_MS;
        }
        if (!conn->cancelled && conn->cancel != NULL && atomic_load(conn->cancel) != 0)
            send_cancel(conn);
        struct pollfd pfd = {.fd = PQsocket(conn->pg), .events = POLLIN};
        if (pfd.fd < 0)
            return set_pg_error(err, conn->database, "connection lost", PQerrorMessage(conn->pg));
        int n = poll(&pfd, 1, DB_POLL_MS);
        if (n < 0 && errno != EINTR)
            return alfup_err_errno(err, errno, "database %s: poll", conn->database);
        if (n > 0 && !PQconsumeInput(conn->pg))
            return set_pg_error(err, conn->database, "connection lost", PQerrorMessage(conn->pg));
    }
    return ALFUP_OK;
}

PGresult *db_conn_query(db_conn_t *conn, const char *sql, int nparams, const char *const *params,
                        alfup_err_t *err)
{
    if (conn->cancel != NULL && atomic_load(conn->cancel) != 0) {
        conn->cancelled = 1;
        return alfup_err_set(err, "database %s: cancelled", conn->database), NULL;
    }
    if (!PQsendQueryParams(conn->pg, sql, nparams, NULL, params, NULL, NULL, 0))
        return set_pg_error(err, conn->database, "query failed", PQerrorMessage(conn->pg)), NULL;
    PGresult *kept = NULL;
    int failed = 0;
    for (;;) {
        if (wait_result(conn, err) != ALFUP_OK) {
            failed = 1;
            break;
        }
        PGresult *res = PQgetResult(conn->pg);
        if (res == NULL)
            break;
        ExecStatusType status = PQresultStatus(res);
        if (kept == NULL && !failed && (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)) {
            kept = res;
            continue;
        }
        if (!failed)
            set_pg_error(err, conn->database, conn->cancelled ? "cancelled" : "query failed",
                         PQresultErrorMessage(res));
        failed = 1;
        PQclear(res);
    }
    if (failed || kept == NULL) {
        if (!failed)
            alfup_err_set(err, "database %s: query returned no result", conn->database);
        PQclear(kept);
        return NULL;
    }
    return kept;
}

int db_conn_exec(db_conn_t *conn, const char *sql, int nparams, const char *const *params,
                 alfup_err_t *err)
{
    PGresult *res = db_conn_query(conn, sql, nparams, params, err);
    if (res == NULL)
        return ALFUP_ERR;
    PQclear(res);
    return ALFUP_OK;
}

int db_conn_query_int64(db_conn_t *conn, const char *sql, int nparams, const char *const *params,
                        int64_t *value, int *is_null, alfup_err_t *err)
{
    PGresult *res = db_conn_query(conn, sql, nparams, params, err);
    if (res == NULL)
        return ALFUP_ERR;
    int rc = ALFUP_OK;
    *value = 0;
    if (is_null != NULL)
        *is_null = 0;
    if (PQntuples(res) != 1 || PQnfields(res) != 1) {
        rc = alfup_err_set(err, "database %s: expected one value, got %d rows", conn->database,
                           PQntuples(res));
    } else if (PQgetisnull(res, 0, 0)) {
        if (is_null != NULL)
            *is_null = 1;
        else
            rc = alfup_err_set(err, "database %s: unexpected NULL", conn->database);
    } else {
        char *end = NULL;
        errno = 0;
        long long parsed = strtoll(PQgetvalue(res, 0, 0), &end, 10);
        if (errno != 0 || end == NULL || *end != '\0')
            rc = alfup_err_set(err, "database %s: '%.40s' is not an integer", conn->database,
                               PQgetvalue(res, 0, 0));
        else
            *value = parsed;
    }
    PQclear(res);
    return rc;
}

char *db_conn_quote_ident(db_conn_t *conn, const char *name, alfup_err_t *err)
{
    char *quoted = PQescapeIdentifier(conn->pg, name, strlen(name));
    if (quoted == NULL)
        return set_pg_error(err, conn->database, "cannot quote identifier",
                            PQerrorMessage(conn->pg)),
               NULL;
    char *copy = strdup(quoted);
    PQfreemem(quoted);
    if (copy == NULL)
        alfup_err_set(err, "database %s: out of memory", conn->database);
    return copy;
}

/* Appends  keyword='value'  to out, escaping ' and \ as libpq expects. */
static void put_keyword(FILE *out, const char *keyword, const char *value)
{
    fprintf(out, "%s='", keyword);
    for (const char *p = value; *p; p++) {
        if (*p == '\'' || *p == '\\')
            fputc('\\', out);
        fputc(*p, out);
    }
    fputs("' ", out);
}

int db_conninfo_for_child(const agent_config_t *config, const char *dbname, char **conninfo,
                          char **password_env, alfup_err_t *err)
{
    *conninfo = NULL;
    *password_env = NULL;
    char *why = NULL;
    PQconninfoOption *options =
        PQconninfoParse(config->postgres.conninfo ? config->postgres.conninfo : "", &why);
    if (options == NULL) {
        set_pg_error(err, dbname, "postgres.conninfo cannot be parsed",
                     why ? why : "out of memory");
        PQfreemem(why);
        return ALFUP_ERR;
    }
    size_t len = 0;
    FILE *out = open_memstream(conninfo, &len);
    int rc = ALFUP_OK;
    if (out == NULL) {
        rc = alfup_err_errno(err, errno, "database %s: conninfo", dbname);
        goto out;
    }
    put_keyword(out, "fallback_application_name", DB_APPLICATION_NAME);
    put_keyword(out, "connect_timeout", DB_CONNECT_TIMEOUT_S);
    for (PQconninfoOption *opt = options; opt->keyword != NULL; opt++) {
        if (opt->val == NULL || strcmp(opt->keyword, "dbname") == 0)
            continue;
        if (strcmp(opt->keyword, "password") == 0) {
            if (asprintf(password_env, "PGPASSWORD=%s", opt->val) < 0) {
                *password_env = NULL;
                rc = alfup_err_set(err, "database %s: out of memory", dbname);
            }
            continue;
        }
        put_keyword(out, opt->keyword, opt->val);
    }
    put_keyword(out, "dbname", dbname);
    if (fclose(out) != 0 && rc == ALFUP_OK)
        rc = alfup_err_set(err, "database %s: out of memory", dbname);
out:
    PQconninfoFree(options);
    if (rc != ALFUP_OK) {
        free(*conninfo);
        free(*password_env);
        *conninfo = NULL;
        *password_env = NULL;
    }
    return rc;
}
