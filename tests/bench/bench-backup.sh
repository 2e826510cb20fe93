#!/usr/bin/env bash
# bench-backup.sh -- times alfup's backup (+manifest) + verify and restore against tar | zstd on a generated contentstore.
#
# usage: tests/bench/bench-backup.sh            (env: BENCH_SIZE_MB=1024 BENCH_RUNS=3 BENCH_DIR=/tmp
#                                                      ALFUP_BUILD_DIR=build  BENCH_THREADS=<zstd workers>)
# Needs gen_tree and bench_archive from the build (cmake --build BUILD --target gen_tree bench_archive),
# tar and zstd. Prints a markdown table of medians; exits non-zero when any run fails or a restored tree
# differs from the source.
set -euo pipefail

SIZE_MB=${BENCH_SIZE_MB:-1024}
RUNS=${BENCH_RUNS:-3}
BIN=${ALFUP_BUILD_DIR:-build}/bin
for tool in "$BIN/gen_tree" "$BIN/bench_archive"; do
  [[ -x $tool ]] || { echo "bench-backup: $tool missing; build targets gen_tree and bench_archive" >&2; exit 1; }
done
command -v zstd >/dev/null || { echo "bench-backup: zstd is not installed" >&2; exit 1; }

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/alfup-bench.XXXXXX")
WORK=$(realpath "$WORK")
trap 'rm -rf "$WORK"' EXIT
SRC=$WORK/src/contentstore
mkdir -p "$WORK/src" "$WORK/backups"
"$BIN/gen_tree" "$SRC" "$SIZE_MB" >&2
TREE_BYTES=$(find "$SRC" -type f -printf "%s\n" | awk "{s += \$1} END {print s}")
FILES=$(find "$SRC" -type f | wc -l)
sync
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

declare -A T
record() { T[$1]="${T[$1]:-} $2"; }

# timed NAME CMD... -- runs CMD, records its wall-clock and CPU (user+sys, children included) seconds.
timed() {
  local name=$1 real user sys
  shift
  if ! { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>"$WORK/stderr.txt"; } 2>"$WORK/time.txt"; then
    echo "bench-backup: $name failed:" >&2
    cat "$WORK/stderr.txt" >&2
    exit 1
  fi
  read -r real user sys <"$WORK/time.txt"
  record "$name" "$real"
  record "${name}_cpu" "$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.3f", u + s}')"
}
base_backup() { tar -cf - -C "$WORK/src" contentstore | zstd -T0 -3 -q -f -o "$1"; }
base_restore() { zstd -d -q -c "$1" | tar -x -C "$2"; }

for run in $(seq 1 "$RUNS"); do
  ARCHIVE=$WORK/backups/contentstore.tar.zst
  rm -f "$ARCHIVE" "$ARCHIVE.manifest" "$ARCHIVE.sha256"
  timed alfup_backup "$BIN/bench_archive" "$WORK" backup "$ARCHIVE" "$SRC"
  timed alfup_verify "$BIN/bench_archive" "$WORK" verify "$ARCHIVE"
  rm -rf "$WORK/restore"
  timed alfup_restore "$BIN/bench_archive" "$WORK" restore "$ARCHIVE" "$WORK/restore"
  ALFUP_BYTES=$(stat -c %s "$ARCHIVE")

  BASE=$WORK/backups/baseline.tar.zst
  timed base_backup base_backup "$BASE"
  rm -rf "$WORK/restore-base"; mkdir -p "$WORK/restore-base"
  timed base_restore base_restore "$BASE" "$WORK/restore-base"
  BASE_BYTES=$(stat -c %s "$BASE")
done

# The restored trees must equal the source (alfup restores the tree's contents into the target).
diff -r --no-dereference "$SRC" "$WORK/restore/contentstore" >/dev/null
diff -r --no-dereference "$SRC" "$WORK/restore-base/contentstore" >/dev/null

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mbs() { awk -v b="$TREE_BYTES" -v s="$1" 'BEGIN {printf "%.1f", b / 1048576 / s}'; }
row() { # label, key, ratio
  local m c
  m=$(median "${T[$2]}")
  c=$(median "${T[${2}_cpu]}")
  printf '| %s | %.2f | %s | %.2f | %s |\n' "$1" "$m" "$(mbs "$m")" "$c" "$3"
}
ratio() { awk -v b="$TREE_BYTES" -v a="$1" 'BEGIN {printf "%.3f", b / a}'; }
sum_medians() { awk -v a="$(median "${T[$1]}")" -v b="$(median "${T[$2]}")" 'BEGIN {printf "%.3f", a + b}'; }
T[alfup_bv]=" $(sum_medians alfup_backup alfup_verify)"
T[alfup_bv_cpu]=" $(sum_medians alfup_backup_cpu alfup_verify_cpu)"

echo "tree: $FILES files, $TREE_BYTES bytes; $RUNS run(s), median; nproc $(nproc);" \
     "$(lscpu | sed -n 's/^Model name: *//p' | head -1); load average before: $LOAD_BEFORE"
echo
echo "| operation | wall s | MB/s | CPU s (user+sys) | ratio |"
echo "|---|---|---|---|---|"
row "alfup backup-tree (pax + zstd -3, sha-256 manifest, fsync)" alfup_backup "$(ratio "$ALFUP_BYTES")"
row "alfup verify-archive" alfup_verify ""
row "alfup backup-tree + verify-archive" alfup_bv ""
row "tar -cf - DIR \\| zstd -T0 -3" base_backup "$(ratio "$BASE_BYTES")"
row "alfup restore-tree (sha-256 checked per file, syncfs)" alfup_restore ""
row "zstd -d \\| tar -x" base_restore ""
