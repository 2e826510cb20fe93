/* gen_copy.c -- buffered COPY ... FROM STDIN over libpq for the database generator. */
#include "gen_copy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int gen_sql(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType status = PQresultStatus(res);
    PQclear(res);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return 0;
    fprintf(stderr, "gen-contentstore: %s: %s", sql, PQerrorMessage(conn));
    return -1;
}

int gen_copy_begin(gen_copy_t *copy, PGconn *conn, const char *table, const char *sql)
{
    *copy = (gen_copy_t){.conn = conn, .table = table, .data = malloc(GEN_COPY_BUFFER)};
    if (copy->data == NULL)
        return -1;
    PGresult *res = PQexec(conn, sql);
    ExecStatusType status = PQresultStatus(res);
    PQclear(res);
    if (status == PGRES_COPY_IN)
        return 0;
    fprintf(stderr, "gen-contentstore: %s: %s", sql, PQerrorMessage(conn));
    free(copy->data);
    copy->data = NULL;
    return -1;
}

static int flush(gen_copy_t *copy)
{
    if (copy->len > 0 && PQputCopyData(copy->conn, copy->data, (int)copy->len) != 1) {
        fprintf(stderr, "gen-contentstore: COPY %s: %s", copy->table, PQerrorMessage(copy->conn));
        return -1;
    }
    copy->bytes += copy->len;
    copy->len = 0;
    return 0;
}

int gen_copy_row(gen_copy_t *copy, const char *fmt, ...)
{
    if (GEN_COPY_BUFFER - copy->len < GEN_COPY_ROW_MAX && flush(copy) != 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(copy->data + copy->len, GEN_COPY_ROW_MAX - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= GEN_COPY_ROW_MAX - 1) {
        fprintf(stderr, "gen-contentstore: COPY %s: row too long\n", copy->table);
        return -1;
    }
    copy->len += (size_t)n;
    copy->data[copy->len++] = '\n';
    copy->rows++;
    return 0;
}

int gen_copy_end(gen_copy_t *copy)
{
    int rc = flush(copy);
    free(copy->data);
    copy->data = NULL;
    if (PQputCopyEnd(copy->conn, rc == 0 ? NULL : "generator failed") != 1)
        rc = -1;
    PGresult *res;
    while ((res = PQgetResult(copy->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
            fprintf(stderr, "gen-contentstore: COPY %s: %s", copy->table, PQerrorMessage(copy->conn));
            rc = -1;
        }
        PQclear(res);
    }
    return rc;
}
