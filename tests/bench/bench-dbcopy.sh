#!/usr/bin/env bash
# bench-dbcopy.sh -- times alfup's db-copy (CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY, owners given,
# rows verified) against db-backup + db-restore of the same generated Alfresco-like database, side by side,
# in a private PostgreSQL cluster: the two ways the prestaged cutover (issue 11) can carry the database.
#
# usage: tests/bench/bench-dbcopy.sh
#   env: BENCH_DB_MB=1024     database size (gen-contentstore --db-mb: about pg_database_size)
#        BENCH_STORE_MB=2048  the contentstore its alf_content_url rows describe (--size-mb; no file written)
#        BENCH_RUNS=3         runs of every operation, interleaved (copy, backup, restore per run)
#        BENCH_DB_JOBS=2      the "jobs" of db-backup and db-restore (the agent's default)
#        BENCH_CACHE=warm     warm, cold (sync + drop the page cache before every operation; root) or both
#        BENCH_DIR=/tmp       where dumps go;  ALFUP_BIN=build/bin (gen-contentstore, bench_db)
# Both results must have the source's row count in every generated table, or the script fails: a run on
# tiny sizes is a smoke test (ctest db_copy_bench_smoke).
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
  [[ -x $tool ]] || { echo "bench-dbcopy: $tool missing; build targets gen-contentstore and bench_db" >&2; exit 1; }
done
MODES=$(bench_cache_modes)
TABLES="alf_applied_patch alf_content_url alf_content_data alf_node alf_node_properties"

CLUSTER=$(mktemp -d /tmp/alfup-bdc-XXXXXX)
WORK=$(realpath "$(mktemp -d "${BENCH_DIR:-/tmp}/alfup-bench-dbcopy.XXXXXX")")
trap 'pg_harness_stop "$CLUSTER"; rm -rf "$CLUSTER" "$WORK"' EXIT
bench_init "$WORK"
pg_harness_start "$CLUSTER" >&2
# The same settings as bench-db.sh; reloadable, no restart.
pg_harness_psql "alter system set maintenance_work_mem = '256MB'" "alter system set max_wal_size = '4GB'" \
  "select pg_reload_conf()" "create role alfresco login" "create role alfresco_new login" \
  "create database alfresco owner alfresco" >/dev/null
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

# Both targets are alfup's (recorded in WORK/state), so each step may drop and make them again.
alfup_copy() { "$BIN/bench_db" "$WORK" "$CONN" "$PGBIN" copy alfresco alfresco_copy alfresco_new; }
alfup_backup() { "$BIN/bench_db" "$WORK" "$CONN" "$PGBIN" backup alfresco "$DUMPS/alfup"; }
alfup_restore() {
  "$BIN/bench_db" "$WORK" "$CONN" "$PGBIN" restore "$DUMPS/alfup" alfresco_restored alfresco alfresco_new
}

one_run() {
  local mode=$1
  rm -rf "$DUMPS"
  mkdir -p "$DUMPS"
  bench_timed "$mode" "${mode}_copy" alfup_copy
  bench_timed "$mode" "${mode}_backup" alfup_backup
  bench_timed "$mode" "${mode}_restore" alfup_restore
}

check_restored() {
  local db
  for db in alfresco_copy alfresco_restored; do
    [[ $(counts "$db") == "$SOURCE_COUNTS" ]] ||
      { echo "bench-dbcopy: $db has rows $(counts "$db"); the source has $SOURCE_COUNTS" >&2; exit 1; }
    [[ $(psql_value "$db" "select count(*) from pg_tables where schemaname = 'public' and tableowner <> 'alfresco_new'") == 0 ]] ||
      { echo "bench-dbcopy: $db has tables not owned by alfresco_new" >&2; exit 1; }
  done
}

table() {
  local m=$1
  bench_sum "${m}_dump_restore" "${m}_backup" "${m}_restore"
  bench_header "what it includes"
  bench_row "**alfup db-copy**" "${m}_copy" "${m}_dump_restore" "$DB_BYTES" \
    "client check, source row counts, template copy (FILE_COPY), owners, copy's row counts"
  bench_row "alfup db-backup + db-restore (baseline)" "${m}_dump_restore" "" "$DB_BYTES" "the two steps below, summed per run"
  bench_row "alfup db-backup" "${m}_backup" "${m}_dump_restore" "$DB_BYTES" "facts, pg_dump -Fd -j $JOBS"
  bench_row "alfup db-restore" "${m}_restore" "${m}_dump_restore" "$DB_BYTES" "createdb, pg_restore -j $JOBS, row counts"
  local copy both
  copy=$(_bench_values "${BENCH_T[${m}_copy]}" | _bench_median)
  both=$(_bench_values "${BENCH_T[${m}_dump_restore]}" | _bench_median)
  echo
  awk -v c="$copy" -v b="$both" \
    'BEGIN {printf "db-copy %.2f s | db-backup + db-restore %.2f s | %.1fx faster (median of the runs)\n", c, b, b / c}'
}

caption() {
  echo "database: $DB_BYTES bytes (pg_database_size), rows: $SOURCE_COUNTS; PostgreSQL $("$PGBIN/postgres" -V | awk '{print $3}')" \
       "(pg_harness: fsync off, so neither side pays for flushing: FILE_COPY's two checkpoints are cheap here," \
       "as are restore's writes); page cache: $1; $RUNS run(s); jobs $JOBS; nproc $(nproc);" \
       "load average before: $2, after: $(bench_load)"
}

bench_run_modes "$MODES" "$RUNS"
