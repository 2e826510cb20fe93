#!/usr/bin/env bash
# bench-backup.sh -- times alfup's backup-tree (+ sha-256 manifest) and verify-archive against tar | zstd -T0 -3 and
# tar -cf, and restore-tree (sha-256 checked) against zstd -d | tar -x, on a generated contentstore.
#
# usage: tests/bench/bench-backup.sh
#   env: BENCH_SIZE_MB=2048   contentstore size (gen-contentstore --size-mb)
#        BENCH_RUNS=3         runs of every operation, interleaved (alfup then baselines, per run)
#        BENCH_CACHE=warm     warm, cold (sync + drop the page cache before every operation; root) or both
#        BENCH_DIR=/tmp       where the tree and archives go (needs ~3x BENCH_SIZE_MB free)
#        ALFUP_BIN=build/bin  where gen-contentstore and bench_archive are (cmake --build B --target
#                             gen-contentstore bench_archive); ALFUP_BUILD_DIR/bin when only that is set
#        BENCH_THREADS        backup-tree's "threads" parameter (zstd workers); the step's default otherwise
#        BENCH_ONLINE=true    backup-tree and restore-tree as online work (online=true: idle I/O priority and nice,
#                             each file's pages dropped from the page cache once read or written)
# Prints, per cache mode, a markdown table: median and min-max wall seconds, MB/s, CPU seconds and the ratio
# to the baseline of the same run. Exits non-zero when any operation fails or a restored tree differs from
# the source (diff -r), so a run on tiny sizes is a smoke test (ctest archive_bench_smoke).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/bench-lib.sh"
SIZE_MB=${BENCH_SIZE_MB:-2048}
RUNS=${BENCH_RUNS:-3}
BIN=${ALFUP_BIN:-${ALFUP_BUILD_DIR:-build}/bin}
for tool in "$BIN/gen-contentstore" "$BIN/bench_archive"; do
  [[ -x $tool ]] || { echo "bench-backup: $tool missing; build targets gen-contentstore and bench_archive" >&2; exit 1; }
done
command -v zstd >/dev/null || { echo "bench-backup: zstd is not installed" >&2; exit 1; }
MODES=$(bench_cache_modes)

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/alfup-bench.XXXXXX")
WORK=$(realpath "$WORK")
trap 'rm -rf "$WORK"' EXIT
bench_init "$WORK"
SRC=$WORK/src/contentstore
mkdir -p "$WORK/src" "$WORK/backups"
"$BIN/gen-contentstore" --store "$SRC" --size-mb "$SIZE_MB" >&2
TREE_BYTES=$(find "$SRC" -type f -printf "%s\n" | awk '{s += $1} END {printf "%.0f", s}')
FILES=$(find "$SRC" -type f | wc -l)
ARCHIVE=$WORK/backups/contentstore.tar.zst
BASE=$WORK/backups/baseline.tar.zst
PLAIN=$WORK/backups/baseline.tar

alfup_backup() { rm -f "$ARCHIVE" "$ARCHIVE".*; "$BIN/bench_archive" "$WORK" backup "$ARCHIVE" "$SRC"; }
alfup_verify() { "$BIN/bench_archive" "$WORK" verify "$ARCHIVE"; }
alfup_restore() { "$BIN/bench_archive" "$WORK" restore "$ARCHIVE" "$WORK/restore"; }
base_zstd() { tar -cf - -C "$WORK/src" contentstore | zstd -T0 -3 -q -f -o "$BASE"; }
base_tar() { tar -cf "$PLAIN" -C "$WORK/src" contentstore; }
base_restore() { zstd -d -q -c "$BASE" | tar -x -C "$WORK/restore-base"; }
# The same, made durable as alfup's are (it fsyncs the archive; it syncfs's the restored tree).
base_zstd_sync() { base_zstd && sync "$BASE"; }
base_restore_sync() { base_restore && sync -f "$WORK/restore-base"; }

