#!/usr/bin/env bash
# gen-smoke.sh -- gen-contentstore is deterministic, lays files out as Alfresco does, and its database names
# exactly the files it wrote (ctest bench_gen_smoke; needs PostgreSQL for tests/lib/pg_harness.sh).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../lib/pg_harness.sh"
GEN=${ALFUP_BIN:-${ALFUP_BUILD_DIR:-build}/bin}/gen-contentstore
[[ -x $GEN ]] || { echo "gen-smoke: $GEN missing; build target gen-contentstore" >&2; exit 1; }
fail() { echo "gen-smoke: FAIL: $*" >&2; exit 1; }

WORK=$(mktemp -d /tmp/alfup-gen-XXXXXX)
CLUSTER=$(mktemp -d /tmp/alfup-genpg-XXXXXX)
trap 'pg_harness_stop "$CLUSTER"; rm -rf "$WORK" "$CLUSTER"' EXIT
"$GEN" --store "$WORK/a" --size-mb 8 --seed 5 >/dev/null
"$GEN" --store "$WORK/b" --size-mb 8 --seed 5 >/dev/null
"$GEN" --store "$WORK/c" --size-mb 8 --seed 6 >/dev/null

# Same seed and size: the same names and bytes. Another seed: another store.
diff -r "$WORK/a" "$WORK/b" >/dev/null || fail "two stores from seed 5 differ"
! diff -rq "$WORK/a" "$WORK/c" >/dev/null || fail "seeds 5 and 6 gave the same store"

# Alfresco's layout (yyyy/m/d/h/m/<uuid>.bin), the size asked for, mostly small files, text and random data.
(cd "$WORK/a" && find . -type f -printf '%P %s\n') >"$WORK/files.txt"
bad=$(grep -Evc '^20[0-9]{2}/[0-9]{1,2}/[0-9]{1,2}/[0-9]{1,2}/[0-9]{1,2}/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.bin [0-9]+$' "$WORK/files.txt" || true)
[[ $bad == 0 ]] || fail "$bad files not named yyyy/m/d/h/m/<uuid>.bin"
total=$(awk '{s += $2} END {print s}' "$WORK/files.txt")
[[ $total == $((8 * 1024 * 1024)) ]] || fail "store holds $total bytes, not 8 MiB"
awk '$2 < 65536 {small++} END {exit !(NR >= 10 && small * 2 > NR)}' "$WORK/files.txt" ||
  fail "expected at least 10 files, mostly under 64 KiB: $(wc -l <"$WORK/files.txt") files"
compressible=0 random=0
while read -r rel _; do
  ratio=$(zstd -3 -c -q "$WORK/a/$rel" | wc -c | awk -v s="$(stat -c %s "$WORK/a/$rel")" '{print ($1 * 2 < s) ? "text" : "random"}')
  [[ $ratio == text ]] && compressible=$((compressible + 1)) || random=$((random + 1))
done <"$WORK/files.txt"
((compressible > 0 && random > 0)) || fail "text files: $compressible, random files: $random; expected both"

# The database: one alf_content_url row per file (store://<path>, its size); the same rows when loaded twice.
pg_harness_start "$CLUSTER" >&2
pg_harness_psql "create role alfresco login" "create database one owner alfresco" "create database two owner alfresco" >/dev/null
for db in one two; do
  "$GEN" --db "host=$PGHOST port=$PGPORT user=alfresco dbname=$db" --size-mb 8 --seed 5 --db-mb 10 >/dev/null
done
q() { "$PG_HARNESS_BIN/psql" -X -q -At -d "$1" -c "$2"; }
q one "select substr(content_url, 9) || ' ' || content_size from alf_content_url order by 1" >"$WORK/urls.txt"
sort "$WORK/files.txt" | diff - "$WORK/urls.txt" >/dev/null || fail "alf_content_url does not name exactly the generated files"
[[ $(q one "select count(*) from alf_content_url where content_url not like 'store://%'") == 0 ]] || fail "content_url without store://"
for t in alf_applied_patch alf_content_url alf_content_data alf_node alf_node_properties; do
  digest="select count(*) || ' ' || md5(string_agg(t::text, ',' order by t::text)) from $t t"
  [[ $(q one "$digest") == $(q two "$digest") ]] || fail "table $t differs between two loads from seed 5"
done
[[ $(q one "select count(*) from alf_node") -gt $(q one "select count(*) from alf_content_url") ]] || fail "no filler nodes"
size=$(q one "select pg_database_size('one')")
((size > 5 * 1048576 && size < 20 * 1048576)) || fail "database takes $size bytes; asked for about 10 MiB"
[[ $(q one "select min(applied_to_schema) from alf_applied_patch") == 14001 ]] || fail "schema number is not 14001"
echo "gen-smoke: ok ($(wc -l <"$WORK/files.txt") files, database $size bytes)"
