/* db_test_lib.h -- what the database tests share: harness env, agent config, SQL, step runs. */
#ifndef ALFUP_TEST_DB_TEST_LIB_H
#define ALFUP_TEST_DB_TEST_LIB_H

#include <libpq-fe.h>
#include <limits.h>
#include <stdarg.h>

#include "step.h"

#define DB_TEST_CONNINFO_MAX (PATH_MAX + 64)

/* What tests/integration/db_test.sh (with tests/lib/pg_harness.sh) gives a database test. */
typedef struct db_test_env {
    const char *work; /* DB_TEST_WORK: the test's own folder */
    const char *bin;  /* PG_HARNESS_BIN: the server's programs */
    char conninfo[DB_TEST_CONNINFO_MAX]; /* host, port and superuser of the harness's server */
} db_test_env_t;

/* Fills env from the environment; -1 with a message on stderr when the test
 * was not run through db_test.sh. */
int db_test_env_read(db_test_env_t *env);

/* A new agent config "db1" for the harness's server: state_dir, backup_dir
 * (NULL: the resolved root) and the one allowed root, realpath(root). NULL
 * when root does not resolve. Free with agent_config_destroy. */
agent_config_t *db_test_agent_config(const db_test_env_t *env, const char *state_dir,
                                     const char *backup_dir, const char *root);

/* A connection to dbname (application_name app unless NULL); fails the test
 * when it cannot connect. */
PGconn *db_test_connect(const char *conninfo, const char *dbname, const char *app);

/* Runs statement; fails the test on an error. */
void db_test_sql(PGconn *conn, const char *statement);

/* The first column of the first row as a number (-1 when no row); fails the
 * test on an error. */
long long db_test_number(PGconn *conn, const char *query);

/* 1 when database name exists on admin's server. */
int db_test_database_exists(PGconn *admin, const char *name);

/* 1 when alfup's guard under state_dir records database name. */
int db_test_guard_recorded(const char *state_dir, const char *name);

/* Adds the "key", "value", ... NULL pairs of ap to params. */
void db_test_add_params(kv_list_t *params, va_list ap);

/* Runs step kind with ctx and returns its status; prints the error when it
 * did not succeed. Fails the test when there is no such kind. */
step_status_t db_test_run_step(const char *kind, step_context_t *ctx);

/* result's output key, or "" when absent. */
const char *db_test_output(const msg_step_result_t *result, const char *key);

/* Fails the test unless result has an error that contains text. */
void db_test_assert_error_mentions(const msg_step_result_t *result, const char *text);

/* 1 when one of result's log lines contains text. */
int db_test_log_mentions(const msg_step_result_t *result, const char *text);

#endif
