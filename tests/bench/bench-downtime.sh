#!/usr/bin/env bash
# bench-downtime.sh -- the production downtime of both shipped workflows on the lab (issue 11): the seed's order
# (alfresco-upgrade) and the prestaged upgrade (alfresco-upgrade-prestaged), each on a fresh lab of the same size
# with the same writes by production (the lab writer: files added, orphans moved), and the prestaged upgrade once
# more on BENCH_SCALE times the contentstore (same database, same writes). For a prestaged run the writes happen
# while it prepares and copies the base (it waits at the cutover gate until the writer is done); the seed's order
# stops production first, so there they happen just before the run. Each run is checked (every content file's
# sha-256 and every table's row count, old vs new) and its downtime printed -- stop-old's start to
# verify-restored's end, from status --json -- with the stages inside it (per stage its longest step). During a
# prestaged run the old repository's readiness probe is polled every 200 ms: its latency while the base is copied
# online against an idle window of the same length at the cutover gate (tests/lab/lab-probe.sh). Last, with
# BENCH_DB_MB, bench-dbcopy.sh on a database of that size: the template copy against dump + restore of the same
# database, and dump + restore into another PostgreSQL server (the copy's other-server path).
#
# usage: tests/bench/bench-downtime.sh
#   env: BENCH_FILES=3000   content files of each lab (ALFUP_LAB_FILES; the lab's own generator, not
#                           gen-contentstore: the stand-ins check every content row's file)
#        BENCH_CONTENT_MB=0 the contentstore's size instead (ALFUP_LAB_CONTENT_MB: gen-contentstore's size mix)
#        BENCH_DB_MB=0      the old database padded to this size (ALFUP_LAB_DB_MB); > 0 also runs bench-dbcopy.sh
#                           (BENCH_DBCOPY=0: not; BENCH_DB_RUNS=1 its runs)
#        BENCH_SCALE=4      the prestaged run again at this many times the store (0 or 1: not run)
#        BENCH_ADD=200, BENCH_ORPHAN=50   the writer's files added and orphans moved
#        ALFUP_BIN=build/bin  (alfup-controller, alfup-agent, the stand-ins, gen-contentstore and bench_db)
# Root for the lab's network namespaces (else processes on 127.0.0.1). A run on tiny sizes is the smoke test
# (ctest bench_downtime_smoke): it fails when a run fails or a check does not hold, never on the times.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
export ALFUP_BIN=${ALFUP_BIN:-$SRC/build/bin}
files=${BENCH_FILES:-3000} add=${BENCH_ADD:-200} orphan=${BENCH_ORPHAN:-50}
content_mb=${BENCH_CONTENT_MB:-0} db_mb=${BENCH_DB_MB:-0} scale=${BENCH_SCALE:-4}
export ALFUP_LAB_START_TIMEOUT_S=${ALFUP_LAB_START_TIMEOUT_S:-600}   # the stand-ins read every content file
source "$SRC/tests/lab/lab-lib.sh"
source "$SRC/tests/lab/lab-verify.sh"
source "$SRC/tests/lab/lab-configs.sh"
source "$SRC/tests/lab/lab-writes.sh"
source "$SRC/tests/lab/lab-probe.sh"
source "$SRC/tests/lib/err_trap.sh"

