#!/usr/bin/env bash
# bench-dbcopy.sh -- times alfup's db-copy (CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY, owners given,
# rows verified) against db-backup + db-restore of the same generated Alfresco-like database, side by side,
# in a private PostgreSQL cluster: the two ways the prestaged cutover (issue 11) can carry the database; and
# db-copy into a second private cluster (another server: its dump and restore path, pg_dump -Fd -j then
# pg_restore -j, rows verified there).
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
# The other server first: bench_db_start's harness exports (PGHOST, PGPORT) are then the source's.
OTHER=$(mktemp -d /tmp/alfup-bdo-XXXXXX)
trap 'pg_harness_stop "$OTHER"; rm -rf "$OTHER"' EXIT
pg_harness_start "$OTHER" >&2
OTHER_HOST=$PGHOST OTHER_PORT=$PGPORT
OTHER_CONN="host=$PGHOST port=$PGPORT user=$PG_HARNESS_SUPERUSER"
pg_harness_psql "alter system set maintenance_work_mem = '256MB'" "alter system set max_wal_size = '4GB'" \
  "select pg_reload_conf()" "create role alfresco_new login" >/dev/null
bench_db_start bench-dbcopy bdc "create role alfresco_new login"
trap 'pg_harness_stop "$CLUSTER"; rm -rf "$CLUSTER" "$WORK"; pg_harness_stop "$OTHER"; rm -rf "$OTHER"' EXIT

# Both targets are alfup's (recorded in WORK/state), so each step may drop and make them again.
alfup_copy() { "$BIN/bench_db" "$WORK" "$CONN" "$PGBIN" copy alfresco alfresco_copy alfresco_new; }
alfup_backup() { "$BIN/bench_db" "$WORK" "$CONN" "$PGBIN" backup alfresco "$DUMPS/alfup"; }
alfup_copy_other() {
  rm -rf "$DUMPS/copy-other"
  "$BIN/bench_db" "$WORK" "$CONN" "$PGBIN" copy-to "$OTHER_CONN" alfresco alfresco_other alfresco_new "$DUMPS/copy-other"
}
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
  bench_timed "$mode" "${mode}_copy_other" alfup_copy_other
}

check_restored() {
  local db
  for db in alfresco_copy alfresco_restored; do
    bench_db_check_rows bench-dbcopy "$db"
    [[ $(bench_psql_value "$db" "select count(*) from pg_tables where schemaname = 'public' and tableowner <> 'alfresco_new'") == 0 ]] ||
      { echo "bench-dbcopy: $db has tables not owned by alfresco_new" >&2; exit 1; }
  done
  PGHOST=$OTHER_HOST PGPORT=$OTHER_PORT bench_db_check_rows bench-dbcopy alfresco_other
  [[ $(PGHOST=$OTHER_HOST PGPORT=$OTHER_PORT bench_psql_value alfresco_other "select count(*) from pg_tables where schemaname = 'public' and tableowner <> 'alfresco_new'") == 0 ]] ||
    { echo "bench-dbcopy: alfresco_other (other server) has tables not owned by alfresco_new" >&2; exit 1; }
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
  bench_row "alfup db-copy to another server" "${m}_copy_other" "${m}_dump_restore" "$DB_BYTES" \
    "same-server test, then db-backup + db-restore into a second cluster on this machine (dump on the same disk)"
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
