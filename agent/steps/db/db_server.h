/* db_server.h -- which PostgreSQL server a db step works on, and whether two are the same server. */
#ifndef ALFUP_DB_SERVER_H
#define ALFUP_DB_SERVER_H

#include <limits.h>

#include "agent_config.h"
#include "alfup_error.h"
#include "step.h"

#define DB_SERVER_FOLDER "servers"
#define DB_SERVER_TEXT_MAX 256

/* A config whose postgres.conninfo is the server a step works on. For the
 * agent's own server (name NULL or "") it is the agent's config itself; for
 * postgres.servers.NAME it is a copy of the agent's config with that server's
 * conninfo and its own state_dir, <state_dir>/servers/NAME, so the guard's
 * records (db_guard.h) of one server never let a step drop a database of the
 * same name on another. Read-only: never passed to agent_config_destroy. */
typedef struct db_server_view {
    agent_config_t config;
    char state_dir[PATH_MAX];
    const char *name; /* "" for the agent's own server */
} db_server_view_t;

/* Fills view for server name. ALFUP_ERR with err when name is not one of the
 * agent config's postgres.servers (nothing from the wire names a conninfo). */
int db_server_view(const agent_config_t *config, const char *name, db_server_view_t *view,
                   alfup_err_t *err);

/* For a step with the optional param server: *sub is ctx working on that
 * server (its config the view's). STEP_SUCCEEDED, or STEP_REFUSED with ctx's
 * error set when the name is not configured. */
step_status_t db_server_step_context(step_context_t *ctx, db_server_view_t *view,
                                     step_context_t *sub);

/* What a server says about itself, as far as the connecting role may read it
 * ("" when it may not): system_identifier from pg_control_system(),
 * data_directory from pg_settings (superuser or pg_read_all_settings), port. */
typedef struct db_server_identity {
    char system_identifier[32];
    char data_directory[DB_SERVER_TEXT_MAX];
    char port[16];
} db_server_identity_t;

/* Whether the servers of configs a and b are one PostgreSQL server (*same 1)
 * or two (*same 0). Decided by a session: one is opened on b with a unique
 * application_name, and a looks for its pid and that name in pg_stat_activity
 * (any role sees both columns of every session). The identities are read too
 * and reported; when the session is seen but both sides read different
 * system_identifiers the test fails (equal identifiers with the session unseen
 * are a copy of one cluster, two servers). ALFUP_ERR with err when a server
 * cannot be reached or queried. */
int db_server_same(const agent_config_t *a, const agent_config_t *b, int *same,
                   db_server_identity_t *id_a, db_server_identity_t *id_b, alfup_err_t *err);

/* "system_identifier S, data_directory D, port P" ("unreadable" for a part
 * the role could not read) into out. */
void db_server_describe(const db_server_identity_t *id, char *out, size_t len);

#endif
