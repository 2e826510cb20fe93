/* key_map.c -- linear probing over a power-of-two table kept at most half full; removal shifts
 * the following entries back, so there are no tombstones. Seeded FNV-1a + a 64-bit finaliser. */
#include "key_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define KEY_MAP_MIN_SLOTS 64u

typedef struct slot {
    const void *key;    /* NULL: empty */
    size_t len;
    uint64_t hash;
    void *value;
} slot_t;

struct key_map {
    slot_t *slots;
    size_t capacity;    /* a power of two */
    size_t count;
    uint64_t seed;
};

static uint64_t hash_key(const key_map_t *m, const void *key, size_t len)
{
    const uint8_t *p = key;
    uint64_t h = 0xcbf29ce484222325ull ^ m->seed;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    h ^= h >> 33; /* murmur3's finaliser: spreads FNV's low-entropy high bits */
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

key_map_t *key_map_new(void)
{
    key_map_t *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->capacity = KEY_MAP_MIN_SLOTS;
    m->slots = calloc(m->capacity, sizeof *m->slots);
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    if (getrandom(&m->seed, sizeof m->seed, GRND_NONBLOCK) != (ssize_t)sizeof m->seed)
        m->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)m;
    return m;
}

void key_map_destroy(key_map_t **map_p)
{
    if (map_p == NULL || *map_p == NULL)
        return;
    free((*map_p)->slots);
    free(*map_p);
    *map_p = NULL;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find_slot(const key_map_t *m, const void *key, size_t len, uint64_t hash)
{
    size_t mask = m->capacity - 1;
    size_t i = (size_t)hash & mask;
    while (m->slots[i].key != NULL &&
           !(m->slots[i].hash == hash && m->slots[i].len == len && memcmp(m->slots[i].key, key, len) == 0))
        i = (i + 1) & mask;
    return i;
}

static int grow(key_map_t *m)
{
    slot_t *old = m->slots;
    size_t old_capacity = m->capacity;
    slot_t *slots = calloc(old_capacity * 2, sizeof *slots);
    if (slots == NULL)
        return -1;
    m->slots = slots;
    m->capacity = old_capacity * 2;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].key != NULL)
            m->slots[find_slot(m, old[i].key, old[i].len, old[i].hash)] = old[i];
    free(old);
    return 0;
}

int key_map_put(key_map_t *m, const void *key, size_t len, void *value)
{
    if ((m->count + 1) * 2 > m->capacity && grow(m) != 0)
        return -1;
    uint64_t hash = hash_key(m, key, len);
    size_t i = find_slot(m, key, len, hash);
    if (m->slots[i].key == NULL)
        m->count++;
    m->slots[i] = (slot_t){.key = key, .len = len, .hash = hash, .value = value};
    return 0;
}

void *key_map_get(const key_map_t *m, const void *key, size_t len)
{
    size_t i = find_slot(m, key, len, hash_key(m, key, len));
    return m->slots[i].key ? m->slots[i].value : NULL;
}

int key_map_remove(key_map_t *m, const void *key, size_t len)
{
    size_t mask = m->capacity - 1;
    size_t hole = find_slot(m, key, len, hash_key(m, key, len));
    if (m->slots[hole].key == NULL)
        return 0;
    m->slots[hole].key = NULL;
    m->count--;
    /* backward shift: move up every later entry of the run whose home is not between the hole and it */
    for (size_t i = (hole + 1) & mask; m->slots[i].key != NULL; i = (i + 1) & mask) {
        size_t home = (size_t)m->slots[i].hash & mask;
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            m->slots[hole] = m->slots[i];
            m->slots[i].key = NULL;
            hole = i;
        }
    }
    return 1;
}

size_t key_map_count(const key_map_t *m)
{
    return m->count;
}
