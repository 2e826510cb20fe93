#!/bin/bash
# quickstart.sh -- the main job: on a fresh Debian machine, installs what is missing, builds alfup and the
# Alfresco/Solr stand-ins, brings up a simulated split deployment (tests/lab/lab-up.sh: a controller and the
# hosts repo1, db1 and solr1 as network namespaces, a real PostgreSQL, the old installations running), checks
# the plan, runs the whole upgrade, verifies it, approves the decommission and prints a REPORT.
# By default the prestaged upgrade (workflow alfresco-upgrade-prestaged, docs/workflow.md): production keeps
# serving and writing (the lab writer adds 200 content files and lets the orphan cleaner move 50) while the new
# version is prepared, the contentstore copied and the upgrade rehearsed on a copy; the run waits at the cutover gate until the writer is done,
# then the cutover is approved: production is down only for the stop, the database copy, the delta, the start.
# It prints the console's address (the controller's web page, docs/console.md) and how to open it with the lab's
# operator certificate; watch the run there while it goes.
#   deploy/quickstart.sh                   run, report, take the lab down again
#   deploy/quickstart.sh --keep            leave the lab running (tests/lab/lab-down.sh DIR stops it), and its
#                                          console (printed with how to open it with the lab's operator certificate)
#   deploy/quickstart.sh --seed-workflow   the procedure's own order instead (workflow alfresco-upgrade:
#                                          production is down from the first step to the start; no writer)
# The lab lives in /tmp/alfup-quickstart (or $ALFUP_QUICKSTART_DIR). Safe to run twice: a previous quick
# start's lab is taken down first. Exits 0 only when the upgrade succeeded and every check held.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=${ALFUP_QUICKSTART_DIR:-/tmp/alfup-quickstart}
keep=0 prestaged=1
for arg in "$@"; do
    case "$arg" in
        --keep) keep=1 ;;
        --seed-workflow) prestaged=0 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "quickstart: unknown argument $arg (see --help)" >&2; exit 2 ;;
    esac
done

source "$top/deploy/install-deps.sh"
install_deps

echo "== build ($top/build)"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=Release -DALFUP_TESTS=ON -DALFUP_SANITIZE=OFF \
    -DALFUP_FUZZ=OFF -DALFUP_VALGRIND=OFF >/dev/null
# The stand-ins are test programs: named here so only what the quick start needs is built.
cmake --build "$top/build" -j "$(nproc)" --target alfup-controller alfup-agent alfresco-standin solr-standin >/dev/null
echo "built: alfup-controller alfup-agent alfresco-standin solr-standin in $top/build/bin"
export ALFUP_BIN=$top/build/bin

# An earlier quick start of the kind that only started daemons left their pids here.
if [ -f "$work/pids" ] && [ ! -f "$work/lab.state" ]; then
    while read -r pid; do
        case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in
            */alfup-controller | */alfup-agent) kill "$pid" 2>/dev/null || true ;;
        esac
    done < "$work/pids"
    rm -rf "$work"
fi

source "$top/tests/lab/lab-lib.sh"
source "$top/tests/lab/lab-verify.sh"
source "$top/tests/lab/lab-configs.sh"
source "$top/tests/lab/lab-writes.sh"
source "$top/tests/lab/lab-probe.sh"
finish() {
    if [ "$keep" = 1 ]; then
        echo "Left running: $work (lab.env, logs/, plan.yaml). Stop it: $top/tests/lab/lab-down.sh $work"
        [ -n "${console_url:-}" ] && print_console
    else
        "$top/tests/lab/lab-down.sh" "$work" || true
        echo "Lab taken down; its files and logs stay in $work"
    fi
}
trap finish EXIT

echo "== lab ($work)"
[ "$prestaged" = 1 ] && export ALFUP_LAB_US_PER_ROW=${ALFUP_LAB_US_PER_ROW:-1000}
"$top/tests/lab/lab-up.sh" "$work"
lab_load "$work"

