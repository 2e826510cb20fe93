/* str_list.h -- an ordered list of owned strings (log lines, argv, roles). */
#ifndef ALFUP_STR_LIST_H
#define ALFUP_STR_LIST_H

#include <stddef.h>

/* Zero-initialise before use. items is kept NULL-terminated (usable as argv). */
typedef struct str_list {
    char **items;
    size_t count;
    size_t capacity;
} str_list_t;

/* Appends a copy of text. Returns 0, or -1 when out of memory. */
int str_list_add(str_list_t *list, const char *text);

/* Appends a printf-formatted string. Returns 0 or -1. */
int str_list_addf(str_list_t *list, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 1 when text is in the list, else 0. */
int str_list_contains(const str_list_t *list, const char *text);

/* Sorts the entries by strcmp (byte order). */
void str_list_sort(str_list_t *list);

/* 1 when text is in a list sorted by str_list_sort (binary search), else 0. */
int str_list_sorted_has(const str_list_t *list, const char *text);

/* Removes the first entry equal to text, keeping the order of the others. 1 when one was
 * removed, else 0. */
int str_list_remove(str_list_t *list, const char *text);

/* Drops the oldest entries until at most max remain (a tail of log lines). */
void str_list_keep_last(str_list_t *list, size_t max);

/* Frees every entry; the list is empty and reusable afterwards. */
void str_list_clear(str_list_t *list);

#endif
