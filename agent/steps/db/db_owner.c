/* db_owner.c -- reassigning and checking the owners of a copied database's objects. */
#include "db_owner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every statement FOREIGN_OWNED_SQL builds starts so; messages name the object after it. */
#define ALTER_PREFIX "alter "

/* Every object of the classes pg_restore --no-owner --role gives to the role,
 * owned by someone else: (the ALTER statement up to "owner to", its owner).
 * Catalog names are quoted by format's %I (quote_ident). $1 is the owner. */
static const char FOREIGN_OWNED_SQL[] =
    "with target as (select oid from pg_catalog.pg_roles where rolname = $1), "
    "user_ns as (select oid, nspname, nspowner from pg_catalog.pg_namespace "
    "  where nspname !~ '^pg_' and nspname <> 'information_schema') "
    "select 1, format('alter schema %I', n.nspname), pg_catalog.pg_get_userbyid(n.nspowner) "
    "  from user_ns n where n.nspowner <> (select oid from target) "
    "  and pg_catalog.pg_get_userbyid(n.nspowner) <> 'pg_database_owner' "
    "union all "
    "select 2, format('alter %s %I.%I', case c.relkind when 'v' then 'view' "
    "  when 'm' then 'materialized view' when 'S' then 'sequence' "
    "  when 'f' then 'foreign table' else 'table' end, n.nspname, c.relname), "
    "  pg_catalog.pg_get_userbyid(c.relowner) "
    "  from pg_catalog.pg_class c join user_ns n on n.oid = c.relnamespace "
    "  where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and c.relowner <> (select oid from target) "
    "  and not (c.relkind = 'S' and exists (select from pg_catalog.pg_depend d "
    "    where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid "
    "    and d.refclassid = 'pg_catalog.pg_class'::regclass and d.deptype in ('a', 'i'))) "
    "union all "
    "select 3, format('alter %s %I.%I', case t.typtype when 'd' then 'domain' else 'type' end, "
    "  n.nspname, t.typname), pg_catalog.pg_get_userbyid(t.typowner) "
    "  from pg_catalog.pg_type t join user_ns n on n.oid = t.typnamespace "
    "  left join pg_catalog.pg_class r on r.oid = t.typrelid "
    "  where t.typowner <> (select oid from target) "
    "  and (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and r.relkind = 'c')) "
    "union all "
    "select 4, format('alter %s %I.%I(%s)', case p.prokind when 'a' then 'aggregate' "
    "  when 'p' then 'procedure' else 'function' end, n.nspname, p.proname, "
    "  pg_catalog.pg_get_function_identity_arguments(p.oid)), pg_catalog.pg_get_userbyid(p.proowner) "
    "  from pg_catalog.pg_proc p join user_ns n on n.oid = p.pronamespace "
    "  where p.proowner <> (select oid from target) "
    "union all "
    "select 5, format('alter large object %s', l.oid), pg_catalog.pg_get_userbyid(l.lomowner) "
    "  from pg_catalog.pg_largeobject_metadata l where l.lomowner <> (select oid from target) "
    "order by 1, 2";

/* Any other object whose owner pg_shdepend records (roles created by initdb,
 * such as the bootstrap superuser, are not recorded there). */
static const char OTHER_OWNED_SQL[] =
    "select pg_catalog.pg_describe_object(s.classid, s.objid, s.objsubid), "
    "  pg_catalog.pg_get_userbyid(s.refobjid) from pg_catalog.pg_shdepend s "
    "  join pg_catalog.pg_database d on d.oid = s.dbid "
    "  where d.datname = pg_catalog.current_database() and s.deptype = 'o' "
    "  and s.classid <> 'pg_catalog.pg_default_acl'::regclass "
    "  and s.refobjid <> (select oid from pg_catalog.pg_roles where rolname = $1) "
    "  order by 1 limit 1";

static int run_alters(db_conn_t *conn, PGresult *res, const char *quoted_owner, int64_t *changed,
                      alfup_err_t *err)
{
    for (int row = 0; row < PQntuples(res); row++) {
        char *sql = NULL;
        if (asprintf(&sql, "%s owner to %s", PQgetvalue(res, row, 1), quoted_owner) < 0)
            return alfup_err_set(err, "out of memory");
        int rc = db_conn_exec(conn, sql, 0, NULL, err);
        free(sql);
        if (rc != ALFUP_OK)
            return alfup_err_prefix(err, "%s (owned by %s)", PQgetvalue(res, row, 1),
                                    PQgetvalue(res, row, 2));
        (*changed)++;
    }
    return ALFUP_OK;
}

int db_owner_reassign(db_conn_t *conn, const char *owner, int64_t *changed, alfup_err_t *err)
{
    const char *params[] = {owner};
    *changed = 0;
    char *quoted_owner = db_conn_quote_ident(conn, owner, err);
    if (quoted_owner == NULL)
        return ALFUP_ERR;
    PGresult *res = NULL;
    int rc = db_conn_exec(conn, "begin", 0, NULL, err);
    if (rc == ALFUP_OK && (res = db_conn_query(conn, FOREIGN_OWNED_SQL, 1, params, err)) == NULL)
        rc = ALFUP_ERR;
    if (rc == ALFUP_OK)
        rc = run_alters(conn, res, quoted_owner, changed, err);
    if (rc == ALFUP_OK)
        rc = db_conn_exec(conn, "commit", 0, NULL, err);
    if (rc != ALFUP_OK) {
        alfup_err_t ignored;
        db_conn_exec(conn, "rollback", 0, NULL, &ignored);
        *changed = 0;
    }
    PQclear(res);
    free(quoted_owner);
    return rc == ALFUP_OK ? ALFUP_OK
                          : alfup_err_prefix(err, "give the objects of %s to %s",
                                             db_conn_database(conn), owner);
}

int db_owner_check(db_conn_t *conn, const char *owner, alfup_err_t *err)
{
    const char *params[] = {owner};
    PGresult *res = db_conn_query(conn, FOREIGN_OWNED_SQL, 1, params, err);
    if (res == NULL)
        return alfup_err_prefix(err, "owners in %s", db_conn_database(conn));
    int rc = ALFUP_OK;
    if (PQntuples(res) > 0)
        rc = alfup_err_set(err, "database %s: %d objects not owned by %s, first: %s owned by %s",
                           db_conn_database(conn), PQntuples(res), owner, PQgetvalue(res, 0, 1) + strlen(ALTER_PREFIX),
                           PQgetvalue(res, 0, 2));
    PQclear(res);
    if (rc != ALFUP_OK || (res = db_conn_query(conn, OTHER_OWNED_SQL, 1, params, err)) == NULL)
        return rc != ALFUP_OK ? rc : alfup_err_prefix(err, "owners in %s", db_conn_database(conn));
    if (PQntuples(res) > 0)
        rc = alfup_err_set(err, "database %s: %s is owned by %s, not %s (alfup does not reassign "
                           "objects of that kind)",
                           db_conn_database(conn), PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                           owner);
    PQclear(res);
    return rc;
}
