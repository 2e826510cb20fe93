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
bench_db_start bench-db bdb

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
    bench_db_check_rows bench-db "$db"
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
