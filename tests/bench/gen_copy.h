/* gen_copy.h -- buffered COPY ... FROM STDIN over libpq for the database generator. */
#ifndef ALFUP_GEN_COPY_H
#define ALFUP_GEN_COPY_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#define GEN_COPY_BUFFER (256u * 1024u)
#define GEN_COPY_ROW_MAX 4096u

typedef struct gen_copy {
    PGconn *conn;
    const char *table; /* for messages */
    char *data;        /* GEN_COPY_BUFFER bytes */
    size_t len;
    uint64_t bytes; /* sent so far */
    uint64_t rows;
} gen_copy_t;

/* Runs sql (a COPY ... FROM STDIN) on conn. 0, or -1 with a message on stderr. */
int gen_copy_begin(gen_copy_t *copy, PGconn *conn, const char *table, const char *sql);

/* Appends one row (printf-style, without the newline; fields tab-separated,
 * \N for NULL; the caller makes sure no field needs escaping). 0 or -1. */
int gen_copy_row(gen_copy_t *copy, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sends the rest, ends the COPY and checks the server's answer; frees the
 * buffer in every case. 0 or -1. */
int gen_copy_end(gen_copy_t *copy);

/* Runs one statement; 0, or -1 with the statement and the server's message on stderr. */
int gen_sql(PGconn *conn, const char *sql);

#endif
