/* db_sessions.c -- listing the clients connected to a database (pg_stat_activity). */
#include "db_sessions.h"

#include <stdio.h>
#include <string.h>

#define CLIENT_TEXT_MAX 64

/* Other sessions of $1, oldest first. Autovacuum workers are left out: CREATE
 * DATABASE ... TEMPLATE ends them itself. */
static const char SESSIONS_SQL[] =
    "select pid, coalesce(usename, ''), coalesce(application_name, ''), "
    "coalesce(pg_catalog.host(client_addr), 'local socket'), "
    "coalesce(to_char(backend_start at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '?') "
    "from pg_catalog.pg_stat_activity where datname = $1 "
    "and pid <> pg_catalog.pg_backend_pid() "
    "and coalesce(backend_type, '') <> 'autovacuum worker' order by backend_start, pid";

/* text cut to CLIENT_TEXT_MAX bytes with control bytes replaced, into out. */
static void printable(const char *text, char *out, size_t len)
{
    size_t i = 0;
    for (; text[i] != '\0' && i < CLIENT_TEXT_MAX && i + 1 < len; i++)
        out[i] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? '?' : text[i];
    out[i] = '\0';
}

int db_sessions_list(db_conn_t *admin, const char *name, str_list_t *clients, alfup_err_t *err)
{
    const char *params[] = {name};
    PGresult *res = db_conn_query(admin, SESSIONS_SQL, 1, params, err);
    if (res == NULL)
        return alfup_err_prefix(err, "sessions on %s", name);
    int rc = ALFUP_OK;
    for (int row = 0; row < PQntuples(res) && rc == ALFUP_OK; row++) {
        char user[CLIENT_TEXT_MAX + 1], app[CLIENT_TEXT_MAX + 1];
        printable(PQgetvalue(res, row, 1), user, sizeof user);
        printable(PQgetvalue(res, row, 2), app, sizeof app);
        if (str_list_addf(clients, "pid %s user %s application '%s' from %s since %s",
                          PQgetvalue(res, row, 0), user, app, PQgetvalue(res, row, 3),
                          PQgetvalue(res, row, 4)) != 0)
            rc = alfup_err_set(err, "sessions on %s: out of memory", name);
    }
    PQclear(res);
    return rc;
}

void db_sessions_summary(const str_list_t *clients, char *buf, size_t len)
{
    size_t used = 0;
    int n = snprintf(buf, len, "%zu session%s: ", clients->count, clients->count == 1 ? "" : "s");
    for (size_t i = 0; n >= 0 && i < clients->count && i < DB_SESSIONS_SUMMARY_MAX; i++) {
        used += (size_t)n;
        if (used >= len)
            return;
        n = snprintf(buf + used, len - used, "%s%s", i ? "; " : "", clients->items[i]);
    }
    used += n >= 0 ? (size_t)n : 0;
    if (clients->count > DB_SESSIONS_SUMMARY_MAX && used < len)
        snprintf(buf + used, len - used, "; and %zu more",
                 clients->count - DB_SESSIONS_SUMMARY_MAX);
}
