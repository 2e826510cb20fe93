#!/usr/bin/env bash
# bench-db.sh -- times alfup's db-backup and db-restore steps against plain pg_dump -Fc / pg_restore and
# pg_dump -Fd -j N / pg_restore -j N on a generated Alfresco-like database in a private PostgreSQL cluster.
#
# usage: tests/bench/bench-db.sh
#   env: BENCH_DB_MB=1024     database size (gen-contentstore --db-mb: about pg_database_size)
#        BENCH_STORE_MB=2048  the contentstore its alf_content_url rows describe (--size-mb; no file written)
#        BENCH_RUNS=3         runs of every operation, interleaved (alfup then baselines, per run)
#        BENCH_DB_JOBS=2      the steps' "jobs" parameter (the agent's default, DB_JOBS_DEFAULT) and
#                             the -j of the directory-format baselines
#        BENCH_CACHE=warm     warm, cold (sync + drop the page cache before every operation; root) or both
#        BENCH_DIR=/tmp       where dumps go;  ALFUP_BIN=build/bin (gen-contentstore, bench_db)
# The cluster comes from tests/lib/pg_harness.sh (fsync off, as in every test). Every restored database,
# alfup's and the baselines', must have the source's row count in every table, or the script fails: a run
# on tiny sizes is a smoke test (ctest db_bench_smoke).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/bench-lib.sh"
source "$HERE/../lib/pg_harness.sh"
DB_MB=${BENCH_DB_MB:-1024}
STORE_MB=${BENCH_STORE_MB:-2048}
RUNS=${BENCH_RUNS:-3}
JOBS=${BENCH_DB_JOBS:-2}
export BENCH_DB_JOBS=$JOBS
BIN=${ALFUP_BIN:-${ALFUP_BUILD_DIR:-build}/bin}
for tool in "$BIN/gen-contentstore" "$BIN/bench_db"; do
  [[ -x $tool ]] || { echo "bench-db: $tool missing; build targets gen-contentstore and bench_db" >&2; exit 1; }
done
MODES=$(bench_cache_modes)
TABLES="alf_applied_patch alf_content_url alf_content_data alf_node alf_node_properties"

CLUSTER=$(mktemp -d /tmp/alfup-bdb-XXXXXX)
WORK=$(realpath "$(mktemp -d "${BENCH_DIR:-/tmp}/alfup-bench-db.XXXXXX")")
trap 'pg_harness_stop "$CLUSTER"; rm -rf "$CLUSTER" "$WORK"' EXIT
bench_init "$WORK"
pg_harness_start "$CLUSTER" >&2
# Settings both sides benefit from alike (index builds, fewer checkpoints); reloadable, no restart.
pg_harness_psql "alter system set maintenance_work_mem = '256MB'" "alter system set max_wal_size = '4GB'" \
  "select pg_reload_conf()" "create role alfresco login" "create database alfresco owner alfresco" >/dev/null
PGBIN=$PG_HARNESS_BIN
CONN="host=$PGHOST port=$PGPORT user=$PG_HARNESS_SUPERUSER"
"$BIN/gen-contentstore" --db "host=$PGHOST port=$PGPORT user=alfresco dbname=alfresco" --size-mb "$STORE_MB" \
  --db-mb "$DB_MB" >&2
psql_value() { "$PGBIN/psql" -X -q -At -d "$1" -c "$2"; }
DB_BYTES=$(psql_value alfresco "select pg_database_size('alfresco')")
DUMPS=$WORK/backups

counts() { # database -> "table=rows ..." for the generated tables
  local t out=""
  for t in $TABLES; do out+="$t=$(psql_value "$1" "select count(*) from $t") "; done
  echo "$out"
}
SOURCE_COUNTS=$(counts alfresco)

