/* key_map.h -- a small open-addressing hash map from byte-string keys to pointers, for lookups
 * that run once per message (the channel server's sessions by routing id and by name). */
#ifndef ALFUP_KEY_MAP_H
#define ALFUP_KEY_MAP_H

#include <stddef.h>

typedef struct key_map key_map_t;

/* An empty map with a random hash seed (keys may come from the network). NULL on ENOMEM. */
key_map_t *key_map_new(void);

/* Frees the map (not the keys or values); sets *map_p to NULL. Tolerates NULL. */
void key_map_destroy(key_map_t **map_p);

/* Maps the len bytes at key (not NULL; len may be 0) to value, replacing an earlier mapping of
 * the same key. The key is NOT copied: its bytes must stay unchanged until the mapping is removed (keep them in the
 * value). value must not be NULL. 0, or -1 when out of memory (the map is unchanged). */
int key_map_put(key_map_t *map, const void *key, size_t len, void *value);

/* The value mapped to key, or NULL. */
void *key_map_get(const key_map_t *map, const void *key, size_t len);

/* Removes key's mapping; 1 when there was one, else 0. */
int key_map_remove(key_map_t *map, const void *key, size_t len);

/* How many keys are mapped. */
size_t key_map_count(const key_map_t *map);

#endif
