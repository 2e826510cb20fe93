/* db_sessions.h -- who is connected to a database: the clients named in a refusal. */
#ifndef ALFUP_DB_SESSIONS_H
#define ALFUP_DB_SESSIONS_H

#include <stddef.h>

#include "db_conn.h"
#include "str_list.h"

/* At most this many clients are named in a one-line summary. */
#define DB_SESSIONS_SUMMARY_MAX 4u

/* Lists the sessions on database name other than the caller's own and
 * autovacuum workers (PostgreSQL ends those itself): one line per client into
 * *clients (appended), "pid 4242 user alfresco application 'psql' from
 * 127.0.0.1 since 2026-12-07T21:00:00Z", oldest first. Client-chosen text
 * (application_name) is cut to 64 bytes, control bytes shown as '?'.
 * ALFUP_OK (an empty list when nobody is connected) or ALFUP_ERR with err. */
int db_sessions_list(db_conn_t *admin, const char *name, str_list_t *clients, alfup_err_t *err);

/* "N session(s): <first DB_SESSIONS_SUMMARY_MAX lines joined by '; '>[; and M more]"
 * into buf (truncated to len). */
void db_sessions_summary(const str_list_t *clients, char *buf, size_t len);

#endif
