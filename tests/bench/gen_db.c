/* gen_db.c -- loads the Alfresco-like database that matches a generated contentstore (COPY over libpq). */
#include "gen_db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_copy.h"
#include "gen_layout.h"

#define SCHEMA_NUMBER 14001
#define STORE_ID 6
#define TEXT_MAX 600u
#define CONTENT_QNAME 51
/* Tables and indexes take about twice the bytes of their COPY text (measured: 195 MiB for 100). */
#define ON_DISK_PER_COPY_BYTE 2u

static const char CREATE_SQL[] =
    "create table alf_applied_patch (id varchar(64) not null, description varchar(1024), "
    "fixes_from_schema int4, fixes_to_schema int4, applied_to_schema int4, target_schema int4, "
    "applied_on_date timestamp, applied_to_server varchar(64), was_executed bool, succeeded bool, "
    "report varchar(1024));"
    "create table alf_content_url (id int8 not null, content_url varchar(255) not null, "
    "content_url_short varchar(12) not null, content_url_crc int8 not null, content_size int8 not null, "
    "orphan_time int8);"
    "create table alf_content_data (id int8 not null, version int8 not null, content_url_id int8, "
    "content_mimetype_id int8, content_encoding_id int8, content_locale_id int8);"
    "create table alf_node (id int8 not null, version int8 not null, store_id int8 not null, "
    "uuid varchar(36) not null, transaction_id int8 not null, type_qname_id int8 not null, "
    "locale_id int8 not null, acl_id int8, audit_creator varchar(255), audit_created varchar(30), "
    "audit_modifier varchar(255), audit_modified varchar(30), audit_accessed varchar(30));"
    "create table alf_node_properties (node_id int8 not null, actual_type_n int4 not null, "
    "persisted_type_n int4 not null, boolean_value bool, long_value int8, float_value float4, "
    "double_value float8, string_value varchar(1024), serializable_value bytea, qname_id int8 not null, "
    "list_index int4 not null, locale_id int8 not null)";

static const char INDEX_SQL[] =
    "alter table alf_applied_patch add primary key (id);"
    "alter table alf_content_url add primary key (id);"
    "create unique index idx_alf_conturl_cr on alf_content_url (content_url_short, content_url_crc);"
    "alter table alf_content_data add primary key (id);"
    "alter table alf_node add primary key (id);"
    "create unique index store_id on alf_node (store_id, uuid);"
    "create index idx_alf_node_txn_type on alf_node (transaction_id, type_qname_id);"
    "alter table alf_node_properties add primary key (node_id, qname_id, list_index, locale_id)";

static const char VACUUM_SQL[] =
    "vacuum (freeze, analyze) alf_applied_patch, alf_content_url, alf_content_data, alf_node, "
    "alf_node_properties";

