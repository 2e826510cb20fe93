# bench-lib.sh -- timing, page-cache control and the result table shared by bench-backup.sh, bench-db.sh and
# bench-dbcopy.sh, and the database benchmarks' common start (source me).
#
# bench_init WORK           where timing scratch files go
# bench_cache_modes         prints the page-cache modes to run (BENCH_CACHE: warm (default), cold or both);
#                           fails when cold is asked for and the caches cannot be dropped (not root)
# bench_timed MODE NAME CMD...
#                           syncs first (not timed; so no operation pays for an earlier one's dirty
#                           pages), in mode cold also drops the page cache; then runs CMD
#                           (stdout discarded) and records its wall-clock and CPU (user+sys of this shell's
#                           children) seconds under NAME; exits the script when CMD fails
# bench_row LABEL NAME BASE BYTES [EXTRA]
#                           prints a markdown row: median and min-max wall seconds of NAME over the runs,
#                           MB/s (MiB of BYTES per median second), median CPU seconds, and the ratio
#                           NAME/BASE computed per run (the same loop iteration), as median (min-max);
#                           BASE "" for a baseline row; EXTRA goes in the last column
# bench_header              the table's header
# bench_load                the 1, 5 and 15 minute load averages
# bench_run_modes MODES RUNS
#                           per page-cache mode: RUNS calls of one_run MODE, then check_restored, then
#                           the caption (caption MODE LOAD_BEFORE) and the table (table MODE); the
#                           caller defines those four functions
# bench_db_start NAME TAG [SQL...]
#                           the start bench-db.sh and bench-dbcopy.sh share (the caller sources
#                           tests/lib/pg_harness.sh first): reads BENCH_DB_MB, BENCH_STORE_MB, BENCH_RUNS,
#                           BENCH_DB_JOBS (exported), BENCH_DIR and ALFUP_BIN; exits, naming NAME, when
#                           gen-contentstore or bench_db is missing; starts a private cluster in
#                           /tmp/alfup-TAG-XXXXXX (TAG short: the server's socket lives in it) with the
#                           settings both sides benefit from alike, role alfresco, database alfresco owned
#                           by it, then runs SQL...; generates the Alfresco-like database in it; removes the
#                           cluster and the work folder on exit. Sets DB_MB STORE_MB RUNS JOBS BIN MODES TABLES
#                           CLUSTER WORK PGBIN CONN DB_BYTES DUMPS SOURCE_COUNTS
# bench_psql_value DB QUERY the one value QUERY returns in database DB
# bench_db_counts DB        "table=rows ..." for the generated TABLES of database DB
# bench_db_check_rows NAME DB
#                           exits, naming NAME and DB, unless DB has SOURCE_COUNTS

declare -A BENCH_T

bench_init() { BENCH_WORK=$1; }

bench_cache_modes() {
  case ${BENCH_CACHE:-warm} in
    warm) echo warm ;;
    cold | both)
      if [[ $(id -u) != 0 ]] || ! { sync && echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then
        echo "bench: BENCH_CACHE=${BENCH_CACHE} needs root (to write /proc/sys/vm/drop_caches)" >&2
        return 1
      fi
      [[ $BENCH_CACHE == both ]] && echo "warm cold" || echo cold ;;
    *) echo "bench: BENCH_CACHE must be warm, cold or both" >&2; return 1 ;;
  esac
}

bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

_bench_record() { BENCH_T[$1]="${BENCH_T[$1]:-} $2"; }

bench_timed() {
  local mode=$1 name=$2 real user sys
  shift 2
  sync
  [[ $mode == cold ]] && echo 3 >/proc/sys/vm/drop_caches
  if ! { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>"$BENCH_WORK/stderr.txt"; } 2>"$BENCH_WORK/time.txt"; then
    echo "bench: $name failed:" >&2
    cat "$BENCH_WORK/stderr.txt" >&2
    exit 1
  fi
  read -r real user sys <"$BENCH_WORK/time.txt"
  _bench_record "$name" "$real"
  _bench_record "${name}_cpu" "$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.3f", u + s}')"
}

# bench_sum NEW A B -- records, per run, A + B under NEW (wall and CPU).
bench_sum() {
  local new=$1 a=$2 b=$3 suffix
  for suffix in "" _cpu; do
    BENCH_T[$new$suffix]=$(paste -d' ' <(_bench_values "${BENCH_T[$a$suffix]}") \
      <(_bench_values "${BENCH_T[$b$suffix]}") | awk '{printf " %.3f", $1 + $2}')
  done
}

