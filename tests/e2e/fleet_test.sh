#!/bin/bash
# fleet_test.sh -- e2e: a fleet of four deployments on the lab's hosts (tests/lab/lab-fleet.sh: each its own homes,
# ports, services and databases beside the lab's own deployment) run by the controller (docs/fleet.md): the canary
# d1, then d2..d4 with parallelism 2, in a window that opens a few seconds after the start and lasts two minutes;
# the controller is killed (SIGKILL) once while d1 prepares and the fleet continues after the restart.
export ALFUP_LAB_FILES=${ALFUP_LAB_FILES:-200}
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-configs.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-files.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-db.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-fleet.sh"
started=$SECONDS
e2e_lab_up
for k in 1 2 3 4; do lab_fleet_env "d$k" "$k"; done
lab_fleet_make d1 "$ALFUP_LAB_FILES"
lab_fleet_make d2 "$ALFUP_LAB_FILES" crash-after-start
lab_fleet_make d3 "$ALFUP_LAB_FILES"
lab_fleet_make d4 "$ALFUP_LAB_FILES"
lab_fleet_agents d1 d2 d3 d4
lab_wait_online 30 || fail "agents not online with the fleet's services"
pass "four more deployments on the lab's hosts, serving ($((SECONDS - started)) s)"

# fleet_json EXPR -- a python expression on `fleet status lab --json` (bound to f; d: deployment name -> object).
fleet_json() {
    lab_ctl fleet status lab --json | python3 -c '
import json, sys
f = json.load(sys.stdin)
d = {x["deployment"]: x for x in f["deployments"]}
print(eval(sys.argv[1]))' "$1"
}

opens=$(date -u -d '+25 seconds' +%Y-%m-%dT%H:%M:%S)
cat > "$LAB_DIR/fleet/fleet.yaml" <<YAML
fleet: lab
deployments: {d1: d1.yaml, d2: d2.yaml, d3: d3.yaml, d4: d4.yaml}
window: {timezone: UTC, start: $opens, rrule: FREQ=DAILY, duration: 2m}
waves:
  - {name: canary, deployments: [d1], parallelism: 1}
  - {name: rest, deployments: [d2, d3, d4], parallelism: 2}
failure_threshold: 1
prepare_ahead: 1h
safety_factor: 1.5
approve_cutovers: true
YAML
out=$(lab_ctl fleet check "$LAB_DIR/fleet/fleet.yaml") || fail "fleet check: $out"
pass "$out"
out=$(lab_ctl fleet start "$LAB_DIR/fleet/fleet.yaml") || fail "fleet start: $out"
[ "$out" = lab ] || fail "fleet start printed $out"
pass "fleet lab started; its window opens at $opens UTC"
for _ in $(seq 300); do [ "$(fleet_json 'd["d1"]["state"]')" = preparing ] && break; sleep 0.2; done
[ "$(fleet_json 'd["d1"]["state"]')" = preparing ] || fail "d1 is not preparing: $(lab_ctl fleet status lab)"
for _ in $(seq 600); do [ "$(fleet_json 'd["d1"]["state"]')" = prepared ] && break; sleep 0.2; done
lab_ctl fleet status lab