WORK=$(mktemp -d /tmp/alfup-bench-downtime.XXXXXX)
chmod 755 "$WORK"   # the labs' PostgreSQL runs as the postgres user below it
cleanup() {
    local rc=$? d
    for d in "$WORK"/seed "$WORK"/prestaged*; do [ -d "$d" ] && "$SRC/tests/lab/lab-down.sh" "$d" > /dev/null 2>&1 || true; done
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

# one LABEL WORKFLOW FILES CONTENT_MB -- a fresh lab in WORK/LABEL, the writes, the run to the decommission gate,
# the checks; WORK/LABEL/status.json (and probe-latency.txt for a prestaged run).
one() {
    local label=$1 wf=$2 dir=$WORK/$1 run rc
    ALFUP_LAB_FILES=$3 ALFUP_LAB_CONTENT_MB=$4 ALFUP_LAB_DB_MB=$db_mb "$SRC/tests/lab/lab-up.sh" "$dir" \
        > "$WORK/$label.up.log" 2>&1 || { tail -n 20 "$WORK/$label.up.log" >&2; die "$label: lab-up failed"; }
    lab_load "$dir"
    echo "$label: $wf, contentstore $(du -sh "$LAB_OLD_DIR_ROOT/contentstore" | cut -f1) ($(find "$LAB_OLD_DIR_ROOT/contentstore" -type f | wc -l) files)," \
        "database $(lab_psql "$LAB_OLD_DB" "select pg_size_pretty(pg_database_size(current_database()))")"
    if [ "$wf" = alfresco-upgrade-prestaged ]; then
        lab_plan_yaml --workflow "$wf" --staging --settle-s 2
        sed -i 's/^approve: \[decommission\]$/approve: [cutover, decommission]/' "$dir/plan.yaml"
        lab_probe_start || die "$label: the probe poller did not start"
        lab_writer_start --add "$add" --orphan "$orphan" --interval-ms 20
        run=$(lab_ctl run "$dir/plan.yaml" | head -n1) || die "$label: run"
        rc=$(wait_run "$run" "$dir/logs/run.out")
        [ "$rc" = 5 ] && [ "$(status_field "$run" 's["waiting_for"]')" = cutover ] ||
            die "$label: not at the cutover gate (exit $rc): $(tail -n 5 "$dir/logs/run.out")"
        lab_writer_wait 600 || die "$label: the writer did not finish"
        lab_probe_compare "$run" > /dev/null || die "$label: the probe latency was not measured"
        lab_probe_stop || true
        lab_ctl approve "$run" cutover > /dev/null || die "$label: approve cutover"
    else
        lab_writer_start --add "$add" --orphan "$orphan" --interval-ms 20
        lab_writer_wait 600 || die "$label: the writer did not finish"
        run=$(lab_ctl run "$dir/plan.yaml" | head -n1) || die "$label: run"
    fi
    rc=$(wait_run "$run" "$dir/logs/run2.out")
    [ "$rc" = 5 ] && [ "$(status_field "$run" 's["waiting_for"]')" = decommission ] ||
        die "$label: not at the decommission gate (exit $rc): $(tail -n 5 "$dir/logs/run2.out")"
    local out
    out=$(lab_check_content) || die "$label: $out"
    out=$(lab_check_db_counts) || die "$label: $out"
    lab_ctl status "$run" --json > "$dir/status.json"
    "$SRC/tests/lab/lab-down.sh" "$dir" > /dev/null 2>&1 || true
    # The next lab needs the disk (a 4x lab holds its store, the base archive and the copy): keep the results.
    find "$dir" -mindepth 1 -maxdepth 1 ! -name status.json ! -name probe-latency.txt ! -name logs -exec rm -rf {} +
}

# summary DIR... -- per run its downtime with the stages inside it and, for a prestaged run, the probe latency;
# then the targets' ratios (printed, never failing: the smoke run's sizes are far below the targets').
summary() {
    python3 - "$@" <<'EOF'
import json, os, sys
down = {}
for d in sys.argv[1:]:
    label = os.path.basename(d)
    s = json.load(open(os.path.join(d, "status.json")))
    steps = [x for p in s["phases"] for x in p["steps"]]
    find = lambda n: next(x for x in steps if x["step"] == n)
    stop, ready = find("stop-old"), find("verify-restored")
    down[label] = (ready["finished_unix_ms"] - stop["started_unix_ms"]) / 1000.0
    print("%s (%s): downtime %.2f s (stop-old start .. verify-restored end)" % (label, s["workflow"], down[label]))
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
        elif x["kind"] == "db-copy":
            extra = " (%s, %s bytes)" % (o.get("method", "template"), o.get("bytes"))
        elif x["kind"] in ("backup-tree", "restore-tree"):
            extra = " (%s files, %s bytes)" % (o.get("files", "-"), o.get("bytes"))
        longest = "*" if stages.get((phase, x["stage"])) is x else " "
        print("  %-16s stage %-3s %s%-24s %6.2f s%s" % (phase, x["stage"], longest, x["step"], x["elapsed_s"], extra))
    print("  (* the longest step of its stage; the stages run one after the other)")
    base = [x for x in steps if x["step"] == "base-content"]
    if base:
        o = base[0].get("outputs") or {}
        print("  base copy while production served: base-content %.2f s, %s files, %s bytes" % (
            base[0]["elapsed_s"], o.get("files"), o.get("bytes")))
    probes = os.path.join(d, "probe-latency.txt")
    if os.path.exists(probes):
        for line in open(probes):
            print("  " + line.rstrip("\n"))
print()
print("| target | measured | |")
print("|---|---|---|")
if "seed" in down and "prestaged" in down:
    r = down["prestaged"] / down["seed"]
    print("| prestaged downtime <= 0.15 x the seed order's | %.2f s / %.2f s = %.3f x | %s |" % (
        down["prestaged"], down["seed"], r, "met" if r <= 0.15 else "missed"))
for k in [k for k in down if k.startswith("prestaged-x")]:
    r = down[k] / down["prestaged"]
    print("| prestaged downtime at %s the store <= 1.1 x at 1x | %.2f s / %.2f s = %.3f x | %s |" % (
        k[len("prestaged-"):], down[k], down["prestaged"], r, "met" if r <= 1.1 else "missed"))
EOF
}

echo "bench-downtime: $files content files (content_mb $content_mb: the store's size when > 0), database padded to" \
    "$db_mb MiB (0: not padded), prestaged again at ${scale}x the store; writer $add added / $orphan orphaned;" \
    "labs in $WORK; nproc $(nproc), load average $(cut -d' ' -f1-3 /proc/loadavg)"
one seed alfresco-upgrade "$files" "$content_mb"
one prestaged alfresco-upgrade-prestaged "$files" "$content_mb"
dirs=("$WORK/seed" "$WORK/prestaged")
if [ "$scale" -gt 1 ]; then
    one "prestaged-x$scale" alfresco-upgrade-prestaged $((files * scale)) $((content_mb * scale))
    dirs+=("$WORK/prestaged-x$scale")
fi
echo "load average after the labs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
summary "${dirs[@]}"
if [ "$db_mb" -gt 0 ] && [ "${BENCH_DBCOPY:-1}" != 0 ]; then
    echo
    echo "== the database alone: template copy against dump + restore, and dump + restore into another server" \
        "(bench-dbcopy.sh, $db_mb MiB)"
    BENCH_DB_MB=$db_mb BENCH_STORE_MB=$((content_mb > 0 ? content_mb : 2048)) BENCH_RUNS=${BENCH_DB_RUNS:-1} \
        "$SRC/tests/bench/bench-dbcopy.sh"
fi
