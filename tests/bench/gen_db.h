/* gen_db.h -- loads the Alfresco-like database that matches a generated contentstore. */
#ifndef ALFUP_GEN_DB_H
#define ALFUP_GEN_DB_H

#include <stdint.h>

/* Summary of what was loaded. */
typedef struct gen_db_stats {
    uint64_t content_rows, node_rows, property_rows;
    uint64_t copy_bytes; /* COPY text sent, all tables */
    long long db_size;   /* pg_database_size after load and VACUUM */
} gen_db_stats_t;

/* Connects with conninfo (libpq keyword=value string) and creates, in that
 * (empty) database, alf_applied_patch (schema 14001), alf_content_url and
 * alf_content_data with one row per file of the store (seed, store_bytes),
 * content_url 'store://<yyyy/m/d/h/m/uuid>.bin' and content_size, then
 * alf_node and alf_node_properties filler until the database takes about
 * db_bytes (pg_database_size; half of it is sent as COPY data); primary keys and indexes after the load; VACUUM (FREEZE, ANALYZE).
 * The same arguments give the same rows. 0, or -1 with the reason on stderr. */
int gen_db_load(const char *conninfo, uint64_t seed, uint64_t store_bytes, uint64_t db_bytes,
                gen_db_stats_t *stats);

#endif
