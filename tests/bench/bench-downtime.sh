#!/usr/bin/env bash
# bench-downtime.sh -- the production downtime of both shipped workflows on the lab (issue 11): the seed's order
# (alfresco-upgrade) and the prestaged upgrade (alfresco-upgrade-prestaged), each on a fresh lab of the same size
# with the same writes by production (the lab writer: files added, orphans moved). For the prestaged run the
# writes happen while it prepares and copies the base (it waits at the cutover gate until the writer is done);
# the seed's order stops production first, so there they happen just before the run. Each run is checked (every
# content file's sha-256 and every table's row count, old vs new) and its downtime printed -- stop-old's start to
# verify-restored's end, from status --json -- with the stages inside it (per stage its longest step).
#
# usage: tests/bench/bench-downtime.sh
#   env: BENCH_FILES=3000   content files of each lab (ALFUP_LAB_FILES; the lab's own generator, not
#                           gen-contentstore: the stand-ins check every content row's file)
#        BENCH_ADD=200, BENCH_ORPHAN=50   the writer's files added and orphans moved
#        ALFUP_BIN=build/bin  (alfup-controller, alfup-agent, the stand-ins)
# Root for the lab's network namespaces (else processes on 127.0.0.1). A run on tiny sizes is the smoke test
# (ctest bench_downtime_smoke): it fails when a run fails or a check does not hold, never on the times.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
export ALFUP_BIN=${ALFUP_BIN:-$SRC/build/bin}
files=${BENCH_FILES:-3000} add=${BENCH_ADD:-200} orphan=${BENCH_ORPHAN:-50}
source "$SRC/tests/lab/lab-lib.sh"
source "$SRC/tests/lab/lab-verify.sh"
source "$SRC/tests/lab/lab-configs.sh"
source "$SRC/tests/lab/lab-writes.sh"
source "$SRC/tests/lib/err_trap.sh"

WORK=$(mktemp -d /tmp/alfup-bench-downtime.XXXXXX)
chmod 755 "$WORK"   # the labs' PostgreSQL runs as the postgres user below it
cleanup() {
    local rc=$? d
    for d in "$WORK"/alfresco-upgrade*; do [ -d "$d" ] && "$SRC/tests/lab/lab-down.sh" "$d" > /dev/null 2>&1 || true; done
    [ "$rc" = 0 ] && rm -rf "$WORK"
    [ "$rc" = 0 ] || echo "bench-downtime: failed; the labs' files and logs stay in $WORK" >&2
    exit "$rc"
}
trap cleanup EXIT
die() { echo "bench-downtime: $*" >&2; exit 1; }

# status_field RUN EXPR -- a python expression on the run's status --json (bound to s).
status_field() {
    lab_ctl status "$1" --json | python3 -c "import json, sys; s = json.load(sys.stdin); print($2)"
}

# wait_run RUN OUT -- status --wait into OUT; prints the exit code.
wait_run() {
    local rc=0
    lab_ctl status "$1" --wait > "$2" 2>&1 || rc=$?
    echo "$rc"
}