# One run of every operation in cache mode $1; the restored trees are left for the check.
one_run() {
  local mode=$1
  bench_timed "$mode" "${mode}_alfup_backup" alfup_backup
  bench_timed "$mode" "${mode}_alfup_verify" alfup_verify
  bench_timed "$mode" "${mode}_base_zstd" base_zstd
  bench_timed "$mode" "${mode}_base_zstd_sync" base_zstd_sync
  rm -f "$PLAIN"
  bench_timed "$mode" "${mode}_base_tar" base_tar
  rm -rf "$WORK/restore" "$WORK/restore-base"
  mkdir -p "$WORK/restore-base"
  bench_timed "$mode" "${mode}_alfup_restore" alfup_restore
  bench_timed "$mode" "${mode}_base_restore" base_restore
  rm -rf "$WORK/restore-base"
  mkdir -p "$WORK/restore-base"
  bench_timed "$mode" "${mode}_base_restore_sync" base_restore_sync
}

# The restored trees must equal the source (alfup restores the tree's contents into the target).
check_restored() {
  diff -r --no-dereference "$SRC" "$WORK/restore/contentstore" >/dev/null ||
    { echo "bench-backup: alfup's restored tree differs from the source" >&2; exit 1; }
  diff -r --no-dereference "$SRC" "$WORK/restore-base/contentstore" >/dev/null ||
    { echo "bench-backup: the baseline's restored tree differs from the source" >&2; exit 1; }
}

table() {
  local m=$1
  ratio() { awk -v b="$TREE_BYTES" -v a="$(stat -c %s "$1")" 'BEGIN {printf "%.3f", b / a}'; }
  bench_sum "${m}_alfup_bv" "${m}_alfup_backup" "${m}_alfup_verify"
  bench_header "size ratio"
  bench_row "alfup backup-tree (pax + zstd -3, sha-256 manifest, fsync)" "${m}_alfup_backup" "${m}_base_zstd" "$TREE_BYTES" "$(ratio "$ARCHIVE")"
  bench_row "alfup verify-archive" "${m}_alfup_verify" "${m}_base_zstd" "$TREE_BYTES"
  bench_row "**alfup backup-tree + verify-archive**" "${m}_alfup_bv" "${m}_base_zstd" "$TREE_BYTES"
  bench_row "tar -cf - DIR \\| zstd -T0 -3 (baseline)" "${m}_base_zstd" "" "$TREE_BYTES" "$(ratio "$BASE")"
  bench_row "tar -cf (no compression)" "${m}_base_tar" "${m}_base_zstd" "$TREE_BYTES" "$(ratio "$PLAIN")"
  bench_row "alfup backup-tree + verify-archive, vs tar -cf" "${m}_alfup_bv" "${m}_base_tar" "$TREE_BYTES"
  bench_row "tar -cf - DIR \\| zstd -T0 -3, then sync FILE (durable, as alfup's)" "${m}_base_zstd_sync" "${m}_base_zstd" "$TREE_BYTES"
  bench_row "alfup backup-tree alone, vs tar \\| zstd + sync" "${m}_alfup_backup" "${m}_base_zstd_sync" "$TREE_BYTES"
  bench_row "alfup backup-tree + verify-archive, vs tar \\| zstd + sync" "${m}_alfup_bv" "${m}_base_zstd_sync" "$TREE_BYTES"
  bench_row "**alfup restore-tree (sha-256 checked per file, syncfs)**" "${m}_alfup_restore" "${m}_base_restore" "$TREE_BYTES"
  bench_row "zstd -d \\| tar -x (baseline)" "${m}_base_restore" "" "$TREE_BYTES"
  bench_row "zstd -d \\| tar -x, then sync -f DIR (durable, as alfup's)" "${m}_base_restore_sync" "${m}_base_restore" "$TREE_BYTES"
  bench_row "alfup restore-tree, vs zstd -d \\| tar -x + sync" "${m}_alfup_restore" "${m}_base_restore_sync" "$TREE_BYTES"
}

caption() {
  local mode=$1
  echo "tree: $FILES files, $TREE_BYTES bytes; page cache: $mode$([[ $mode == cold ]] && echo ' (sync; echo 3 > /proc/sys/vm/drop_caches before every operation)' || echo ' (sync before every operation, caches kept)');" \
       "$RUNS run(s); nproc $(nproc); $(lscpu | sed -n 's/^Model name: *//p' | head -1);" \
       "load average before: $2, after: $(bench_load)"
}

bench_run_modes "$MODES" "$RUNS"
