/* str_list.c -- ordered, owned, NULL-terminated string lists. */
#include "str_list.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int append_owned(str_list_t *list, char *text)
{
    if (list->count + 1 >= list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 8;
        char **items = realloc(list->items, capacity * sizeof *items);
        if (items == NULL)
            return -1;
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = text;
    list->items[list->count] = NULL;
    return 0;
}

int str_list_add(str_list_t *list, const char *text)
{
    char *copy = strdup(text);
    if (copy == NULL || append_owned(list, copy) != 0) {
        free(copy);
        return -1;
    }
    return 0;
}

int str_list_addf(str_list_t *list, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -1;
    if (append_owned(list, text) != 0) {
        free(text);
        return -1;
    }
    return 0;
}

int str_list_contains(const str_list_t *list, const char *text)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i], text) == 0)
            return 1;
    return 0;
}

static int compare_entries(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void str_list_sort(str_list_t *list)
{
    if (list->count > 1)
        qsort(list->items, list->count, sizeof *list->items, compare_entries);
}

int str_list_sorted_has(const str_list_t *list, const char *text)
{
    return list->count > 0 && bsearch(&text, list->items, list->count, sizeof *list->items, compare_entries) != NULL;
}

int str_list_remove(str_list_t *list, const char *text)
{
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->items[i], text) != 0)
            continue;
        free(list->items[i]);
        memmove(&list->items[i], &list->items[i + 1], (list->count - i) * sizeof *list->items);
        list->count--; /* the move brought the terminating NULL along */
        return 1;
    }
    return 0;
}

void str_list_keep_last(str_list_t *list, size_t max)
{
    if (list->count <= max)
        return;
    size_t drop = list->count - max;
    for (size_t i = 0; i < drop; i++)
        free(list->items[i]);
    memmove(list->items, list->items + drop, (max + 1) * sizeof *list->items);
    list->count = max;
}

void str_list_clear(str_list_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
    list->capacity = 0;
}
