# lab-db.sh -- the lab's PostgreSQL on db1 and the old repository's database (source me after lab-lib.sh).
# shellcheck shell=bash

# lab_pg_up -- a private cluster (tests/lib/pg_harness.sh) started inside db1's namespace, listening on a
# unix socket in DIR/pg/sock and on 127.0.0.1, and in netns mode also on db1's address, where the
# repository logs in with its password (scram-sha-256). Sets LAB_PG_PORT, LAB_PG_BIN and LAB_PG_USER
# (the superuser: postgres when run as root, else the current user).
lab_pg_up() {
    local out
    mkdir -p "$LAB_PG_DIR"
    lab_state_add "pg $LAB_PG_DIR"
    out=$(lab_exec db1 bash -c 'source "$1" && pg_harness_start "$2" >&2 && echo "$PGPORT $PG_HARNESS_BIN $PG_HARNESS_SUPERUSER"' \
        _ "$LAB_SRC/tests/lib/pg_harness.sh" "$LAB_PG_DIR") || return 1
    read -r LAB_PG_PORT LAB_PG_BIN LAB_PG_USER <<< "$out"
    if [ "$LAB_MODE" = netns ]; then
        echo "listen_addresses = '127.0.0.1,$(lab_addr db1)'" >> "$LAB_PG_DIR/data/postgresql.auto.conf"
        echo "host all all $LAB_NET.0/24 scram-sha-256" >> "$LAB_PG_DIR/data/pg_hba.conf"
        (cd "$LAB_PG_DIR" && lab_exec db1 runuser -u postgres -- "$LAB_PG_BIN/pg_ctl" -D "$LAB_PG_DIR/data" \
            -l "$LAB_PG_DIR/server.log" -w -t 60 restart >/dev/null) || return 1
    fi
}

# lab_db_create -- the repository's role (with its password) and its empty database, owned by it.
lab_db_create() {
    lab_psql postgres "create role $LAB_DB_USER login password '$LAB_DB_PASSWORD'" >/dev/null &&
        lab_psql postgres "create database $LAB_OLD_DB owner $LAB_DB_USER" >/dev/null
}

# lab_db_seed NODES -- the content rows of DIR/content-rows.tsv, one alf_content_data row per content URL,
# and NODES more nodes, into the schema the old repository created.
lab_db_seed() {
    lab_psql "$LAB_OLD_DB" "\\copy alf_content_url (content_url, content_size, orphan_time) from '$LAB_DIR/content-rows.tsv'" &&
        lab_psql "$LAB_OLD_DB" "insert into alf_content_data (content_url_id, content_mimetype)
            select id, (array['text/plain','application/pdf','image/png','application/octet-stream'])[1 + id % 4]
            from alf_content_url order by id" >/dev/null &&
        lab_psql "$LAB_OLD_DB" "insert into alf_node (store_id, uuid, audit_created)
            select 1 + g % 2, md5('lab-node-' || g)::uuid::text, (timestamp '2024-01-01' + g * interval '1 minute')::text
            from generate_series(1, $1) g" >/dev/null &&
        lab_db_pad "${ALFUP_LAB_DB_MB:-0}" &&
        lab_psql "$LAB_OLD_DB" "analyze" >/dev/null
}

# lab_db_pad MB -- with MB > 0, alf_node_properties (as in a real repository, most of the database: three
# properties per node, 128-character text values) filled in batches of 500,000 rows until pg_database_size is
# at least MB MiB, then its primary key built. MB 0: nothing.
lab_db_pad() {
    [ "$1" -gt 0 ] || return 0
    lab_psql "$LAB_OLD_DB" "create table alf_node_properties (node_id bigint not null, qname_id bigint not null,
        string_value varchar(1024))" || return 1
    local from=0
    while [ "$(lab_psql "$LAB_OLD_DB" "select pg_database_size(current_database()) < $1::bigint << 20")" = t ]; do
        lab_psql "$LAB_OLD_DB" "insert into alf_node_properties select g / 3, g % 3,
            md5(g::text) || md5((-g)::text) || md5((g * 7)::text) || md5((g * 13)::text)
            from generate_series($from, $from + 499999) g" || return 1
        from=$((from + 500000))
    done
    lab_psql "$LAB_OLD_DB" "alter table alf_node_properties add primary key (node_id, qname_id)"
}