# The console (docs/console.md): the controller's API in the lab. In netns mode the lab's addresses exist only
# inside its namespaces: tests/lab/lab_forward.py relays this machine's 127.0.0.1:PORT to it (the controller's
# certificate names 127.0.0.1 too), and lab-down.sh stops it with the lab.
console_url=$(lab_console_url)
if [ "$LAB_MODE" = netns ]; then
    console_port=${ALFUP_QUICKSTART_CONSOLE_PORT:-8443}
    setsid python3 "$top/tests/lab/lab_forward.py" "$(lab_ns ctl)" "$console_port" "$(lab_addr ctl)" "$LAB_API_PORT" \
        > "$work/logs/console-forward.log" 2>&1 < /dev/null &
    lab_state_add "pid $! $(readlink -f "$(command -v python3)") console-forward"
    disown "$!" # lab-down.sh stops it: no "Killed" line from this shell then
    for _ in $(seq 50); do grep -q listening "$work/logs/console-forward.log" && break; sleep 0.1; done
    if grep -q listening "$work/logs/console-forward.log"; then
        console_url=https://127.0.0.1:$console_port/
    else
        echo "console: no forward from 127.0.0.1:$console_port ($(tail -n 1 "$work/logs/console-forward.log"));" \
            "set ALFUP_QUICKSTART_CONSOLE_PORT to a free port"
    fi
fi
# print_console -- where the console is and how to open it with the lab's operator certificate.
print_console() {
    cat <<EOF
== the console: $console_url
  In a browser: import $work/ca/lab-operator.p12 (password: the line in $work/ca/lab-operator.p12.pw;
  both readable by root only: copy them for your desktop user) under "Your certificates", and
  $work/ca/ca.pem under "Authorities" (trusted to identify websites); open $console_url and
  choose lab-operator when asked. It holds every role (viewer, operator, approver, admin): the page
  shows every button. From a shell:
    curl --cacert $work/ca/ca.pem --cert $work/ca/lab-operator.pem --key $work/ca/lab-operator.key ${console_url}api/v1/runs
EOF
}
print_console
if [ "$prestaged" = 1 ]; then
    # The lab's store was just generated: settle_s 2 instead of 600, else every file counts as recent and the
    # delta copies it again (docs/plan.md, online.settle_s).
    # The rehearsal (issue 12): the new version upgrades a copy of production's database on its own port
    # while production serves; the stand-in's upgrade takes 1 ms per row so there is something to measure.
    lab_plan_yaml --workflow alfresco-upgrade-prestaged --staging --rehearsal --settle-s 2
    sed -i 's/^approve: \[decommission\]$/approve: [cutover, decommission]/' "$work/plan.yaml"
else
    lab_snapshot_old "$work/snapshot"
fi
echo
echo "== alfup-controller agents"
lab_ctl agents
echo
echo "== alfup-controller plan check $work/plan.yaml"
lab_ctl plan check "$work/plan.yaml"
echo
# follow CMD... -- runs CMD with its output into $out, showing its step lines as they come (a line shown
# before, its time aside, is not shown again: status --wait starts with the steps already done); sets rc.
shown=$work/logs/shown.txt
follow() {
    set +e
    : > "$out"
    touch "$shown"
    "$@" > "$out" 2>&1 &
    local runner=$!
    tail -n +1 --pid="$runner" -f "$out" 2>/dev/null | grep --line-buffered -E '^(run-|[0-9]{2}:[0-9]{2}:[0-9]{2} +\[(ok  |run |FAIL)\])' |
        awk -v shown="$shown" 'BEGIN { while ((getline l < shown) > 0) seen[l] }
            { k = substr($0, 9) } !(k in seen) { seen[k]; print; print k >> shown; fflush() }'
    wait "$runner"
    rc=$?
    set -e
}
checks=$work/checks.txt
: > "$checks"
if [ "$prestaged" = 1 ]; then
    echo "== production writes meanwhile: lab writer on repo1 (200 files added, 50 orphans moved, one every 50 ms)"
    lab_writer_start --add 200 --orphan 50 --interval-ms 50
    echo "== the old repository's readiness probe polled every 200 ms (its latency during the base copy, then idle)"
    lab_probe_start || echo "probe poller: NOT started" | tee -a "$checks"
