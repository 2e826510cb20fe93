/* db_facts_file.c -- the facts file: a strict line format with size limits.
 *
 *   alfup-db-facts 1
 *   database <name>
 *   schema_number <digits|none>
 *   db_size <digits>
 *   recorded_unix_ms <digits>
 *   tables <count>
 *   table <schema> <table> <rows>      (count lines)
 *   end
 *
 * Names are percent-encoded: bytes outside [A-Za-z0-9_] become %XX. */
#include "db_facts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_util.h"
#include "hex_digits.h"

#define FACTS_MAGIC "alfup-db-facts 1"
#define FACTS_LINE_MAX 1024u
#define FACTS_NAME_MAX 63u
#define FACTS_DIGITS_MAX 19u
#define FACTS_FILE_MODE 0644

static int plain_byte(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static void put_name(FILE *out, const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (plain_byte(*p))
            fputc(*p, out);
        else
            fprintf(out, "%%%02X", *p);
    }
}

int db_facts_format(const db_facts_t *facts, char **text, size_t *len, alfup_err_t *err)
{
    *text = NULL;
    *len = 0;
    FILE *out = open_memstream(text, len);
    if (out == NULL)
        return alfup_err_errno(err, errno, "facts");
    fprintf(out, "%s\ndatabase ", FACTS_MAGIC);
    put_name(out, facts->database ? facts->database : "");
    fprintf(out,
            "\nschema_number %s\ndb_size %" PRId64 "\nrecorded_unix_ms %" PRIu64 "\ntables %zu\n",
            facts->schema_number ? facts->schema_number : DB_FACTS_SCHEMA_NONE, facts->db_size,
            facts->recorded_unix_ms, facts->table_count);
    for (size_t i = 0; i < facts->table_count; i++) {
        fputs("table ", out);
        put_name(out, facts->tables[i].schema);
        fputc(' ', out);
        put_name(out, facts->tables[i].table);
        fprintf(out, " %" PRId64 "\n", facts->tables[i].rows);
    }
    fputs("end\n", out);
    if (fclose(out) != 0) {
        free(*text);
        *text = NULL;
        return alfup_err_set(err, "facts: out of memory");
    }
    return ALFUP_OK;
}

/* Decodes a percent-encoded name of len bytes into out (FACTS_NAME_MAX + 1). */
static int decode_name(const char *text, size_t len, char *out)
{
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)text[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            c = hex_pair_value(text + i + 1);
            if (c < 0)
                return -1;
            i += 2;
        } else if (!plain_byte((unsigned char)c)) {
            return -1;
        }
        if (c == 0 || used >= FACTS_NAME_MAX)
            return -1;
        out[used++] = (char)c;
    }
    out[used] = '\0';
    return used > 0 ? 0 : -1;
}

/* A non-negative decimal of len bytes (at most FACTS_DIGITS_MAX digits). */
static int parse_count(const char *text, size_t len, int64_t *value)
{
    if (len == 0 || len > FACTS_DIGITS_MAX)
        return -1;
    int64_t result = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        if (result > (INT64_MAX - (text[i] - '0')) / 10)
            return -1;
        result = result * 10 + (text[i] - '0');
    }
    *value = result;
    return 0;
}

/* A cursor over the text, one line at a time. */
typedef struct facts_reader {
    const char *text;
    size_t len, pos;
    unsigned line_no;
    const char *line; /* current line, not NUL-terminated */
    size_t line_len;
} facts_reader_t;

static int next_line(facts_reader_t *reader, alfup_err_t *err)
{
    reader->line_no++;
    const char *start = reader->text + reader->pos;
    const char *newline = memchr(start, '\n', reader->len - reader->pos);
    if (newline == NULL)
        return alfup_err_set(err, "line %u: missing or unterminated", reader->line_no);
    reader->line = start;
    reader->line_len = (size_t)(newline - start);
    if (reader->line_len > FACTS_LINE_MAX)
        return alfup_err_set(err, "line %u: longer than %u bytes", reader->line_no, FACTS_LINE_MAX);
    reader->pos += reader->line_len + 1;
    return ALFUP_OK;
}

/* Reads "<key> <value>" and points *value at the value (value_len bytes). */
static int keyed_line(facts_reader_t *reader, const char *key, const char **value,
                      size_t *value_len, alfup_err_t *err)
{
    if (next_line(reader, err) != ALFUP_OK)
        return ALFUP_ERR;
    size_t key_len = strlen(key);
    if (reader->line_len <= key_len + 1 || memcmp(reader->line, key, key_len) != 0 ||
        reader->line[key_len] != ' ')
        return alfup_err_set(err, "line %u: expected '%s <value>'", reader->line_no, key);
    *value = reader->line + key_len + 1;
    *value_len = reader->line_len - key_len - 1;
    return ALFUP_OK;
}

