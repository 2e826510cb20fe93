/* json_writer.c -- JSON string escaping for the controller's --json output. */
#include "json_writer.h"

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

void json_write_kv_object(FILE *f, const kv_list_t *pairs)
{
    fputc('{', f);
    for (size_t i = 0; i < pairs->count; i++) {
        if (i)
            fputc(',', f);
        json_write_string(f, pairs->items[i].key);
        fputc(':', f);
        json_write_string(f, pairs->items[i].value);
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
