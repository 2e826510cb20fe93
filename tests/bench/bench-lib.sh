# bench-lib.sh -- timing, page-cache control and the result table shared by bench-backup.sh and bench-db.sh (source me).
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
