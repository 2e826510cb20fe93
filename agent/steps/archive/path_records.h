/* path_records.h -- a growable array of records keyed by a path (the record's first member), looked up by binary
 * search. Used by the manifest for its folder-state, untrusted and removed lists. */
#ifndef ALFUP_PATH_RECORDS_H
#define ALFUP_PATH_RECORDS_H

#include <stddef.h>

/* Every record type stored here starts with `char *path` (owned by the list). */
typedef struct path_records {
    char *items; /* count records of item_size bytes */
    size_t item_size, count, capacity;
    size_t *sorted; /* indices sorted by path; rebuilt when stale */
    size_t sorted_count;
} path_records_t;

void path_records_init(path_records_t *records, size_t item_size);

/* Appends a zeroed record whose path is a copy of path. The record, or NULL
 * when out of memory. Does not check for duplicates (see path_records_duplicate). */
void *path_records_append(path_records_t *records, const char *path);

/* The record with that path, or NULL (also when out of memory). */
void *path_records_find(path_records_t *records, const char *path);

/* The index-th record in order of addition, or NULL. */
void *path_records_at(const path_records_t *records, size_t index);

/* The path of a duplicate record, NULL when none; sets *oom when out of memory. */
const char *path_records_duplicate(path_records_t *records, int *oom);

/* Frees every path and the arrays; the list is empty afterwards. */
void path_records_clear(path_records_t *records);

#endif
