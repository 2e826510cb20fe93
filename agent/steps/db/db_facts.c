/* db_facts.c -- collecting a database's schema number, size and exact row counts. */
#include "db_facts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

/* User tables (plain and partitioned), outside the system schemas. */
static const char TABLES_SQL[] =
    "select n.nspname, c.relname from pg_catalog.pg_class c "
    "join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
    "where c.relkind in ('r', 'p') and n.nspname <> 'information_schema' "
    "and n.nspname !~ '^pg_' order by 1, 2";

/* Where alf_applied_patch lives; public first when there are several. */
static const char PATCH_TABLE_SQL[] =
    "select n.nspname from pg_catalog.pg_class c "
    "join pg_catalog.pg_namespace n on n.oid = c.relnamespace "
    "where c.relname = 'alf_applied_patch' and c.relkind in ('r', 'p') "
    "and n.nspname !~ '^pg_' order by (n.nspname = 'public') desc, 1 limit 1";

void db_facts_clear(db_facts_t *facts)
{
    for (size_t i = 0; i < facts->table_count; i++) {
        free(facts->tables[i].schema);
        free(facts->tables[i].table);
    }
    free(facts->tables);
    free(facts->database);
    free(facts->schema_number);
    memset(facts, 0, sizeof *facts);
}

int db_facts_add_table(db_facts_t *facts, const char *schema, const char *table, int64_t rows,
                       alfup_err_t *err)
{
    if (facts->table_count >= DB_FACTS_MAX_TABLES)
        return alfup_err_set(err, "more than %u tables", DB_FACTS_MAX_TABLES);
    if (facts->table_count == facts->table_capacity) {
        size_t capacity = facts->table_capacity ? facts->table_capacity * 2 : 16;
        db_table_count_t *grown = realloc(facts->tables, capacity * sizeof *grown);
        if (grown == NULL)
            return alfup_err_set(err, "out of memory");
        facts->tables = grown;
        facts->table_capacity = capacity;
    }
    db_table_count_t *entry = &facts->tables[facts->table_count];
    entry->schema = strdup(schema);
    entry->table = strdup(table);
    entry->rows = rows;
    if (entry->schema == NULL || entry->table == NULL) {
        free(entry->schema);
        free(entry->table);
        return alfup_err_set(err, "out of memory");
    }
    facts->table_count++;
    return ALFUP_OK;
}

const db_table_count_t *db_facts_find(const db_facts_t *facts, const char *schema,
                                      const char *table)
{
    for (size_t i = 0; i < facts->table_count; i++)
        if (strcmp(facts->tables[i].schema, schema) == 0 &&
            strcmp(facts->tables[i].table, table) == 0)
            return &facts->tables[i];
    return NULL;
}

int64_t db_facts_total_rows(const db_facts_t *facts)
{
    int64_t total = 0;
    for (size_t i = 0; i < facts->table_count; i++)
        total += facts->tables[i].rows;
    return total;
}

/* "select <expr> from <schema>.<table><tail>" with both names quoted. */
static char *table_sql(db_conn_t *conn, const char *expr, const char *schema, const char *table,
                       const char *tail, alfup_err_t *err)
{
    char *qschema = db_conn_quote_ident(conn, schema, err);
    char *qtable = qschema ? db_conn_quote_ident(conn, table, err) : NULL;
    char *sql = NULL;
    if (qtable != NULL &&
        asprintf(&sql, "select %s from %s.%s%s", expr, qschema, qtable, tail) < 0) {
        sql = NULL;
        alfup_err_set(err, "out of memory");
    }
    free(qschema);
    free(qtable);
    return sql;
}

