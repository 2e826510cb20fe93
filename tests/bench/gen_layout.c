/* gen_layout.c -- the deterministic file list and file contents of the generated contentstore. */
#include "gen_layout.h"

#include <stdio.h>
#include <string.h>

/* A file size: 85% 1-64 KB, 12% 64 KB-1 MB, 2.5% 1-8 MB, 0.5% 8-40 MB. */
static uint64_t pick_size(gen_rng_t *r)
{
    uint64_t p = gen_next(r) % 1000;
    if (p < 850)
        return gen_between(r, 1024, 64 * 1024);
    if (p < 970)
        return gen_between(r, 64 * 1024, GEN_MIB);
    if (p < 995)
        return gen_between(r, GEN_MIB, 8 * GEN_MIB);
    return gen_between(r, 8 * GEN_MIB, 40 * GEN_MIB);
}

void gen_layout_init(gen_layout_t *layout, uint64_t seed, uint64_t total)
{
    memset(layout, 0, sizeof *layout);
    layout->rng.state = seed;
    layout->seed = seed;
    layout->total = total;
}

int gen_layout_next(gen_layout_t *layout, gen_file_t *file)
{
    gen_rng_t *r = &layout->rng;
    if (layout->planned >= layout->total)
        return 0;
    layout->minute += (unsigned)gen_between(r, 0, 3);
    unsigned minute = layout->minute, day = minute / 1440;
    unsigned year = 2023 + day / 336, month = 1 + day / 28 % 12, mday = 1 + day % 28;
    file->size = pick_size(r);
    if (file->size > layout->total - layout->planned)
        file->size = layout->total - layout->planned;
    file->text = gen_next(r) % 100 < 40;
    file->content_seed = layout->seed ^ gen_next(r);
    unsigned a = (unsigned)gen_next(r), b = (unsigned)(gen_next(r) & 0xffff);
    unsigned c = (unsigned)(0x4000 | (gen_next(r) & 0x0fff)), d = (unsigned)(0x8000 | (gen_next(r) & 0x3fff));
    unsigned long long e = gen_next(r) & 0xffffffffffffull;
    snprintf(file->rel, sizeof file->rel, "%u/%u/%u/%u/%u/%08x-%04x-%04x-%04x-%012llx.bin", year, month,
             mday, minute / 60 % 24, minute % 60, a, b, c, d, e);
    file->index = layout->index++;
    file->minute = minute;
    layout->planned += file->size;
    return 1;
}

static const char *const WORDS[] = {
    "the",      "contract",  "invoice", "alfresco", "repository", "document", "approval", "workflow",
    "customer", "quarterly", "report",  "policy",   "amount",     "signed",   "pending",  "meeting",
    "minutes",  "project",   "budget",  "review",   "section",    "clause",   "delivery", "date",
    "total",    "version",   "draft",   "final",    "of",         "and",      "to",       "in",
    "for",      "with",      "is",      "on",       "by",         "\n",       ", ",       ". "};

static void fill_text(gen_rng_t *r, char *buf, uint64_t len)
{
    uint64_t n = 0;
    while (n < len) {
        const char *w = WORDS[gen_next(r) % (sizeof WORDS / sizeof WORDS[0])];
        size_t wl = strlen(w);
        if (wl > len - n)
            wl = len - n;
        memcpy(buf + n, w, wl);
        n += wl;
        if (n < len && w[0] != '\n' && w[0] != ',' && w[0] != '.')
            buf[n++] = ' ';
    }
}

static void fill_random(gen_rng_t *r, char *buf, uint64_t len)
{
    for (uint64_t i = 0; i < len; i += 8) {
        uint64_t v = gen_next(r);
        memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
    }
}

void gen_fill(gen_rng_t *rng, int text, char *buf, uint64_t len)
{
    if (text)
        fill_text(rng, buf, len);
    else
        fill_random(rng, buf, len);
}
