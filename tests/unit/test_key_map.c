/* test_key_map.c -- the channel server's hash map: puts, gets, replacements and removals of many
 * keys (growth and backward-shift deletion) checked against a plain array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "key_map.h"

#define KEYS 5000

typedef struct entry {
    char key[24];
    size_t len;
    int value;
    int mapped;
} entry_t;

static entry_t entries[KEYS];

static void make_keys(void)
{
    for (int i = 0; i < KEYS; i++) {
        /* routing-id-like keys: a zero byte first, then a counter; some share prefixes */
        entries[i].key[0] = 0;
        entries[i].len = 1 + (size_t)snprintf(entries[i].key + 1, sizeof entries[i].key - 1, "%d", i);
        entries[i].value = i;
        entries[i].mapped = 0;
    }
}

static void check_all(const key_map_t *map)
{
    size_t mapped = 0;
    for (int i = 0; i < KEYS; i++) {
        void *got = key_map_get(map, entries[i].key, entries[i].len);
        if (entries[i].mapped) {
            assert_ptr_equal(got, &entries[i].value);
            mapped++;
        } else {
            assert_null(got);
        }
    }
    assert_int_equal(key_map_count(map), mapped);
}

static void test_put_get_remove(void **state)
{
    (void)state;
    make_keys();
    key_map_t *map = key_map_new();
    assert_non_null(map);
    for (int i = 0; i < KEYS; i++) {
        assert_int_equal(key_map_put(map, entries[i].key, entries[i].len, &entries[i].value), 0);
        entries[i].mapped = 1;
    }
    check_all(map);
    for (int i = 0; i < KEYS; i += 3) { /* removals in the middle of probe runs */
        assert_int_equal(key_map_remove(map, entries[i].key, entries[i].len), 1);
        entries[i].mapped = 0;
    }
    assert_int_equal(key_map_remove(map, entries[0].key, entries[0].len), 0);
    check_all(map);
    for (int i = 0; i < KEYS; i += 3) { /* put back, then remove everything */
        assert_int_equal(key_map_put(map, entries[i].key, entries[i].len, &entries[i].value), 0);
        entries[i].mapped = 1;
    }
    check_all(map);
    for (int i = KEYS - 1; i >= 0; i--) {
        assert_int_equal(key_map_remove(map, entries[i].key, entries[i].len), 1);
        entries[i].mapped = 0;
    }
    check_all(map);
    key_map_destroy(&map);
    assert_null(map);
    key_map_destroy(&map);
}

static void test_replace_and_lengths(void **state)
{
    (void)state;
    key_map_t *map = key_map_new();
    int a = 1, b = 2, c = 3;
    assert_int_equal(key_map_put(map, "agent", 5, &a), 0);
    assert_int_equal(key_map_put(map, "agent", 5, &b), 0); /* replaces */
    assert_int_equal(key_map_count(map), 1);
    assert_ptr_equal(key_map_get(map, "agent", 5), &b);
    assert_null(key_map_get(map, "agent", 4));             /* a prefix is another key */
    assert_int_equal(key_map_put(map, "agent1", 6, &c), 0);
    assert_ptr_equal(key_map_get(map, "agent1", 6), &c);
    assert_ptr_equal(key_map_get(map, "agent", 5), &b);
    assert_int_equal(key_map_put(map, "", 0, &a), 0);      /* the empty key is a key */
    assert_ptr_equal(key_map_get(map, "", 0), &a);
    assert_int_equal(key_map_count(map), 3);
    key_map_destroy(&map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_remove),
        cmocka_unit_test(test_replace_and_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
