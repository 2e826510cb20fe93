/* db_admin.c -- create, drop, inspect databases and end their sessions. */
#include "db_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "message.h"

#define DB_SESSION_POLL_NS (100L * 1000L * 1000L)
#define DB_FORCE_DROP_VERSION 130000

static int query_exists(db_conn_t *admin, const char *sql, const char *name, alfup_err_t *err)
{
    const char *params[] = {name};
    int64_t count = 0;
    if (db_conn_query_int64(admin, sql, 1, params, &count, NULL, err) != ALFUP_OK)
        return ALFUP_ERR;
    return count > 0 ? 1 : 0;
}

int db_admin_database_exists(db_conn_t *admin, const char *name, alfup_err_t *err)
{
    return query_exists(admin, "select count(*) from pg_catalog.pg_database where datname = $1",
                        name, err);
}

int db_admin_role_exists(db_conn_t *admin, const char *name, alfup_err_t *err)
{
    return query_exists(admin, "select count(*) from pg_catalog.pg_roles where rolname = $1", name,
                        err);
}

int db_admin_database_owner(db_conn_t *admin, const char *name, char **owner, alfup_err_t *err)
{
    const char *params[] = {name};
    *owner = NULL;
    PGresult *res = db_conn_query(admin,
                                  "select pg_catalog.pg_get_userbyid(datdba) from "
                                  "pg_catalog.pg_database where datname = $1",
                                  1, params, err);
    if (res == NULL)
        return ALFUP_ERR;
    int rc = ALFUP_OK;
    if (PQntuples(res) != 1)
        rc = alfup_err_set(err, "database %s does not exist", name);
    else if ((*owner = strdup(PQgetvalue(res, 0, 0))) == NULL)
        rc = alfup_err_set(err, "database %s: out of memory", name);
    PQclear(res);
    return rc;
}

static int count_sessions(db_conn_t *admin, const char *name, int64_t *count, alfup_err_t *err)
{
    const char *params[] = {name};
    return db_conn_query_int64(admin,
                               "select count(*) from pg_catalog.pg_stat_activity "
                               "where datname = $1 and pid <> pg_catalog.pg_backend_pid()",
                               1, params, count, NULL, err);
}

int db_admin_terminate_sessions(db_conn_t *admin, const char *name, int64_t *terminated,
                                alfup_err_t *err)
{
    const char *params[] = {name};
    int64_t signalled = 0;
    if (db_conn_query_int64(admin,
                            "select count(pg_catalog.pg_terminate_backend(pid)) from "
                            "pg_catalog.pg_stat_activity where datname = $1 and "
                            "pid <> pg_catalog.pg_backend_pid()",
                            1, params, &signalled, NULL, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (terminated != NULL)
        *terminated = signalled;
    uint64_t deadline = alfup_now_mono_ms() + DB_SESSION_EXIT_WAIT_MS;
    for (;;) {
        int64_t left = 0;
        if (count_sessions(admin, name, &left, err) != ALFUP_OK)
            return ALFUP_ERR;
        if (left == 0)
            return ALFUP_OK;
        if (alfup_now_mono_ms() >= deadline)
            return alfup_err_set(err, "database %s: %lld sessions still open after terminating",
                                 name, (long long)left);
        struct timespec pause = {0, DB_SESSION_POLL_NS};
        nanosleep(&pause, NULL);
    }
}

/* Runs "<prefix><quoted name><suffix>". */
static int exec_on_name(db_conn_t *admin, const char *prefix, const char *name, const char *suffix,
                        alfup_err_t *err)
{
    char *quoted = db_conn_quote_ident(admin, name, err);
    if (quoted == NULL)
        return ALFUP_ERR;
    char *sql = NULL;
    int rc;
    if (asprintf(&sql, "%s%s%s", prefix, quoted, suffix) < 0)
        rc = alfup_err_set(err, "database %s: out of memory", name);
    else
        rc = db_conn_exec(admin, sql, 0, NULL, err);
    free(sql);
    free(quoted);
    return rc;
}

int db_admin_drop_database(db_conn_t *admin, const char *name, int64_t *terminated,
                           alfup_err_t *err)
{
    if (exec_on_name(admin, "alter database ", name, " allow_connections false", err) != ALFUP_OK)
        return alfup_err_prefix(err, "drop %s", name);
    const char *force =
        db_conn_server_version(admin) >= DB_FORCE_DROP_VERSION ? " with (force)" : "";
    if (db_admin_terminate_sessions(admin, name, terminated, err) == ALFUP_OK &&
        exec_on_name(admin, "drop database ", name, force, err) == ALFUP_OK)
        return ALFUP_OK;
    alfup_err_t ignored;
    exec_on_name(admin, "alter database ", name, " allow_connections true", &ignored);
    return alfup_err_prefix(err, "drop %s", name);
}

int db_admin_create_database(db_conn_t *admin, const char *name, const char *owner,
                             alfup_err_t *err)
{
    char *quoted_owner = db_conn_quote_ident(admin, owner, err);
    if (quoted_owner == NULL)
        return ALFUP_ERR;
    char *suffix = NULL;
    int rc;
    if (asprintf(&suffix, " owner %s template template0", quoted_owner) < 0)
        rc = alfup_err_set(err, "database %s: out of memory", name);
    else
        rc = exec_on_name(admin, "create database ", name, suffix, err);
    free(suffix);
    free(quoted_owner);
    return rc;
}

int db_admin_copy_database(db_conn_t *admin, const char *name, const char *template,
                           const char *owner, alfup_err_t *err)
{
    char *quoted_template = db_conn_quote_ident(admin, template, err);
    char *quoted_owner = quoted_template ? db_conn_quote_ident(admin, owner, err) : NULL;
    char *suffix = NULL;
    int rc = ALFUP_ERR;
    const char *strategy =
        db_conn_server_version(admin) >= DB_STRATEGY_VERSION ? " strategy file_copy" : "";
    if (quoted_owner != NULL) {
        if (asprintf(&suffix, " template %s%s owner %s", quoted_template, strategy, quoted_owner) <
            0) {
            suffix = NULL;
            alfup_err_set(err, "database %s: out of memory", name);
        } else
            rc = exec_on_name(admin, "create database ", name, suffix, err);
    }
    free(suffix);
    free(quoted_owner);
    free(quoted_template);
    return rc;
}

int db_admin_database_size(db_conn_t *admin, const char *name, int64_t *bytes, alfup_err_t *err)
{
    const char *params[] = {name};
    return db_conn_query_int64(admin, "select pg_catalog.pg_database_size($1::name)", 1, params,
                               bytes, NULL, err);
}