static int keyed_count(facts_reader_t *reader, const char *key, int64_t *count, alfup_err_t *err)
{
    const char *value;
    size_t value_len;
    if (keyed_line(reader, key, &value, &value_len, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (parse_count(value, value_len, count) != 0)
        return alfup_err_set(err, "line %u: %s is not a number", reader->line_no, key);
    return ALFUP_OK;
}

static int parse_header(facts_reader_t *reader, db_facts_t *facts, int64_t *tables,
                        alfup_err_t *err)
{
    char name[FACTS_NAME_MAX + 1];
    const char *value;
    size_t value_len;
    int64_t number = 0;
    if (next_line(reader, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (reader->line_len != strlen(FACTS_MAGIC) ||
        memcmp(reader->line, FACTS_MAGIC, reader->line_len) != 0)
        return alfup_err_set(err, "line 1: not an alfup facts file (expected '%s')", FACTS_MAGIC);
    if (keyed_line(reader, "database", &value, &value_len, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (decode_name(value, value_len, name) != 0)
        return alfup_err_set(err, "line %u: malformed database name", reader->line_no);
    if ((facts->database = strdup(name)) == NULL)
        return alfup_err_set(err, "out of memory");
    if (keyed_line(reader, "schema_number", &value, &value_len, err) != ALFUP_OK)
        return ALFUP_ERR;
    int none = value_len == strlen(DB_FACTS_SCHEMA_NONE) &&
               memcmp(value, DB_FACTS_SCHEMA_NONE, value_len) == 0;
    if (!none && parse_count(value, value_len, &number) != 0)
        return alfup_err_set(err, "line %u: schema_number is neither a number nor '%s'",
                             reader->line_no, DB_FACTS_SCHEMA_NONE);
    if ((facts->schema_number = strndup(value, value_len)) == NULL)
        return alfup_err_set(err, "out of memory");
    if (keyed_count(reader, "db_size", &facts->db_size, err) != ALFUP_OK ||
        keyed_count(reader, "recorded_unix_ms", &number, err) != ALFUP_OK)
        return ALFUP_ERR;
    facts->recorded_unix_ms = (uint64_t)number;
    if (keyed_count(reader, "tables", tables, err) != ALFUP_OK)
        return ALFUP_ERR;
    if (*tables > (int64_t)DB_FACTS_MAX_TABLES)
        return alfup_err_set(err, "line %u: more than %u tables", reader->line_no,
                             DB_FACTS_MAX_TABLES);
    return ALFUP_OK;
}

/* "table <schema> <table> <rows>" */
static int parse_table(facts_reader_t *reader, db_facts_t *facts, alfup_err_t *err)
{
    const char *value;
    size_t value_len;
    if (keyed_line(reader, "table", &value, &value_len, err) != ALFUP_OK)
        return ALFUP_ERR;
    const char *end = value + value_len;
    const char *space1 = memchr(value, ' ', value_len);
    const char *space2 = space1 ? memchr(space1 + 1, ' ', (size_t)(end - space1 - 1)) : NULL;
    char schema[FACTS_NAME_MAX + 1], table[FACTS_NAME_MAX + 1];
    int64_t rows = 0;
    if (space2 == NULL || decode_name(value, (size_t)(space1 - value), schema) != 0 ||
        decode_name(space1 + 1, (size_t)(space2 - space1 - 1), table) != 0 ||
        parse_count(space2 + 1, (size_t)(end - space2 - 1), &rows) != 0)
        return alfup_err_set(err, "line %u: expected 'table <schema> <table> <rows>'",
                             reader->line_no);
    if (db_facts_find(facts, schema, table) != NULL)
        return alfup_err_set(err, "line %u: table %s.%s listed twice", reader->line_no, schema,
                             table);
    return db_facts_add_table(facts, schema, table, rows, err);
}

int db_facts_parse(const char *text, size_t len, db_facts_t *facts, alfup_err_t *err)
{
    facts_reader_t reader = {.text = text, .len = len};
    int64_t tables = 0;
    if (len > DB_FACTS_MAX_BYTES) {
        alfup_err_set(err, "facts: larger than %u bytes", DB_FACTS_MAX_BYTES);
        goto fail;
    }
    if (parse_header(&reader, facts, &tables, err) != ALFUP_OK)
        goto fail;
    for (int64_t i = 0; i < tables; i++)
        if (parse_table(&reader, facts, err) != ALFUP_OK)
            goto fail;
    if (next_line(&reader, err) != ALFUP_OK)
        goto fail;
    if (reader.line_len != 3 || memcmp(reader.line, "end", 3) != 0 || reader.pos != len) {
        alfup_err_set(err, "line %u: expected 'end' as the last line", reader.line_no);
        goto fail;
    }
    return ALFUP_OK;
fail:
    db_facts_clear(facts);
    return alfup_err_prefix(err, "facts");
}

int db_facts_write(const db_facts_t *facts, const char *path, alfup_err_t *err)
{
    char *text = NULL;
    size_t len = 0;
    if (db_facts_format(facts, &text, &len, err) != ALFUP_OK)
        return ALFUP_ERR;
    int rc = file_write_atomic(path, (const uint8_t *)text, len, FACTS_FILE_MODE, err);
    free(text);
    return rc;
}

int db_facts_read(const char *path, db_facts_t *facts, alfup_err_t *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = file_read_all(path, DB_FACTS_MAX_BYTES, &bytes, &len, err);
    if (rc == FILE_MISSING)
        return alfup_err_set(err, "facts file %s is missing", path);
    if (rc != ALFUP_OK)
        return ALFUP_ERR;
    rc = db_facts_parse((const char *)bytes, len, facts, err);
    free(bytes);
    if (rc != ALFUP_OK)
        return alfup_err_prefix(err, "%s", path);
    return ALFUP_OK;
}
