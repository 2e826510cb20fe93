/* db_test_lib.c -- the database tests' harness env, agent config, SQL and step-run helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_test_lib.h"

int db_test_env_read(db_test_env_t *env)
{
    const char *host = getenv("PGHOST"), *port = getenv("PGPORT");
    const char *user = getenv("PG_HARNESS_SUPERUSER");
    env->work = getenv("DB_TEST_WORK");
    env->bin = getenv("PG_HARNESS_BIN");
    if (!env->work || !host || !port || !user || !env->bin) {
        fprintf(stderr, "run through tests/integration/db_test.sh (needs the harness env)\n");
        return -1;
    }
    snprintf(env->conninfo, sizeof env->conninfo, "host=%s port=%s user=%s", host, port, user);
    return 0;
}

agent_config_t *db_test_agent_config(const db_test_env_t *env, const char *state_dir,
                                     const char *backup_dir, const char *root)
{
    char resolved[PATH_MAX];
    if (realpath(root, resolved) == NULL)
        return NULL;
    agent_config_t *config = calloc(1, sizeof *config);
    config->name = strdup("db1");
    config->state_dir = strdup(state_dir);
    config->backup_dir = strdup(backup_dir ? backup_dir : resolved);
    str_list_add(&config->allowed_roots, resolved);
    config->postgres.conninfo = strdup(env->conninfo);
    config->postgres.bin_dir = strdup(env->bin);
    return config;
}

PGconn *db_test_connect(const char *conninfo, const char *dbname, const char *app)
{
    const char *keywords[] = {"dbname", "dbname", app ? "application_name" : NULL, NULL};
    const char *values[] = {conninfo, dbname, app, NULL};
    PGconn *conn = PQconnectdbParams(keywords, values, 1);
    if (PQstatus(conn) != CONNECTION_OK)
        fail_msg("connect %s: %s", dbname, PQerrorMessage(conn));
    return conn;
}

void db_test_sql(PGconn *conn, const char *statement)
{
    PGresult *res = PQexec(conn, statement);
    ExecStatusType status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        fail_msg("%s: %s", statement, PQerrorMessage(conn));
    PQclear(res);
}

long long db_test_number(PGconn *conn, const char *query)
{
    PGresult *res = PQexec(conn, query);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", query, PQerrorMessage(conn));
    long long value = PQntuples(res) > 0 ? atoll(PQgetvalue(res, 0, 0)) : -1;
    PQclear(res);
    return value;
}

int db_test_database_exists(PGconn *admin, const char *name)
{
    char query[256];
    snprintf(query, sizeof query, "select count(*) from pg_database where datname = '%s'", name);
    return db_test_number(admin, query) == 1;
}

int db_test_guard_recorded(const char *state_dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/databases/%s", state_dir, name);
    return access(path, F_OK) == 0;
}

void db_test_add_params(kv_list_t *params, va_list ap)
{
    for (const char *key = va_arg(ap, const char *); key; key = va_arg(ap, const char *))
        assert_int_equal(kv_list_add(params, key, va_arg(ap, const char *)), 0);
}

step_status_t db_test_run_step(const char *kind, step_context_t *ctx)
{
    const step_kind_t *step = step_kind_find(kind);
    assert_non_null(step);
    step_status_t status = step->run(ctx);
    if (status != STEP_SUCCEEDED)
        printf("  %s -> %s: %s\n", kind, step_status_name(status),
               ctx->result->error ? ctx->result->error : "(no error)");
    return status;
}

const char *db_test_output(const msg_step_result_t *result, const char *key)
{
    const char *value = kv_list_get(&result->outputs, key);
    return value ? value : "";
}

void db_test_assert_error_mentions(const msg_step_result_t *result, const char *text)
{
    assert_non_null(result->error);
    if (strstr(result->error, text) == NULL)
        fail_msg("error '%s' does not mention '%s'", result->error, text);
}

int db_test_log_mentions(const msg_step_result_t *result, const char *text)
{
    for (size_t i = 0; i < result->log_lines.count; i++)
        if (strstr(result->log_lines.items[i], text) != NULL)
            return 1;
    return 0;
}
