/* db_admin.h -- whole-database operations: exists, create, drop, end sessions. */
#ifndef ALFUP_DB_ADMIN_H
#define ALFUP_DB_ADMIN_H

#include <stdint.h>

#include "db_conn.h"

/* How long db_admin_terminate_sessions waits for terminated sessions to go. */
#define DB_SESSION_EXIT_WAIT_MS 10000u

/* 1 when database name exists, 0 when not, ALFUP_ERR with err. */
int db_admin_database_exists(db_conn_t *admin, const char *name, alfup_err_t *err);

/* 1 when role name exists, 0 when not, ALFUP_ERR with err. */
int db_admin_role_exists(db_conn_t *admin, const char *name, alfup_err_t *err);

/* The owner of database name into *owner (caller frees). ALFUP_ERR with err. */
int db_admin_database_owner(db_conn_t *admin, const char *name, char **owner, alfup_err_t *err);

/* Terminates every other session on database name (pg_terminate_backend) and
 * waits up to DB_SESSION_EXIT_WAIT_MS for them to end. *terminated (may be
 * NULL) gets how many were signalled. ALFUP_ERR with err when some remain. */
int db_admin_terminate_sessions(db_conn_t *admin, const char *name, int64_t *terminated,
                                alfup_err_t *err);

/* Stops new connections to name, terminates its sessions and drops it. On
 * failure connections are allowed again (best effort) and err says why. The
 * caller has checked that dropping name is allowed (guard, source, system). */
int db_admin_drop_database(db_conn_t *admin, const char *name, int64_t *terminated,
                           alfup_err_t *err);

/* CREATE DATABASE name OWNER owner TEMPLATE template0. ALFUP_ERR with err. */
int db_admin_create_database(db_conn_t *admin, const char *name, const char *owner,
                             alfup_err_t *err);

/* Servers from this version on take CREATE DATABASE ... STRATEGY. */
#define DB_STRATEGY_VERSION 150000

/* CREATE DATABASE name TEMPLATE template OWNER owner, with STRATEGY FILE_COPY
 * on servers from 15 on (before 15 a template copy is always a file copy, and
 * the clause does not exist). Fails when anyone is connected to template.
 * Cancellable through the connection's cancel flag (PQcancel; the server then
 * removes what it copied). ALFUP_ERR with err (the server's message). */
int db_admin_copy_database(db_conn_t *admin, const char *name, const char *template,
                           const char *owner, alfup_err_t *err);

/* pg_database_size(name) into *bytes. ALFUP_ERR with err. */
int db_admin_database_size(db_conn_t *admin, const char *name, int64_t *bytes, alfup_err_t *err);

#endif
