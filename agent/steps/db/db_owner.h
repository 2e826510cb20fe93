/* db_owner.h -- give every object of a copied database to one role, as pg_restore --no-owner --role does. */
#ifndef ALFUP_DB_OWNER_H
#define ALFUP_DB_OWNER_H

#include <stdint.h>

#include "db_conn.h"

/* In the connected database, in one transaction: ALTER ... OWNER TO owner for
 * every schema (outside pg_* and information_schema; one owned by
 * pg_database_owner is left so), table, partitioned table, view, materialized
 * view, foreign table, sequence (those owned by a table column follow the
 * table), type (enum, domain, range, standalone composite), function,
 * procedure, aggregate and large object owned by another role. *changed gets
 * how many statements ran. owner must be a validated, existing role.
 * ALFUP_OK, or ALFUP_ERR with err naming the object (nothing changed). */
int db_owner_reassign(db_conn_t *conn, const char *owner, int64_t *changed, alfup_err_t *err);

/* ALFUP_OK when no object of the classes above is owned by another role and
 * pg_shdepend records no other owner in this database (default privileges
 * aside); else ALFUP_ERR with err naming the first such object and its owner. */
int db_owner_check(db_conn_t *conn, const char *owner, alfup_err_t *err);

#endif