# one WORKFLOW -- a fresh lab, the writes, the run to the decommission gate, the checks; DIR/status.json.
one() {
    local wf=$1 dir=$WORK/$1 run rc
    ALFUP_LAB_FILES=$files "$SRC/tests/lab/lab-up.sh" "$dir" > "$WORK/$wf.up.log" 2>&1 ||
        { tail -n 20 "$WORK/$wf.up.log" >&2; die "$wf: lab-up failed"; }
    lab_load "$dir"
    if [ "$wf" = alfresco-upgrade-prestaged ]; then
        lab_plan_yaml --workflow "$wf" --staging --settle-s 2
        sed -i 's/^approve: \[decommission\]$/approve: [cutover, decommission]/' "$dir/plan.yaml"
        lab_writer_start --add "$add" --orphan "$orphan" --interval-ms 20
        run=$(lab_ctl run "$dir/plan.yaml" | head -n1) || die "$wf: run"
        rc=$(wait_run "$run" "$dir/logs/run.out")
        [ "$rc" = 5 ] && [ "$(status_field "$run" 's["waiting_for"]')" = cutover ] ||
            die "$wf: not at the cutover gate (exit $rc): $(tail -n 5 "$dir/logs/run.out")"
        lab_writer_wait 600 || die "$wf: the writer did not finish"
        lab_ctl approve "$run" cutover > /dev/null || die "$wf: approve cutover"
    else
        lab_writer_start --add "$add" --orphan "$orphan" --interval-ms 20
        lab_writer_wait 600 || die "$wf: the writer did not finish"
        run=$(lab_ctl run "$dir/plan.yaml" | head -n1) || die "$wf: run"
    fi
    rc=$(wait_run "$run" "$dir/logs/run2.out")
    [ "$rc" = 5 ] && [ "$(status_field "$run" 's["waiting_for"]')" = decommission ] ||
        die "$wf: not at the decommission gate (exit $rc): $(tail -n 5 "$dir/logs/run2.out")"
    local out
    out=$(lab_check_content) || die "$wf: $out"
    out=$(lab_check_db_counts) || die "$wf: $out"
    lab_ctl status "$run" --json > "$dir/status.json"
    "$SRC/tests/lab/lab-down.sh" "$dir" > /dev/null 2>&1 || true
}

summary() {
    python3 - "$@" <<'EOF'
import json, sys
for path in sys.argv[1:]:
    s = json.load(open(path))
    steps = [x for p in s["phases"] for x in p["steps"]]
    find = lambda n: next(x for x in steps if x["step"] == n)
    stop, ready = find("stop-old"), find("verify-restored")
    down = (ready["finished_unix_ms"] - stop["started_unix_ms"]) / 1000.0
    print("%s: downtime %.2f s (stop-old start .. verify-restored end)" % (s["workflow"], down))
    inside = [x for x in steps if x["started_unix_ms"] and stop["started_unix_ms"] <= x["started_unix_ms"] <= ready["started_unix_ms"]]
    stages = {}
    for x in inside:
        phase = next(p["id"] for p in s["phases"] if x in p["steps"])
        k = (phase, x["stage"])
        if k not in stages or x["elapsed_s"] > stages[k]["elapsed_s"]:
            stages[k] = x
    shown = [x for x in stages.values()]
    shown += [x for x in inside if x["kind"] in ("backup-delta", "db-copy", "backup-tree", "db-backup", "db-restore",
                                                  "restore-tree") and x not in shown]
    for x in sorted(shown, key=lambda x: (x["stage"], -x["elapsed_s"])):
        phase = next(p["id"] for p in s["phases"] if x in p["steps"])
        o = x.get("outputs") or {}
        extra = ""
        if x["kind"] == "backup-delta":
            extra = " (%s files, %s bytes added; %s of %s folders re-listed)" % (
                o.get("files_added"), o.get("bytes_added"), o.get("folders_relisted"), o.get("folders_total"))
        elif x["kind"] in ("db-copy", "backup-tree", "restore-tree"):
            extra = " (%s files, %s bytes)" % (o.get("files", "-"), o.get("bytes"))
        longest = "*" if stages.get((phase, x["stage"])) is x else " "
        print("  %-16s stage %-3s %s%-24s %6.2f s%s" % (phase, x["stage"], longest, x["step"], x["elapsed_s"], extra))
    print("  (* the longest step of its stage; the stages run one after the other)")
    base = [x for x in steps if x["step"] == "base-content"]
    if base:
        print("  base copy while production served: base-content %.2f s, %s files" % (
            base[0]["elapsed_s"], (base[0].get("outputs") or {}).get("files")))
EOF
}

echo "bench-downtime: $files content files, writer $add added / $orphan orphaned, labs in $WORK"
for wf in alfresco-upgrade alfresco-upgrade-prestaged; do
    one "$wf"
done
summary "$WORK/alfresco-upgrade/status.json" "$WORK/alfresco-upgrade-prestaged/status.json"
