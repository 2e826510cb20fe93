/* path_records.c -- path-keyed record arrays with a lazily rebuilt sorted index (see path_records.h). */
#include "path_records.h"

#include <stdlib.h>
#include <string.h>

#define PATH_RECORDS_FIRST_CAPACITY 16

void path_records_init(path_records_t *records, size_t item_size)
{
    memset(records, 0, sizeof *records);
    records->item_size = item_size;
}

static char *record_path(const path_records_t *records, size_t index)
{
    char *path;
    memcpy(&path, records->items + index * records->item_size, sizeof path);
    return path;
}

void *path_records_append(path_records_t *records, const char *path)
{
    if (records->count == records->capacity) {
        size_t capacity = records->capacity ? records->capacity * 2 : PATH_RECORDS_FIRST_CAPACITY;
        char *grown = realloc(records->items, capacity * records->item_size);
        if (grown == NULL)
            return NULL;
        records->items = grown;
        records->capacity = capacity;
    }
    char *copy = strdup(path);
    if (copy == NULL)
        return NULL;
    char *item = records->items + records->count * records->item_size;
    memset(item, 0, records->item_size);
    memcpy(item, &copy, sizeof copy);
    records->count++;
    return item;
}

static int compare_indices(const void *a, const void *b, void *arg)
{
    const path_records_t *records = arg;
    return strcmp(record_path(records, *(const size_t *)a), record_path(records, *(const size_t *)b));
}

/* Rebuilds the sorted index when records were added. 0, or -1 when out of memory. */
static int build_sorted(path_records_t *records)
{
    if (records->sorted != NULL && records->sorted_count == records->count)
        return 0;
    free(records->sorted);
    records->sorted_count = 0;
    records->sorted = malloc((records->count ? records->count : 1) * sizeof(size_t));
    if (records->sorted == NULL)
        return -1;
    for (size_t i = 0; i < records->count; i++)
        records->sorted[i] = i;
    qsort_r(records->sorted, records->count, sizeof(size_t), compare_indices, records);
    records->sorted_count = records->count;
    return 0;
}

void *path_records_find(path_records_t *records, const char *path)
{
    if (build_sorted(records) != 0)
        return NULL;
    size_t low = 0, high = records->count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        int cmp = strcmp(path, record_path(records, records->sorted[mid]));
        if (cmp == 0)
            return records->items + records->sorted[mid] * records->item_size;
        if (cmp < 0)
            high = mid;
        else
            low = mid + 1;
    }
    return NULL;
}

void *path_records_at(const path_records_t *records, size_t index)
{
    return index < records->count ? records->items + index * records->item_size : NULL;
}

const char *path_records_duplicate(path_records_t *records, int *oom)
{
    *oom = build_sorted(records) != 0;
    if (*oom)
        return NULL;
    for (size_t i = 1; i < records->count; i++)
        if (compare_indices(&records->sorted[i - 1], &records->sorted[i], records) == 0)
            return record_path(records, records->sorted[i]);
    return NULL;
}

void path_records_clear(path_records_t *records)
{
    for (size_t i = 0; i < records->count; i++)
        free(record_path(records, i));
    free(records->items);
    free(records->sorted);
    path_records_init(records, records->item_size);
}