int db_facts_schema_number(db_conn_t *conn, char **schema_number, alfup_err_t *err)
{
    *schema_number = NULL;
    PGresult *res = db_conn_query(conn, PATCH_TABLE_SQL, 0, NULL, err);
    if (res == NULL)
        return ALFUP_ERR;
    char *sql = NULL;
    int rc = ALFUP_OK;
    int64_t number = 0;
    int is_null = 1;
    if (PQntuples(res) == 1) {
        sql = table_sql(conn, "min(applied_to_schema)", PQgetvalue(res, 0, 0), "alf_applied_patch",
                        " where applied_to_schema > -1", err);
        if (sql == NULL ||
            db_conn_query_int64(conn, sql, 0, NULL, &number, &is_null, err) != ALFUP_OK)
            rc = ALFUP_ERR;
    }
    if (rc == ALFUP_OK) {
        if (is_null)
            *schema_number = strdup(DB_FACTS_SCHEMA_NONE);
        else if (asprintf(schema_number, "%" PRId64, number) < 0)
            *schema_number = NULL;
        if (*schema_number == NULL)
            rc = alfup_err_set(err, "out of memory");
    }
    free(sql);
    PQclear(res);
    return rc == ALFUP_OK ? ALFUP_OK
                          : alfup_err_prefix(err, "schema number of %s", db_conn_database(conn));
}

int db_facts_count_table(db_conn_t *conn, const char *schema, const char *table, int64_t *rows,
                         alfup_err_t *err)
{
    char *sql = table_sql(conn, "count(*)", schema, table, "", err);
    int rc = sql ? db_conn_query_int64(conn, sql, 0, NULL, rows, NULL, err) : ALFUP_ERR;
    free(sql);
    if (rc != ALFUP_OK)
        return alfup_err_prefix(err, "count rows of table %s.%s", schema, table);
    return ALFUP_OK;
}

int db_facts_verify(db_conn_t *conn, const char *database, const db_facts_t *want,
                    const char *origin, alfup_err_t *err)
{
    char *schema_number = NULL;
    int rc = db_facts_schema_number(conn, &schema_number, err);
    if (rc == ALFUP_OK && strcmp(schema_number, want->schema_number) != 0)
        rc = alfup_err_set(err, "database %s: schema number %s, %s %s", database, schema_number,
                           origin, want->schema_number);
    for (size_t i = 0; rc == ALFUP_OK && i < want->table_count; i++) {
        const db_table_count_t *table = &want->tables[i];
        int64_t rows = 0;
        rc = db_facts_count_table(conn, table->schema, table->table, &rows, err);
        if (rc == ALFUP_OK && rows != table->rows)
            rc = alfup_err_set(err, "database %s: table %s.%s has %" PRId64 " rows, %s %" PRId64,
                               database, table->schema, table->table, rows, origin, table->rows);
    }
    free(schema_number);
    return rc;
}

static int collect_tables(db_conn_t *conn, db_facts_t *facts, db_facts_progress_fn progress,
                          void *progress_arg, alfup_err_t *err)
{
    PGresult *res = db_conn_query(conn, TABLES_SQL, 0, NULL, err);
    if (res == NULL)
        return ALFUP_ERR;
    int rc = ALFUP_OK;
    size_t total = (size_t)PQntuples(res);
    for (size_t i = 0; i < total && rc == ALFUP_OK; i++) {
        const char *schema = PQgetvalue(res, (int)i, 0);
        const char *table = PQgetvalue(res, (int)i, 1);
        int64_t rows = 0;
        rc = db_facts_count_table(conn, schema, table, &rows, err);
        if (rc == ALFUP_OK)
            rc = db_facts_add_table(facts, schema, table, rows, err);
        if (rc == ALFUP_OK && progress != NULL)
            progress(progress_arg, i + 1, total);
    }
    PQclear(res);
    return rc;
}

int db_facts_collect(db_conn_t *conn, db_facts_t *facts, db_facts_progress_fn progress,
                     void *progress_arg, alfup_err_t *err)
{
    const char *name = db_conn_database(conn);
    facts->recorded_unix_ms = alfup_now_unix_ms();
    if ((facts->database = strdup(name)) == NULL) {
        alfup_err_set(err, "database %s: out of memory", name);
        goto fail;
    }
    if (db_facts_schema_number(conn, &facts->schema_number, err) != ALFUP_OK ||
        db_conn_query_int64(conn, "select pg_catalog.pg_database_size(current_database())", 0, NULL,
                            &facts->db_size, NULL, err) != ALFUP_OK ||
        collect_tables(conn, facts, progress, progress_arg, err) != ALFUP_OK)
        goto fail;
    return ALFUP_OK;
fail:
    db_facts_clear(facts);
    return ALFUP_ERR;
}
