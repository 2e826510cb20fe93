#!/bin/bash
# bench-ping.sh [ROUNDS] -- ping round trip from the controller to three agents on loopback:
# starts a controller and agents repo1, db1, solr1 as local processes (tests/lib/lab.sh) with
# certificates from certs/alfup-certs, runs ROUNDS (default 20) of `alfup-controller ping --json`,
# prints median, p90, min and max over every agent's answer, and stops everything.
# Uses ALFUP_BIN (default build/bin); build with: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
set -euo pipefail
rounds=${1:-20}
export ALFUP_SOURCE_DIR=${ALFUP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export ALFUP_BIN=${ALFUP_BIN:-$ALFUP_SOURCE_DIR/build/bin}
source "$ALFUP_SOURCE_DIR/tests/lib/lab.sh"
work=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$work"' EXIT
lab_init "$work"
lab_certs
for a in repo1:repo db1:db solr1:solr; do lab_agent_cert "${a%%:*}" "${a##*:}"; done
lab_controller_config
lab_start_controller
for a in repo1 db1 solr1; do lab_agent_config "$a"; lab_start_agent "$a"; done
lab_wait_online 3 30
for _ in $(seq "$rounds"); do lab_ctl ping --json; done > "$work/pings.json"
python3 - "$work/pings.json" <<'PY'
import json, statistics, sys
rtts = sorted(a["rtt_ms"] for line in open(sys.argv[1]) for a in json.loads(line)["agents"])
print("ping round trip, %d answers from 3 agents: median %.2f ms  p90 %.2f ms  min %.2f ms  max %.2f ms"
      % (len(rtts), statistics.median(rtts), rtts[int(len(rtts) * 0.9)], rtts[0], rtts[-1]))
PY