fi
echo "== alfup-controller run $work/plan.yaml --wait"
out=$work/logs/run.out follow lab_ctl run "$work/plan.yaml" --wait
run=$(head -n1 "$work/logs/run.out")
if [ "$prestaged" = 1 ] && [ "$rc" = 5 ] &&
    [ "$(lab_ctl status "$run" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["waiting_for"])')" = cutover ]; then
    echo
    echo "== at the cutover gate: production still serves; waiting for the lab writer to finish"
    lab_writer_wait 300 || echo "lab writer: NOT finished" | tee -a "$checks"
    echo "lab writer: $(lab_writer_field added) content files added, $(lab_writer_field moved) orphans moved to contentstore.deleted while the run prepared" | tee -a "$checks"
    echo "== production idle at the gate for as long as the base copy took: the probe's latency both ways"
    lab_probe_compare "$run" || echo "probe latency: NOT measured" | tee -a "$checks"
    lab_probe_stop || true
    lab_snapshot_old "$work/snapshot"
    echo
    echo "== alfup-controller approve $run cutover"
    lab_ctl approve "$run" cutover
    out=$work/logs/cutover.out follow lab_ctl status "$run" --wait
fi
if [ "$rc" = 5 ]; then
    echo
    echo "== at the decommission gate: checking the upgraded system before the old one goes"
    {
        lab_check_new_ready || true
        lab_check_content || true
        line=$(lab_check_content_rows "$LAB_NEW_DIR_ROOT") || true
        echo "$line (new dir.root)"
        lab_check_db_counts || true
        lab_check_old_unchanged "$work/snapshot" || true
    } | tee -a "$checks"
    if grep -Eq 'CHANGED|DIFFER|MISMATCH|NOT ' "$checks"; then
        echo "A check failed: the decommission is not approved; the run stays waiting."
    else
        echo
        echo "== alfup-controller approve $run decommission"
        lab_ctl approve "$run" decommission
        set +e
        lab_ctl status "$run" --wait > "$work/logs/decommission.out" 2>&1
        rc=$?
        set -e
        grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2} +\[[^]]*\] 5 ' "$work/logs/decommission.out" || true
        if [ "$rc" = 0 ] && [ ! -e "$LAB_OLD_HOME" ] && [ ! -e "$LAB_OLD_SOLR" ] &&
            [ -z "$(lab_psql postgres "select 1 from pg_database where datname = '$LAB_OLD_DB'")" ]; then
            echo "decommission: old installation, old Solr and old database $LAB_OLD_DB removed" | tee -a "$checks"
        else
            echo "decommission: NOT complete (status exit $rc)" | tee -a "$checks"
        fi
    fi
elif [ "$rc" = 4 ] && [ -d "$work/snapshot" ]; then
    echo
    echo "== rolled back: checking that the old system is back and untouched"
    {
        lab_check_old_ready || true
        lab_check_old_unchanged "$work/snapshot" || true
    } | tee -a "$checks"
fi
echo
lab_ctl status "$run" --json > "$work/status.json"
set +e
python3 "$top/tests/lab/lab_report.py" "$work/status.json" "$checks" "$LAB_MODE: controller, repo1, db1, solr1" \
    "$work/probe-latency.txt" | tee "$work/report.txt"
report_rc=${PIPESTATUS[0]}
set -e
echo "Report: $work/report.txt; status: $work/status.json; run output: $work/logs/run.out"
exit "$report_rc"
