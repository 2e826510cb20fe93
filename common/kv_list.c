/* kv_list.c -- ordered, owned key/value strings. */
#include "kv_list.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(kv_list_t *list)
{
    if (list->count < list->capacity)
        return 0;
    size_t capacity = list->capacity ? list->capacity * 2 : 8;
    kv_pair_t *items = realloc(list->items, capacity * sizeof *items);
    if (items == NULL)
        return -1;
    list->items = items;
    list->capacity = capacity;
    return 0;
}

int kv_list_add(kv_list_t *list, const char *key, const char *value)
{
    if (grow(list) != 0)
        return -1;
    char *key_copy = strdup(key);
    char *value_copy = strdup(value ? value : "");
    if (key_copy == NULL || value_copy == NULL) {
        free(key_copy);
        free(value_copy);
        return -1;
    }
    list->items[list->count].key = key_copy;
    list->items[list->count].value = value_copy;
    list->count++;
    return 0;
}

int kv_list_addf(kv_list_t *list, const char *key, const char *fmt, ...)
{
    char *value = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -1;
    int rc = kv_list_add(list, key, value);
    free(value);
    return rc;
}

const char *kv_list_get(const kv_list_t *list, const char *key)
{
    return kv_list_get_nth(list, key, 0);
}

const char *kv_list_get_nth(const kv_list_t *list, const char *key, size_t index)
{
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->items[i].key, key) != 0)
            continue;
        if (index == 0)
            return list->items[i].value;
        index--;
    }
    return NULL;
}

size_t kv_list_count_key(const kv_list_t *list, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].key, key) == 0)
            n++;
    return n;
}

void kv_list_clear(kv_list_t *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].key);
        free(list->items[i].value);
    }
    free(list->items);
    list->items = NULL;
    list->count = 0;
    list->capacity = 0;
}
