/* kv_list.h -- an ordered list of owned key/value strings (step params, outputs). */
#ifndef ALFUP_KV_LIST_H
#define ALFUP_KV_LIST_H

#include <stddef.h>

typedef struct kv_pair {
    char *key;
    char *value;
} kv_pair_t;

/* Zero-initialise before use: kv_list_t list = {0}; keys may repeat (lists). */
typedef struct kv_list {
    kv_pair_t *items;
    size_t count;
    size_t capacity;
} kv_list_t;

/* Appends copies of key and value. Returns 0, or -1 when out of memory. */
int kv_list_add(kv_list_t *list, const char *key, const char *value);

/* Appends key with a printf-formatted value. Returns 0 or -1. */
int kv_list_addf(kv_list_t *list, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The first value stored under key, or NULL. The list keeps ownership. */
const char *kv_list_get(const kv_list_t *list, const char *key);

/* How many entries are stored under key. */
size_t kv_list_count_key(const kv_list_t *list, const char *key);

/* The index-th value stored under key (0-based), or NULL. */
const char *kv_list_get_nth(const kv_list_t *list, const char *key, size_t index);

/* Frees every entry; the list is empty and reusable afterwards. */
void kv_list_clear(kv_list_t *list);

#endif
