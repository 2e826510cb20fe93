/* db_facts.h -- what a database held when dumped: schema number, row counts, size. */
#ifndef ALFUP_DB_FACTS_H
#define ALFUP_DB_FACTS_H

#include <stddef.h>
#include <stdint.h>

#include "alfup_error.h"
#include "db_conn.h"

/* The facts file inside a dump folder (see docs/steps-db.md for the format). */
#define DB_FACTS_FILE "alfup.facts"
#define DB_FACTS_MAX_BYTES (16u * 1024u * 1024u)
#define DB_FACTS_MAX_TABLES 100000u
/* Schema number recorded when the database has no alf_applied_patch rows. */
#define DB_FACTS_SCHEMA_NONE "none"

typedef struct db_table_count {
    char *schema; /* PostgreSQL schema (namespace), e.g. "public" */
    char *table;
    int64_t rows;
} db_table_count_t;

/* Zero-initialise; free with db_facts_clear. */
typedef struct db_facts {
    char *database;
    char *schema_number; /* decimal, or DB_FACTS_SCHEMA_NONE */
    int64_t db_size;     /* bytes, pg_database_size */
    uint64_t recorded_unix_ms;
    db_table_count_t *tables;
    size_t table_count;
    size_t table_capacity;
} db_facts_t;

/* Called after each table counted; may be NULL. */
typedef void (*db_facts_progress_fn)(void *arg, size_t done, size_t total);

/* Frees everything the facts own and zeroes them. */
void db_facts_clear(db_facts_t *facts);

/* Appends a copy of (schema, table, rows). ALFUP_ERR with err when out of
 * memory or over DB_FACTS_MAX_TABLES. */
int db_facts_add_table(db_facts_t *facts, const char *schema, const char *table, int64_t rows,
                       alfup_err_t *err);

/* The entry for schema.table, or NULL. */
const db_table_count_t *db_facts_find(const db_facts_t *facts, const char *schema,
                                      const char *table);

/* Sum of every table's rows. */
int64_t db_facts_total_rows(const db_facts_t *facts);

/* The installed Alfresco schema number of the connected database:
 * min(applied_to_schema) of alf_applied_patch over rows > -1, as a new
 * decimal string, or DB_FACTS_SCHEMA_NONE when the table or rows are absent.
 * Caller frees. ALFUP_ERR with err. */
int db_facts_schema_number(db_conn_t *conn, char **schema_number, alfup_err_t *err);

/* Exact count(*) of schema.table into *rows. ALFUP_ERR with err naming the table. */
int db_facts_count_table(db_conn_t *conn, const char *schema, const char *table, int64_t *rows,
                         alfup_err_t *err);

/* Checks the connected database, named database in messages, against want:
 * the schema number, then every table's exact row count. origin says where
 * want came from, as the words before its value ("the dump recorded", "the
 * source alfresco had"): ALFUP_ERR with err naming the database, the table,
 * what was found and origin's value, or the query's error. */
int db_facts_verify(db_conn_t *conn, const char *database, const db_facts_t *want,
                    const char *origin, alfup_err_t *err);

/* Fills empty facts from the connected database: name, schema number, size,
 * and an exact row count of every user table (run inside the transaction
 * whose snapshot the dump uses, for facts that match the dump exactly).
 * On failure the facts are cleared and err says why. */
int db_facts_collect(db_conn_t *conn, db_facts_t *facts, db_facts_progress_fn progress,
                     void *progress_arg, alfup_err_t *err);

/* The facts as text in the documented format; *text is new (caller frees). */
int db_facts_format(const db_facts_t *facts, char **text, size_t *len, alfup_err_t *err);

/* Parses len bytes of text (untrusted; refused over DB_FACTS_MAX_BYTES) into
 * empty facts. ALFUP_ERR with err naming the line; the facts are cleared. */
int db_facts_parse(const char *text, size_t len, db_facts_t *facts, alfup_err_t *err);

/* Writes durably to / reads from path. Same contracts as format and parse;
 * reading a missing file is an error naming it. */
int db_facts_write(const db_facts_t *facts, const char *path, alfup_err_t *err);
int db_facts_read(const char *path, db_facts_t *facts, alfup_err_t *err);

#endif
