/* gen_contentstore.c -- deterministic generator of an Alfresco-like contentstore and its database, for the benchmarks.
 *
 * usage: gen-contentstore [--store DIR] [--size-mb N] [--seed S] [--db CONNINFO] [--db-mb N]
 *   --store DIR    writes DIR/yyyy/m/d/h/m/<uuid>.bin until N MiB (--size-mb, default 2048) are
 *                  written. Sizes are mostly small (85% 1-64 KB) with a tail up to 40 MB; about 40%
 *                  of the files are compressible text, the rest random bytes (as already-compressed
 *                  office documents, PDFs and images are).
 *   --db CONNINFO  loads, into that empty database (libpq connection string), alf_content_url rows
 *                  naming every file of that store ('store://yyyy/m/d/h/m/<uuid>.bin', content_size),
 *                  alf_content_data, alf_applied_patch (schema 14001) and alf_node /
 *                  alf_node_properties filler until the database takes about --db-mb MiB (default 1024).
 *                  Without --store the file list is computed but no file is written.
 * The same seed (default 42) and sizes give the same bytes and rows. Prints a one-line summary. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_util.h"
#include "gen_db.h"
#include "gen_layout.h"

#define CHUNK (64 * 1024)
#define PATH_LEN 4096

typedef struct options {
    const char *store, *db;
    uint64_t size_mb, db_mb, seed;
} options_t;

/* Writes the content of file to the open fd. 0, or -1 with errno. */
static int write_content(int fd, const gen_file_t *file, char *buf)
{
    gen_rng_t r = {file->content_seed};
    for (uint64_t done = 0; done < file->size;) {
        size_t n = file->size - done < CHUNK ? (size_t)(file->size - done) : CHUNK;
        gen_fill(&r, file->text, buf, n);
        if (write(fd, buf, n) != (ssize_t)n)
            return -1;
        done += n;
    }
    return 0;
}

/* Writes one file of the store under store (its folders first); says why on stderr when it cannot. */
static int write_one(const char *store, const gen_file_t *file, char *buf)
{
    char dir[PATH_LEN], path[PATH_LEN];
    alfup_err_t err;
    snprintf(dir, sizeof dir, "%s/%.*s", store, (int)(strrchr(file->rel, '/') - file->rel), file->rel);
    snprintf(path, sizeof path, "%s/%s", store, file->rel);
    if (file_mkdir_p(dir, 0755, &err) != ALFUP_OK) {
        fprintf(stderr, "gen-contentstore: %s\n", err.msg);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = fd < 0 ? -1 : write_content(fd, file, buf);
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "gen-contentstore: %s: %s\n", path, strerror(errno));
    return rc;
}

static int write_store(const options_t *o)
{
    char *buf = malloc(CHUNK);
    if (buf == NULL)
        return -1;
    gen_layout_t layout;
    gen_file_t file;
    uint64_t bytes = 0;
    unsigned files = 0;
    gen_layout_init(&layout, o->seed, o->size_mb * GEN_MIB);
    while (gen_layout_next(&layout, &file)) {
        if (write_one(o->store, &file, buf) != 0) {
            free(buf);
            return -1;
        }
        bytes += file.size;
        files++;
    }
    free(buf);
    printf("gen-contentstore: %u files, %llu bytes in %s\n", files, (unsigned long long)bytes, o->store);
    return 0;
}

static int parse_number(const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, options_t *o)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 's'},
                                          {"size-mb", required_argument, NULL, 'n'},
                                          {"seed", required_argument, NULL, 'r'},
                                          {"db", required_argument, NULL, 'd'},
                                          {"db-mb", required_argument, NULL, 'm'},
                                          {NULL, 0, NULL, 0}};
    *o = (options_t){.size_mb = 2048, .db_mb = 1024, .seed = 42};
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        int bad = 0;
        if (c == 's')
            o->store = optarg;
        else if (c == 'd')
            o->db = optarg;
        else if (c == 'n')
            bad = parse_number(optarg, &o->size_mb) != 0 || o->size_mb == 0;
        else if (c == 'm')
            bad = parse_number(optarg, &o->db_mb) != 0;
        else if (c == 'r')
            bad = parse_number(optarg, &o->seed) != 0;
        else
            bad = 1;
        if (bad)
            return -1;
    }
    return optind == argc && (o->store != NULL || o->db != NULL) ? 0 : -1;
}

int main(int argc, char **argv)
{
    options_t o;
    if (parse_options(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: %s [--store DIR] [--size-mb N] [--seed S] [--db CONNINFO] [--db-mb N]\n"
                        "(at least one of --store and --db)\n", argv[0]);
        return 2;
    }
    if (o.store != NULL && write_store(&o) != 0)
        return 1;
    if (o.db == NULL)
        return 0;
    gen_db_stats_t stats;
    if (gen_db_load(o.db, o.seed, o.size_mb * GEN_MIB, o.db_mb * GEN_MIB, &stats) != 0)
        return 1;
    printf("gen-contentstore: database: %llu content urls, %llu nodes, %llu properties, %llu bytes of COPY data, "
           "pg_database_size %lld\n",
           (unsigned long long)stats.content_rows, (unsigned long long)stats.node_rows,
           (unsigned long long)stats.property_rows, (unsigned long long)stats.copy_bytes, stats.db_size);
    return 0;
}
