#!/bin/bash
# quickstart.sh -- the main job: on a fresh Debian machine, installs what is missing, builds
# alfup, creates a deployment CA and certificates, starts a controller and three agents
# (repository, database, Solr) on this machine, and shows them connected over mutual TLS 1.3.
#   deploy/quickstart.sh           run, report, stop everything
#   deploy/quickstart.sh --keep    leave the controller and agents running
# Safe to run twice: a previous quick start's processes and files are removed first.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=${ALFUP_QUICKSTART_DIR:-/tmp/alfup-quickstart}
keep=0
case "${1:-}" in
    --keep) keep=1 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) echo "quickstart: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

source "$top/deploy/install-deps.sh"
install_deps

echo "== build ($top/build)"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=Release -DALFUP_TESTS=OFF >/dev/null
cmake --build "$top/build" -j "$(nproc)" >/dev/null
echo "built: $(ls "$top/build/bin" | tr '\n' ' ')"

# A previous run's daemons and files go first.
if [ -f "$work/pids" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done < "$work/pids"
    sleep 0.5
fi
rm -rf "$work"

export ALFUP_SOURCE_DIR=$top ALFUP_BIN=$top/build/bin
source "$top/tests/lib/lab.sh"
lab_init "$work"
stop_all() {
    [ "$keep" = 1 ] && return 0
    lab_cleanup
}
trap stop_all EXIT

echo "== certificates ($work/ca)"
lab_certs
lab_agent_cert repo1 repo
lab_agent_cert db1 db
lab_agent_cert solr1 solr
ls "$work/ca"/*.pem | xargs -n1 basename | tr '\n' ' '; echo

echo "== controller on tcp://127.0.0.1:$LAB_PORT and agents repo1, db1, solr1"
lab_controller_config
lab_start_controller
for a in repo1 db1 solr1; do lab_agent_config "$a"; lab_start_agent "$a"; done
printf '%s\n' "${LAB_PIDS[@]}" > "$work/pids"
lab_wait_online 3 30

echo
echo "== alfup-controller agents"
lab_ctl agents
echo
echo "== alfup-controller ping"
lab_ctl ping
echo
if [ "$keep" = 1 ]; then
    echo "Left running. Try: $top/build/bin/alfup-controller --config $work/controller.yaml agents --json"
    echo "Logs: $work/logs/. Stop: kill \$(cat $work/pids)"
else
    echo "Quick start done; controller and agents stopped. Logs: $work/logs/"
fi