drop() { "$PGBIN/dropdb" --if-exists --force "$1" 2> >(grep -v "does not exist, skipping" >&2); }
alfup_backup() { "$BIN/bench_db" "$WORK" "$CONN" "$PGBIN" backup alfresco "$DUMPS/alfup"; }
alfup_restore() { "$BIN/bench_db" "$WORK" "$CONN" "$PGBIN" restore "$DUMPS/alfup" alfresco_alfup alfresco alfresco; }
dump_fc() { "$PGBIN/pg_dump" -Fc -f "$DUMPS/alfresco.dump" -d alfresco; }
dump_fd() { "$PGBIN/pg_dump" -Fd -j "$JOBS" -f "$DUMPS/alfresco.dir" -d alfresco; }
# Like the step: create the database owned by alfresco, restore as that role, stop at the first error.
restore_fc() {
  "$PGBIN/createdb" -O alfresco alfresco_fc &&
    "$PGBIN/pg_restore" --exit-on-error --no-owner --role=alfresco -d alfresco_fc "$DUMPS/alfresco.dump"
}
restore_fd() {
  "$PGBIN/createdb" -O alfresco alfresco_fd &&
    "$PGBIN/pg_restore" -j "$JOBS" --exit-on-error --no-owner --role=alfresco -d alfresco_fd "$DUMPS/alfresco.dir"
}

one_run() {
  local mode=$1
  rm -rf "$DUMPS"
  mkdir -p "$DUMPS"
  drop alfresco_alfup && drop alfresco_fc && drop alfresco_fd
  bench_timed "$mode" "${mode}_alfup_backup" alfup_backup
  bench_timed "$mode" "${mode}_dump_fc" dump_fc
  bench_timed "$mode" "${mode}_dump_fd" dump_fd
  bench_timed "$mode" "${mode}_alfup_restore" alfup_restore
  bench_timed "$mode" "${mode}_restore_fc" restore_fc
  bench_timed "$mode" "${mode}_restore_fd" restore_fd
}

check_restored() {
  local db
  for db in alfresco_alfup alfresco_fc alfresco_fd; do
    [[ $(counts "$db") == "$SOURCE_COUNTS" ]] ||
      { echo "bench-db: $db has rows $(counts "$db"); the source has $SOURCE_COUNTS" >&2; exit 1; }
  done
}

table() {
  local m=$1 size
  size() { du -sb "$1" | cut -f1 | awk -v b="$DB_BYTES" '{printf "%.1f MB (%.2f)", $1 / 1048576, b / $1}'; }
  bench_header "dump size (db size / dump)"
  bench_row "**alfup db-backup** (facts: exact row counts in the snapshot; pg_dump -Fd -j $JOBS --snapshot)" "${m}_alfup_backup" "${m}_dump_fc" "$DB_BYTES" "$(size "$DUMPS/alfup")"
  bench_row "pg_dump -Fc (baseline)" "${m}_dump_fc" "" "$DB_BYTES" "$(size "$DUMPS/alfresco.dump")"
  bench_row "pg_dump -Fd -j $JOBS" "${m}_dump_fd" "${m}_dump_fc" "$DB_BYTES" "$(size "$DUMPS/alfresco.dir")"
  bench_row "alfup db-backup, vs pg_dump -Fd -j $JOBS" "${m}_alfup_backup" "${m}_dump_fd" "$DB_BYTES"
  bench_row "**alfup db-restore** (createdb, pg_restore -Fd -j $JOBS, row counts verified)" "${m}_alfup_restore" "${m}_restore_fc" "$DB_BYTES"
  bench_row "createdb + pg_restore from -Fc (baseline)" "${m}_restore_fc" "" "$DB_BYTES"
  bench_row "createdb + pg_restore -j $JOBS from -Fd" "${m}_restore_fd" "${m}_restore_fc" "$DB_BYTES"
  bench_row "alfup db-restore, vs pg_restore -j $JOBS" "${m}_alfup_restore" "${m}_restore_fd" "$DB_BYTES"
}

caption() {
  echo "database: $DB_BYTES bytes (pg_database_size), rows: $SOURCE_COUNTS; PostgreSQL $("$PGBIN/postgres" -V | awk '{print $3}')" \
       "(pg_harness: fsync off, shared_buffers 32MB, maintenance_work_mem 256MB); page cache: $1;" \
       "$RUNS run(s); jobs $JOBS; nproc $(nproc); load average before: $2, after: $(bench_load)"
}

bench_run_modes "$MODES" "$RUNS"
