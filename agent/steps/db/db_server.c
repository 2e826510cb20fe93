/* db_server.c -- the server a db step works on (the agent's own or postgres.servers.NAME), and the
 * same-server test the database copy chooses its method by. */
#include "db_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db_conn.h"

int db_server_view(const agent_config_t *config, const char *name, db_server_view_t *view,
                   alfup_err_t *err)
{
    memset(view, 0, sizeof *view);
    view->config = *config;
    view->name = "";
    if (name == NULL || name[0] == '\0')
        return ALFUP_OK;
    const agent_pg_server_t *server = agent_config_pg_server(config, name);
    if (server == NULL)
        return alfup_err_set(err, "server %.100s is not one of this agent's postgres.servers", name);
    if (config->state_dir == NULL)
        return alfup_err_set(err, "server %s: the agent config has no state_dir", name);
    int n = snprintf(view->state_dir, sizeof view->state_dir, "%s/%s/%s", config->state_dir,
                     DB_SERVER_FOLDER, server->name);
    if (n < 0 || (size_t)n >= sizeof view->state_dir)
        return alfup_err_set(err, "server %s: state_dir path too long", name);
    view->config.postgres.conninfo = server->conninfo;
    view->config.state_dir = view->state_dir;
    view->name = server->name;
    return ALFUP_OK;
}

step_status_t db_server_step_context(step_context_t *ctx, db_server_view_t *view,
                                     step_context_t *sub)
{
    alfup_err_t err;
    *sub = *ctx;
    if (db_server_view(ctx->config, kv_list_get(ctx->params, "server"), view, &err) != ALFUP_OK)
        return step_fail(ctx, STEP_REFUSED, "%s: %s", ctx->step_id, err.msg);
    sub->config = &view->config;
    return STEP_SUCCEEDED;
}

/* The first value of query's first row into out ("" for no row, NULL or an error: not readable). */
static void read_text(db_conn_t *conn, const char *query, char *out, size_t len)
{
    alfup_err_t ignored;
    out[0] = '\0';
    PGresult *res = db_conn_query(conn, query, 0, NULL, &ignored);
    if (res != NULL && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
        snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

static void read_identity(db_conn_t *conn, db_server_identity_t *id)
{
    read_text(conn, "select system_identifier::text from pg_catalog.pg_control_system()",
              id->system_identifier, sizeof id->system_identifier);
    read_text(conn, "select setting from pg_catalog.pg_settings where name = 'data_directory'",
              id->data_directory, sizeof id->data_directory);
    read_text(conn, "select current_setting('port')", id->port, sizeof id->port);
}

/* Marks b's session with a name no other session has, and looks for it from a. */
static int session_seen(db_conn_t *a, db_conn_t *b, int *seen, alfup_err_t *err)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char token[64], pid[24];
    snprintf(token, sizeof token, "alfup-same-server-%ld-%lld-%ld", (long)getpid(),
             (long long)now.tv_sec, now.tv_nsec);
    const char *set_params[] = {token};
    int64_t backend = 0, found = 0;
    if (db_conn_exec(b, "select pg_catalog.set_config('application_name', $1, false)", 1,
                     set_params, err) != ALFUP_OK ||
        db_conn_query_int64(b, "select pg_catalog.pg_backend_pid()", 0, NULL, &backend, NULL,
                            err) != ALFUP_OK)
        return ALFUP_ERR;
    snprintf(pid, sizeof pid, "%lld", (long long)backend);
    const char *params[] = {pid, token};
    if (db_conn_query_int64(a,
                            "select count(*) from pg_catalog.pg_stat_activity "
                            "where pid = $1::int and application_name = $2",
                            2, params, &found, NULL, err) != ALFUP_OK)
        return ALFUP_ERR;
    *seen = found > 0;
    return ALFUP_OK;
}

int db_server_same(const agent_config_t *a, const agent_config_t *b, int *same,
                   db_server_identity_t *id_a, db_server_identity_t *id_b, alfup_err_t *err)
{
    db_conn_t *conn_a = db_conn_open(a, DB_MAINTENANCE_DATABASE, NULL, err);
    db_conn_t *conn_b = conn_a ? db_conn_open(b, DB_MAINTENANCE_DATABASE, NULL, err) : NULL;
    int rc = conn_b ? session_seen(conn_a, conn_b, same, err) : ALFUP_ERR;
    if (rc == ALFUP_OK) {
        read_identity(conn_a, id_a);
        read_identity(conn_b, id_b);
        /* Equal identifiers with the session unseen is a copy of a cluster (a promoted
         * standby, a restored base backup): two servers, as the session says. */
        if (*same && id_a->system_identifier[0] && id_b->system_identifier[0] &&
            strcmp(id_a->system_identifier, id_b->system_identifier) != 0)
            rc = alfup_err_set(err,
                               "the session test found one server, but its system_identifier "
                               "differs (%s, %s)",
                               id_a->system_identifier, id_b->system_identifier);
    }
    db_conn_destroy(&conn_b);
    db_conn_destroy(&conn_a);
    return rc;
}

void db_server_describe(const db_server_identity_t *id, char *out, size_t len)
{
    snprintf(out, len, "system_identifier %s, data_directory %.200s, port %s",
             id->system_identifier[0] ? id->system_identifier : "unreadable",
             id->data_directory[0] ? id->data_directory : "unreadable",
             id->port[0] ? id->port : "unreadable");
}