/* FNV-1a, 32 bits: a stand-in for Alfresco's CRC of the URL. */
static uint32_t url_crc(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* 2023-01-05T13:07:00.000Z style, on the layout's 28-day-month calendar. */
static void format_time(unsigned minute, char *out, size_t size)
{
    unsigned day = minute / 1440;
    snprintf(out, size, "%04u-%02u-%02uT%02u:%02u:00.000Z", 2023 + day / 336, 1 + day / 28 % 12,
             1 + day % 28, minute / 60 % 24, minute % 60);
}

static int load_patches(PGconn *conn, gen_copy_t *copy)
{
    if (gen_copy_begin(copy, conn, "alf_applied_patch", "copy alf_applied_patch from stdin") != 0)
        return -1;
    for (int i = 0; i < 40; i++)
        if (gen_copy_row(copy, "patch.bench%02d\tbenchmark patch %d\t0\t%d\t%d\t%d\t2023-01-01 00:00:00\t"
                               "bench\tt\tt\tok",
                         i, i, SCHEMA_NUMBER - 40 + i, SCHEMA_NUMBER + i, SCHEMA_NUMBER + i) != 0) {
            gen_copy_end(copy);
            return -1;
        }
    return gen_copy_end(copy);
}

/* One alf_content_url and one alf_content_data row per file of the store. */
static int load_content(PGconn *conn, uint64_t seed, uint64_t store_bytes, gen_copy_t *urls, gen_copy_t *data)
{
    if (gen_copy_begin(urls, conn, "alf_content_url", "copy alf_content_url from stdin") != 0)
        return -1;
    gen_layout_t layout;
    gen_file_t file;
    char url[GEN_REL_MAX + 16];
    int rc = 0;
    gen_layout_init(&layout, seed, store_bytes);
    while (rc == 0 && gen_layout_next(&layout, &file)) {
        snprintf(url, sizeof url, "store://%s", file.rel);
        rc = gen_copy_row(urls, "%u\t%s\t%s\t%" PRIu32 "\t%" PRIu64 "\t\\N", file.index + 1, url,
                          url + strlen(url) - 12, url_crc(url), file.size);
    }
    if (gen_copy_end(urls) != 0 || rc != 0)
        return -1;
    if (gen_copy_begin(data, conn, "alf_content_data", "copy alf_content_data from stdin") != 0)
        return -1;
    for (uint64_t i = 1; rc == 0 && i <= urls->rows; i++)
        rc = gen_copy_row(data, "%" PRIu64 "\t1\t%" PRIu64 "\t%" PRIu64 "\t1\t1", i, i, 1 + i % 23);
    return gen_copy_end(data) == 0 && rc == 0 ? 0 : -1;
}

/* Words without line breaks: safe in COPY text. */
static void fill_words(gen_rng_t *r, char *buf, size_t len)
{
    gen_fill(r, 1, buf, len);
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n')
            buf[i] = ' ';
    buf[len] = '\0';
}

static int node_row(gen_copy_t *nodes, gen_rng_t *r, uint64_t id, uint64_t content_rows)
{
    char created[32], modified[32];
    unsigned minute = (unsigned)(id * 3 / 2);
    format_time(minute, created, sizeof created);
    format_time(minute + (unsigned)gen_between(r, 0, 100000), modified, sizeof modified);
    unsigned long long u1 = gen_next(r), u2 = gen_next(r);
    return gen_copy_row(nodes,
                        "%" PRIu64 "\t1\t%d\t%08llx-%04llx-%04llx-%04llx-%012llx\t%" PRIu64 "\t%d\t1\t%" PRIu64
                        "\tuser%03u\t%s\tuser%03u\t%s\t\\N",
                        id, STORE_ID, u1 & 0xffffffffull, (u1 >> 32) & 0xffff, 0x4000 | ((u1 >> 48) & 0x0fff),
                        0x8000 | (u2 & 0x3fff), (u2 >> 14) & 0xffffffffffffull, 1 + id / 50,
                        id <= content_rows ? CONTENT_QNAME : 24 + (int)(id % 9), 1 + id % 1000,
                        (unsigned)(id % 200), created, (unsigned)gen_between(r, 0, 199), modified);
}

/* 3-11 properties: names, titles and descriptions (text), numbers and flags. */
static int property_rows(gen_copy_t *props, gen_rng_t *r, uint64_t id)
{
    char text[TEXT_MAX + 1];
    unsigned count = (unsigned)gen_between(r, 3, 11);
    int rc = 0;
    for (unsigned k = 0; rc == 0 && k < count; k++) {
        unsigned qname = 10 + k * 3;
        switch (k % 4) {
        case 0:
            rc = gen_copy_row(props, "%" PRIu64 "\t6\t6\t\\N\t\\N\t\\N\t\\N\tDocument %" PRIu64 "-%u.pdf\t\\N\t%u\t0\t1",
                              id, id, k, qname);
            break;
        case 1:
            fill_words(r, text, (size_t)gen_between(r, 20, TEXT_MAX));
            rc = gen_copy_row(props, "%" PRIu64 "\t6\t6\t\\N\t\\N\t\\N\t\\N\t%s\t\\N\t%u\t0\t1", id, text, qname);
            break;
        case 2:
            rc = gen_copy_row(props, "%" PRIu64 "\t3\t3\t\\N\t%" PRIu64 "\t\\N\t\\N\t\\N\t\\N\t%u\t0\t1", id,
                              gen_next(r) >> 20, qname);
            break;
        default:
            rc = gen_copy_row(props, "%" PRIu64 "\t1\t1\t%s\t\\N\t\\N\t\\N\t\\N\t\\N\t%u\t0\t1", id,
                              gen_next(r) & 1 ? "t" : "f", qname);
        }
    }
    return rc;
}

/* Bytes sent and buffered so far. */
static uint64_t copied(const gen_copy_t *copy)
{
    return copy->bytes + copy->len;
}

/* Nodes and their properties stream at once over two connections until budget bytes. */
static int load_nodes(PGconn *c1, PGconn *c2, uint64_t seed, uint64_t content_rows, uint64_t budget,
                      gen_copy_t *nodes, gen_copy_t *props)
{
    if (gen_copy_begin(nodes, c1, "alf_node", "copy alf_node from stdin") != 0)
        return -1;
    if (gen_copy_begin(props, c2, "alf_node_properties", "copy alf_node_properties from stdin") != 0) {
        gen_copy_end(nodes);
        return -1;
    }
    gen_rng_t r = {seed ^ 0x6e6f646573ull};
    int rc = 0;
    /* every content file gets a node; filler nodes follow until the budget is sent */
    for (uint64_t id = 1; rc == 0 && (id <= content_rows || copied(nodes) + copied(props) < budget); id++)
        rc = node_row(nodes, &r, id, content_rows) || property_rows(props, &r, id);
    int end1 = gen_copy_end(nodes), end2 = gen_copy_end(props);
    return rc == 0 && end1 == 0 && end2 == 0 ? 0 : -1;
}

static PGconn *connect_to(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) == CONNECTION_OK)
        return conn;
    fprintf(stderr, "gen-contentstore: connect: %s", PQerrorMessage(conn));
    PQfinish(conn);
    return NULL;
}

