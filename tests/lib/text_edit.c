/* text_edit.c -- one line of a text replaced or removed, for table-driven parser tests. */
#include "text_edit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *text_replace_line(const char *base, int line, const char *replacement)
{
    size_t size = strlen(base) + 1 + (replacement ? strlen(replacement) + 1 : 0);
    char *text = malloc(size);
    if (text == NULL)
        return NULL;
    size_t used = 0;
    const char *cursor = base;
    for (int at = 1; *cursor != '\0'; at++) {
        const char *newline = strchr(cursor, '\n');
        int length = (int)(newline ? newline - cursor : (long)strlen(cursor));
        if (at != line)
            used += (size_t)snprintf(text + used, size - used, "%.*s\n", length, cursor);
        else if (replacement != NULL)
            used += (size_t)snprintf(text + used, size - used, "%s\n", replacement);
        cursor += length + (newline ? 1 : 0);
    }
    text[used] = '\0';
    return text;
}
