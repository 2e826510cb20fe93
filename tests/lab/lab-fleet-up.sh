#!/bin/bash
# lab-fleet-up.sh -- adds COUNT small deployments d1..dCOUNT to a running lab (tests/lab/lab-up.sh DIR) for trying a
# fleet (docs/fleet.md, docs/lab.md "Fleets on the lab"): each with its own homes, ports, services, databases and
# rehearsing prestaged plan DIR/fleet/dK.yaml, beside the lab's own deployment; repo1's and solr1's agents restarted
# with their services; and DIR/fleet/fleet.yaml: the canary d1, then the rest with parallelism 2, in a daily
# window that opens OPENS_IN minutes from now and lasts 10 minutes, threshold 1, cutovers approved ahead.
#   tests/lab/lab-fleet-up.sh DIR [COUNT [OPENS_IN]]      (COUNT 2..9, default 4; OPENS_IN default 2)
# Environment: ALFUP_LAB_FILES (content files per deployment, default 200). lab-down.sh DIR takes it all down.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 1 ] && [ $# -le 3 ] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
source "$here/lab-lib.sh"
source "$here/lab-files.sh"
source "$here/lab-db.sh"
source "$here/lab-configs.sh"
source "$here/lab-fleet.sh"
source "$here/../lib/err_trap.sh"
count=${2:-4} opens_in=${3:-2}
[[ "$count" =~ ^[2-9]$ ]] || lab_die "COUNT $count: give 2 to 9"
[[ "$opens_in" =~ ^[0-9]{1,3}$ ]] || lab_die "OPENS_IN $opens_in: give minutes (0-999)"
[ -f "$1/lab.env" ] || lab_die "$1 holds no lab: start one with tests/lab/lab-up.sh $1"
lab_load "$(cd "$1" && pwd -P)"
[ ! -e "$LAB_DIR/fleet" ] || lab_die "$LAB_DIR/fleet exists: this lab has its fleet already"
names=()
for k in $(seq "$count"); do
    echo "lab: deployment d$k"
    lab_fleet_env "d$k" "$k"
    lab_fleet_make "d$k" "${ALFUP_LAB_FILES:-200}"
    names+=("d$k")
done
echo "lab: repo1's and solr1's agents restarted with the deployments' services"
lab_fleet_agents "${names[@]}"
lab_wait_online 30 || lab_die "agents not online again"
opens=$(date -u -d "+$opens_in minutes" +%Y-%m-%dT%H:%M)
rest=$(printf '%s, ' "${names[@]:1}")
cat > "$LAB_DIR/fleet/fleet.yaml" <<YAML
# fleet.yaml -- the lab's fleet (tests/lab/lab-fleet-up.sh; every key: docs/fleet.md)
fleet: lab
deployments: {$(for n in "${names[@]}"; do printf '%s: %s.yaml, ' "$n" "$n"; done | sed 's/, $//')}
window: {timezone: UTC, start: $opens, rrule: FREQ=DAILY, duration: 10m}
waves:
  - {name: canary, deployments: [${names[0]}], parallelism: 1}
  - {name: rest, deployments: [${rest%, }], parallelism: 2}
failure_threshold: 1
prepare_ahead: 1h
safety_factor: 1.5
approve_cutovers: true
YAML
echo "lab: $LAB_DIR/fleet/fleet.yaml: window daily from $opens UTC for 10 minutes; alfup-controller --config $LAB_DIR/ctl/controller.yaml fleet check|show|start $LAB_DIR/fleet/fleet.yaml, fleet status lab"