static int load_all(PGconn *c1, PGconn *c2, uint64_t seed, uint64_t store_bytes, uint64_t db_bytes,
                    gen_db_stats_t *stats)
{
    gen_copy_t patches, urls, data, nodes, props;
    if (gen_sql(c1, CREATE_SQL) != 0 || load_patches(c1, &patches) != 0 ||
        load_content(c1, seed, store_bytes, &urls, &data) != 0)
        return -1;
    uint64_t used = patches.bytes + urls.bytes + data.bytes, copy_budget = db_bytes / ON_DISK_PER_COPY_BYTE;
    if (load_nodes(c1, c2, seed, urls.rows, copy_budget > used ? copy_budget - used : 0, &nodes, &props) != 0 ||
        gen_sql(c1, INDEX_SQL) != 0 || gen_sql(c1, VACUUM_SQL) != 0)
        return -1;
    PGresult *res = PQexec(c1, "select pg_database_size(current_database())");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        stats->db_size = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    stats->content_rows = urls.rows;
    stats->node_rows = nodes.rows;
    stats->property_rows = props.rows;
    stats->copy_bytes = used + nodes.bytes + props.bytes;
    return 0;
}

int gen_db_load(const char *conninfo, uint64_t seed, uint64_t store_bytes, uint64_t db_bytes,
                gen_db_stats_t *stats)
{
    memset(stats, 0, sizeof *stats);
    PGconn *c1 = connect_to(conninfo), *c2 = c1 ? connect_to(conninfo) : NULL;
    int rc = c2 != NULL ? load_all(c1, c2, seed, store_bytes, db_bytes, stats) : -1;
    PQfinish(c2);
    PQfinish(c1);
    return rc;
}