_bench_values() { tr ' ' '\n' <<<"$1" | grep -v '^$'; }
_bench_median() { sort -g | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
_bench_range() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}'; }
_bench_ratios() { paste -d' ' <(_bench_values "${BENCH_T[$1]}") <(_bench_values "${BENCH_T[$2]}") | awk '{printf "%.3f\n", $1 / $2}'; }

bench_header() {
  echo "| operation | median s | min-max s | MB/s | CPU s | time / baseline, median (min-max) | $1 |"
  echo "|---|---|---|---|---|---|---|"
}

bench_row() {
  local label=$1 name=$2 base=$3 bytes=$4 extra=${5:-} median range cpu ratio=""
  median=$(_bench_values "${BENCH_T[$name]}" | _bench_median)
  range=$(_bench_values "${BENCH_T[$name]}" | _bench_range)
  cpu=$(_bench_values "${BENCH_T[${name}_cpu]:-}" | _bench_median)
  if [[ -n $base ]]; then
    ratio="$(printf '%.2f' "$(_bench_ratios "$name" "$base" | _bench_median)") ($(_bench_ratios "$name" "$base" | _bench_range))"
  else
    ratio="baseline"
  fi
  printf '| %s | %.2f | %s | %s | %s | %s | %s |\n' "$label" "$median" "$range" \
    "$(awk -v b="$bytes" -v s="$median" 'BEGIN {printf "%.1f", b / 1048576 / s}')" \
    "${cpu:+$(printf '%.2f' "$cpu")}" "$ratio" "$extra"
}

bench_run_modes() {
  local modes=$1 runs=$2 mode load_before
  for mode in $modes; do
    load_before=$(bench_load)
    for _ in $(seq 1 "$runs"); do one_run "$mode"; done
    check_restored
    echo
    caption "$mode" "$load_before"
    echo
    table "$mode"
  done
}

bench_psql_value() { "$PGBIN/psql" -X -q -At -d "$1" -c "$2"; }

bench_db_counts() {
  local t out=""
  for t in $TABLES; do out+="$t=$(bench_psql_value "$1" "select count(*) from $t") "; done
  echo "$out"
}

bench_db_check_rows() {
  [[ $(bench_db_counts "$2") == "$SOURCE_COUNTS" ]] ||
    { echo "$1: $2 has rows $(bench_db_counts "$2"); the source has $SOURCE_COUNTS" >&2; exit 1; }
}

bench_db_start() {
  local name=$1 tag=$2 tool
  shift 2
  DB_MB=${BENCH_DB_MB:-1024}
  STORE_MB=${BENCH_STORE_MB:-2048}
  RUNS=${BENCH_RUNS:-3}
  JOBS=${BENCH_DB_JOBS:-2}
  export BENCH_DB_JOBS=$JOBS
  BIN=${ALFUP_BIN:-${ALFUP_BUILD_DIR:-build}/bin}
  for tool in "$BIN/gen-contentstore" "$BIN/bench_db"; do
    [[ -x $tool ]] || { echo "$name: $tool missing; build targets gen-contentstore and bench_db" >&2; exit 1; }
  done
  MODES=$(bench_cache_modes)
  TABLES="alf_applied_patch alf_content_url alf_content_data alf_node alf_node_properties"
  CLUSTER=$(mktemp -d "/tmp/alfup-$tag-XXXXXX")
  WORK=$(realpath "$(mktemp -d "${BENCH_DIR:-/tmp}/alfup-$name.XXXXXX")")
  trap 'pg_harness_stop "$CLUSTER"; rm -rf "$CLUSTER" "$WORK"' EXIT
  bench_init "$WORK"
  pg_harness_start "$CLUSTER" >&2
  # Settings both sides benefit from alike (index builds, fewer checkpoints); reloadable, no restart.
  pg_harness_psql "alter system set maintenance_work_mem = '256MB'" "alter system set max_wal_size = '4GB'" \
    "select pg_reload_conf()" "create role alfresco login" "create database alfresco owner alfresco" "$@" >/dev/null
  PGBIN=$PG_HARNESS_BIN
  CONN="host=$PGHOST port=$PGPORT user=$PG_HARNESS_SUPERUSER"
  "$BIN/gen-contentstore" --db "host=$PGHOST port=$PGPORT user=alfresco dbname=alfresco" --size-mb "$STORE_MB" \
    --db-mb "$DB_MB" >&2
  DB_BYTES=$(bench_psql_value alfresco "select pg_database_size('alfresco')")
  DUMPS=$WORK/backups
  SOURCE_COUNTS=$(bench_db_counts alfresco)
}
