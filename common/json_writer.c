/* json_writer.c -- JSON string escaping for the controller's --json output. */
#include "json_writer.h"

#include <string.h>

void json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

/* 1 when key already appeared before index i. */
static int seen_before(const kv_list_t *pairs, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(pairs->items[j].key, pairs->items[i].key) == 0)
            return 1;
    return 0;
}

void json_write_field(FILE *f, const char *key, const char *value)
{
    fputc(',', f);
    json_write_string(f, key);
    fputc(':', f);
    json_write_string(f, value);
}

void json_write_kv_object(FILE *f, const kv_list_t *pairs)
{
    fputc('{', f);
    int first = 1;
    for (size_t i = 0; i < pairs->count; i++) {
        const char *key = pairs->items[i].key;
        if (seen_before(pairs, i))
            continue;
        fputs(first ? "" : ",", f);
        first = 0;
        json_write_string(f, key);
        fputc(':', f);
        if (kv_list_count_key(pairs, key) == 1) {
            json_write_string(f, pairs->items[i].value);
            continue;
        }
        fputc('[', f);
        for (size_t j = i, n = 0; j < pairs->count; j++) {
            if (strcmp(pairs->items[j].key, key) != 0)
                continue;
            fputs(n++ ? "," : "", f);
            json_write_string(f, pairs->items[j].value);
        }
        fputc(']', f);
    }
    fputc('}', f);
}

void json_write_string_array(FILE *f, const str_list_t *strings)
{
    fputc('[', f);
    for (size_t i = 0; i < strings->count; i++) {
        if (i)
            fputc(',', f);
        json_write_string(f, strings->items[i]);
    }
    fputc(']', f);
}
