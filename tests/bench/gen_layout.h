/* gen_layout.h -- the deterministic file list of the generated contentstore: names, sizes, kinds. */
#ifndef ALFUP_GEN_LAYOUT_H
#define ALFUP_GEN_LAYOUT_H

#include <stdint.h>

#define GEN_MIB (1024ull * 1024ull)
#define GEN_REL_MAX 96

/* splitmix64: small, fast, the same on every platform. */
typedef struct gen_rng {
    uint64_t state;
} gen_rng_t;

static inline uint64_t gen_next(gen_rng_t *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A number in [low, high]. */
static inline uint64_t gen_between(gen_rng_t *r, uint64_t low, uint64_t high)
{
    return low + gen_next(r) % (high - low + 1);
}

/* One file of the store. */
typedef struct gen_file {
    char rel[GEN_REL_MAX]; /* yyyy/m/d/h/m/<uuid>.bin, as Alfresco's file content store names it */
    uint64_t size;
    int text;              /* 1: compressible words; 0: random bytes */
    uint64_t content_seed; /* seeds the file's own generator (content needs no earlier file) */
    unsigned index;        /* 0, 1, 2, ... */
    unsigned minute;       /* minutes since 2023-01-01 00:00 on a 28-day-month calendar */
} gen_file_t;

/* Walks the file list of a store of total bytes made from seed. */
typedef struct gen_layout {
    gen_rng_t rng;
    uint64_t seed, total, planned;
    unsigned minute, index;
} gen_layout_t;

void gen_layout_init(gen_layout_t *layout, uint64_t seed, uint64_t total);

/* Fills *file with the next file; returns 0 when the list is complete. The
 * same (seed, total) always gives the same list; sizes add up to total. */
int gen_layout_next(gen_layout_t *layout, gen_file_t *file);

/* Fills buf with the next len bytes of a file's content: text (1) or random
 * bytes (0). A file is made by calling this for consecutive chunks with one
 * rng that started as {file->content_seed}. */
void gen_fill(gen_rng_t *rng, int text, char *buf, uint64_t len);

#endif
