/* fuzz_db_facts.c -- libFuzzer target: the database facts file a restore reads back from a dump
 * folder (untrusted: the folder may have been tampered with). Any bytes are either refused with
 * a message naming the line, leaving the facts empty, or parse into facts that keep their limits
 * and survive a format/parse round trip unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db_facts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int condition)
{
    if (!condition)
        abort();
}

static void check_limits(const db_facts_t *facts)
{
    require(facts->database != NULL && facts->database[0] != '\0');
    require(facts->schema_number != NULL && facts->db_size >= 0);
    require(facts->table_count <= DB_FACTS_MAX_TABLES);
    for (size_t i = 0; i < facts->table_count; i++) {
        const db_table_count_t *t = &facts->tables[i];
        require(t->schema[0] != '\0' && t->table[0] != '\0' && t->rows >= 0);
        require(db_facts_find(facts, t->schema, t->table) == t); /* no table listed twice */
    }
}

static void require_same(const db_facts_t *a, const db_facts_t *b)
{
    require(strcmp(a->database, b->database) == 0 && strcmp(a->schema_number, b->schema_number) == 0);
    require(a->db_size == b->db_size && a->recorded_unix_ms == b->recorded_unix_ms);
    require(a->table_count == b->table_count);
    for (size_t i = 0; i < a->table_count; i++)
        require(strcmp(a->tables[i].schema, b->tables[i].schema) == 0 &&
                strcmp(a->tables[i].table, b->tables[i].table) == 0 && a->tables[i].rows == b->tables[i].rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    alfup_err_t err = {{0}};
    db_facts_t facts = {0}, again = {0};
    if (db_facts_parse((const char *)data, size, &facts, &err) != ALFUP_OK) {
        require(strncmp(err.msg, "facts", 5) == 0);
        require(facts.database == NULL && facts.tables == NULL && facts.table_count == 0);
        return 0;
    }
    check_limits(&facts);
    char *text = NULL;
    size_t len = 0;
    require(db_facts_format(&facts, &text, &len, &err) == ALFUP_OK);
    require(db_facts_parse(text, len, &again, &err) == ALFUP_OK);
    require_same(&facts, &again);
    free(text);
    db_facts_clear(&facts);
    db_facts_clear(&again);
    return 0;
}
