/* properties_internal.h -- the parsed form of a .properties file, shared by properties*.c only. */
#ifndef ALFUP_PROPERTIES_INTERNAL_H
#define ALFUP_PROPERTIES_INTERNAL_H

#include <stddef.h>

#include "properties.h"

typedef enum props_kind { PROPS_BLANK, PROPS_COMMENT, PROPS_ENTRY } props_kind_t;

/* One logical line: a blank or comment line, or a property definition that
 * may span several physical lines (raw keeps them verbatim, line ends and
 * all, except the last line end). */
typedef struct props_line {
    props_kind_t kind;
    char *raw;
    char *key;      /* decoded; PROPS_ENTRY only */
    char *value;    /* decoded; PROPS_ENTRY only */
} props_line_t;

struct props {
    props_line_t *lines;
    size_t line_count, line_capacity;
    size_t *defs;           /* indexes into lines of the PROPS_ENTRY lines, file order */
    size_t def_count;
    size_t *sorted;         /* indexes into defs, sorted by key, then by position */
    const char *newline;    /* the file's line ending: "\n", "\r\n" or "\r" */
};

/* A growing byte buffer; failed is set once an allocation failed. */
typedef struct props_buf {
    char *bytes;
    size_t len, capacity;
    int failed;
} props_buf_t;

void props_buf_put(props_buf_t *buf, const char *bytes, size_t len);
void props_buf_puts(props_buf_t *buf, const char *text);

/* The index into defs of the last definition of key, or (size_t)-1. */
size_t props_find_last_def(const props_t *props, const char *key);

#endif
