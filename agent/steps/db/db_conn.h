/* db_conn.h -- a libpq connection to one database of the agent's PostgreSQL. */
#ifndef ALFUP_DB_CONN_H
#define ALFUP_DB_CONN_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdint.h>

#include "agent_config.h"
#include "alfup_error.h"

/* The database the admin connection uses to create, drop and inspect others. */
#define DB_MAINTENANCE_DATABASE "postgres"
#define DB_CONNECT_TIMEOUT_S "10"

typedef struct db_conn db_conn_t;

/* Connects to database dbname (a validated identifier) using the config's
 * postgres.conninfo with the database name overridden. cancel may be NULL;
 * when it becomes non-zero, running queries are cancelled. Returns a new
 * connection, or NULL with err naming the database and libpq's reason. */
db_conn_t *db_conn_open(const agent_config_t *config, const char *dbname, atomic_int *cancel,
                        alfup_err_t *err);

/* Closes the connection and sets *conn_p to NULL. Tolerates NULL. */
void db_conn_destroy(db_conn_t **conn_p);

/* The database this connection is attached to. */
const char *db_conn_database(const db_conn_t *conn);

/* The server's version number (e.g. 150018). */
int db_conn_server_version(const db_conn_t *conn);

/* Runs sql with nparams text parameters ($1..); waits while polling the cancel
 * flag. Returns the result (tuples or command ok; caller PQclear()s), or NULL
 * with err naming the database and the server's message -- "cancelled" when
 * the cancel flag stopped it. */
PGresult *db_conn_query(db_conn_t *conn, const char *sql, int nparams, const char *const *params,
                        alfup_err_t *err);

/* Runs a statement whose result is not needed. ALFUP_OK or ALFUP_ERR with err. */
int db_conn_exec(db_conn_t *conn, const char *sql, int nparams, const char *const *params,
                 alfup_err_t *err);

/* Runs a query returning one row with one integer column into *value.
 * *is_null (may be NULL) is set to 1 when the value is SQL NULL (then *value = 0). */
int db_conn_query_int64(db_conn_t *conn, const char *sql, int nparams, const char *const *params,
                        int64_t *value, int *is_null, alfup_err_t *err);

/* name quoted as an SQL identifier (PQescapeIdentifier). A new string the
 * caller free()s, or NULL with err. */
char *db_conn_quote_ident(db_conn_t *conn, const char *name, alfup_err_t *err);

/* Called about every DB_TICK_MS while a query of this connection waits for
 * its result (for progress reports on long statements); NULL stops it. */
#define DB_TICK_MS 1000u
typedef void (*db_tick_fn)(void *arg);
void db_conn_set_tick(db_conn_t *conn, db_tick_fn tick, void *arg);

/* Stops watching the cancel flag: for clean-up work after a cancel. */
void db_conn_ignore_cancel(db_conn_t *conn);

/* 1 when a query on this connection was stopped by the cancel flag. */
int db_conn_cancelled(const db_conn_t *conn);

/* A keyword='value' connection string for a child program (pg_dump,
 * pg_restore): the config's conninfo, the password left out, dbname set.
 * *conninfo gets the string; *password_env gets "PGPASSWORD=..." when the
 * conninfo had a password, else NULL. Caller frees both. ALFUP_ERR with err
 * when the conninfo cannot be parsed. */
int db_conninfo_for_child(const agent_config_t *config, const char *dbname, char **conninfo,
                          char **password_env, alfup_err_t *err);

#endif
