#!/bin/bash
# quickstart.sh -- the main job: on a fresh Debian machine, installs what is missing, builds alfup and the
# Alfresco/Solr stand-ins, brings up a simulated split deployment (tests/lab/lab-up.sh: a controller and the
# hosts repo1, db1 and solr1 as network namespaces, a real PostgreSQL, the old installations running), checks
# the plan, runs the whole upgrade, verifies it, approves the decommission and prints a REPORT.
#   deploy/quickstart.sh           run, report, take the lab down again
#   deploy/quickstart.sh --keep    leave the lab running (tests/lab/lab-down.sh DIR stops it)
# The lab lives in /tmp/alfup-quickstart (or $ALFUP_QUICKSTART_DIR). Safe to run twice: a previous quick
# start's lab is taken down first. Exits 0 only when the upgrade succeeded and every check held.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=${ALFUP_QUICKSTART_DIR:-/tmp/alfup-quickstart}
keep=0
case "${1:-}" in
    --keep) keep=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) echo "quickstart: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

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
finish() {
    if [ "$keep" = 1 ]; then
        echo "Left running: $work (lab.env, logs/, plan.yaml). Stop it: $top/tests/lab/lab-down.sh $work"
    else
        "$top/tests/lab/lab-down.sh" "$work" || true
        echo "Lab taken down; its files and logs stay in $work"
    fi
}
trap finish EXIT

echo "== lab ($work)"
"$top/tests/lab/lab-up.sh" "$work"
lab_load "$work"
lab_snapshot_old "$work/snapshot"
echo
echo "== alfup-controller agents"
lab_ctl agents
echo
echo "== alfup-controller plan check $work/plan.yaml"
lab_ctl plan check "$work/plan.yaml"
echo
echo "== alfup-controller run $work/plan.yaml --wait"
set +e
: > "$work/logs/run.out"
lab_ctl run "$work/plan.yaml" --wait > "$work/logs/run.out" 2>&1 &
runner=$!
tail -n +1 --pid="$runner" -f "$work/logs/run.out" 2>/dev/null | grep --line-buffered -E '^(run-|[0-9]{2}:[0-9]{2}:[0-9]{2} +\[(ok  |run |FAIL)\])'
wait "$runner"
rc=$?
set -e
run=$(head -n1 "$work/logs/run.out")
checks=$work/checks.txt
: > "$checks"
if [ "$rc" = 5 ]; then
    echo
    echo "== at the decommission gate: checking the upgraded system before the old one goes"
    {
        lab_check_new_ready || true
        lab_check_content || true
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
elif [ "$rc" = 4 ]; then
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
python3 "$top/tests/lab/lab_report.py" "$work/status.json" "$checks" "$LAB_MODE: controller, repo1, db1, solr1" | tee "$work/report.txt"
report_rc=${PIPESTATUS[0]}
set -e
echo "Report: $work/report.txt; status: $work/status.json; run output: $work/logs/run.out"
exit "$report_rc"
