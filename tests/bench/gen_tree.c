/* gen_tree.c -- deterministic generator of an Alfresco-like contentstore for the backup benchmark.
 *
 * usage: gen_tree DIR SIZE_MB [SEED]
 * Writes DIR/yyyy/mm/dd/hh/mm/<uuid>.bin until SIZE_MB MiB are written. Sizes
 * are mostly small (a few KB) with a tail up to tens of MB; about 40% of the
 * files are compressible text, the rest random bytes (as already-compressed
 * office documents, PDFs and images are). The same SEED gives the same tree. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK (64 * 1024)
#define MIB (1024ull * 1024ull)

typedef struct rng {
    uint64_t state;
} rng_t;

static uint64_t next(rng_t *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t between(rng_t *r, uint64_t low, uint64_t high)
{
    return low + next(r) % (high - low + 1);
}

/* A file size: 85% 1-64 KB, 12% 64 KB-1 MB, 2.5% 1-8 MB, 0.5% 8-40 MB. */
static uint64_t pick_size(rng_t *r)
{
    uint64_t p = next(r) % 1000;
    if (p < 850)
        return between(r, 1024, 64 * 1024);
    if (p < 970)
        return between(r, 64 * 1024, MIB);
    if (p < 995)
        return between(r, MIB, 8 * MIB);
    return between(r, 8 * MIB, 40 * MIB);
}

static const char *const WORDS[] = {
    "the",      "contract",  "invoice", "alfresco", "repository", "document", "approval", "workflow",
    "customer", "quarterly", "report",  "policy",   "amount",     "signed",   "pending",  "meeting",
    "minutes",  "project",   "budget",  "review",   "section",    "clause",   "delivery", "date",
    "total",    "version",   "draft",   "final",    "of",         "and",      "to",       "in",
    "for",      "with",      "is",      "on",       "by",         "\n",       ", ",       ". "};

static void fill_text(rng_t *r, char *buf, size_t len)
{
    size_t n = 0;
    while (n < len) {
        const char *w = WORDS[next(r) % (sizeof WORDS / sizeof WORDS[0])];
        size_t wl = strlen(w);
        if (wl > len - n)
            wl = len - n;
        memcpy(buf + n, w, wl);
        n += wl;
        if (n < len && w[0] != '\n' && w[0] != ',' && w[0] != '.')
            buf[n++] = ' ';
    }
}

static void fill_random(rng_t *r, char *buf, size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = next(r);
        memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
    }
}

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

static int write_one(rng_t *r, const char *path, uint64_t size, char *buf)
{
    FILE *out = fopen(path, "wb");
    if (out == NULL)
        return -1;
    int text = next(r) % 100 < 40;
    for (uint64_t done = 0; done < size;) {
        size_t n = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
        if (text)
            fill_text(r, buf, n);
        else
            fill_random(r, buf, n);
        if (fwrite(buf, 1, n, out) != n) {
            fclose(out);
            return -1;
        }
        done += n;
    }
    return fclose(out);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s DIR SIZE_MB [SEED]\n", argv[0]);
        return 2;
    }
    uint64_t total = strtoull(argv[2], NULL, 10) * MIB;
    rng_t r = {argc == 4 ? strtoull(argv[3], NULL, 10) : 42};
    char *buf = malloc(CHUNK);
    if (buf == NULL || total == 0)
        return 2;
    unsigned minute = 0, files = 0;
    uint64_t written = 0;
    while (written < total) {
        minute += (unsigned)between(&r, 0, 3);
        unsigned day = minute / 1440, year = 2023 + day / 336, month = 1 + day / 28 % 12, mday = 1 + day % 28;
        uint64_t size = pick_size(&r);
        if (size > total - written)
            size = total - written;
        char path[4096];
        snprintf(path, sizeof path, "%s/%u/%u/%u/%u/%u/%08x-%04x-%04x-%04x-%012llx.bin", argv[1], year, month, mday,
                 minute / 60 % 24, minute % 60, (unsigned)next(&r), (unsigned)(next(&r) & 0xffff),
                 (unsigned)(0x4000 | (next(&r) & 0x0fff)), (unsigned)(0x8000 | (next(&r) & 0x3fff)),
                 (unsigned long long)(next(&r) & 0xffffffffffffull));
        if (mkdirs(path) != 0 || write_one(&r, path, size, buf) != 0) {
            fprintf(stderr, "gen_tree: %s: %s\n", path, strerror(errno));
            return 1;
        }
        written += size;
        files++;
    }
    printf("gen_tree: %u files, %llu bytes in %s\n", files, (unsigned long long)written, argv[1]);
    free(buf);
    return 0;
}
