#!/bin/bash
# fleet_test.sh -- e2e: a fleet of four deployments on the lab's hosts (tests/lab/lab-fleet.sh: each its own homes,
# ports, services and databases beside the lab's own deployment) run by the controller (docs/fleet.md): the canary
# d1, then d2..d4 with parallelism 2, in a window that opens 35 s after the start and lasts two minutes, with a
# blackout from its 3rd to its 25th second. d1 prepares and rehearses (its schema upgrade made to take 3 s), so its
# estimate (its counted changes extrapolated to the runner's clock, the basis says so) x 1.5 does not fit the first
# 3 s: deferred, status says why with the numbers. The controller is killed
# (SIGKILL) there and started again: the fleet continues, d1 cuts over after the blackout and succeeds (its run at
# the decommission gate). d2 and d3 prepare; d2's rehearsal fails (failed patch on the copy): with a threshold of 1
# the fleet halts; d3 stays prepared at its gate, d4 is never started, and every production system serves (d1's
# new version, the others' old ones, the lab's own deployment). Then: pause of the halted fleet refused, cancel
# (d3's run cancelled at its gate, its production serving), drain refusing a run, undrain.
export ALFUP_LAB_FILES=${ALFUP_LAB_FILES:-200}
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-configs.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-files.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-db.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-fleet.sh"
started=$SECONDS
e2e_lab_up
for k in 1 2 3 4; do lab_fleet_env "d$k" "$k"; done
lab_fleet_make d1 "$ALFUP_LAB_FILES" "" standin.schema.upgrade.us_per_row=10000
lab_fleet_make d2 "$ALFUP_LAB_FILES" failed-patch-over:50
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

# The window: today's occurrence opens 35 s from now (UTC), 2 minutes; a blackout cuts it after 3 s for 22 s.
at() { date -u -d "@$(($1))" +%Y-%m-%dT%H:%M:%S; }
opens_s=$(($(date +%s) + 35))
cat > "$LAB_DIR/fleet/fleet.yaml" <<YAML
fleet: lab
deployments: {d1: d1.yaml, d2: d2.yaml, d3: d3.yaml, d4: d4.yaml}
window: {timezone: UTC, start: $(at opens_s), rrule: FREQ=DAILY, duration: 2m}
blackouts:
  - {from: $(at opens_s+3), to: $(at opens_s+25), reason: the lab's backup}
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
pass "fleet lab started; its window opens at $(at opens_s) UTC, a blackout from $(at opens_s+3) to $(at opens_s+25)"

# wait_for EXPR SECONDS WHAT -- polls fleet_json EXPR until it prints True.
wait_for() {
    local i
    for i in $(seq $(($2 * 5))); do
        [ "$(fleet_json "$1" 2>/dev/null)" = True ] && return 0
        sleep 0.2
    done
    fail "$3 within $2 s: $(lab_ctl fleet status lab)"
}
wait_for 'd["d1"]["state"] == "prepared" and d["d1"]["estimate_s"] is not None' 60 "d1 not prepared with an estimate"
[ "$(date +%s)" -lt "$opens_s" ] || fail "d1 was prepared only after the window opened (test too slow here)"
pass "d1 prepared (its rehearsal ran) before the window: estimate $(fleet_json 'd["d1"]["estimate_s"]') s"
wait_for 'd["d1"]["why"] == "no-fit"' 60 "d1 not deferred for the 3 s before the blackout"
why=$(fleet_json 'd["d1"]["detail"]')
grep_all -E "^estimate .* x 1\.5 = .* > [0-9]+ s left \([0-9]+s > [0-9]+s\): waits for the next window" <<<"$why" ||
    fail "d1's deferral does not say why with the numbers: $why"
pass "d1 deferred: $why"
# the runner asks for the estimate as of its clock at every tick while d1 waits prepared (the blackout): once its
# clock is past the count (whole seconds), the basis says the counted changes were extrapolated to it
wait_for '", extrapolated " in d["d1"]["estimate_basis"]' 15 "d1's estimate not extrapolated to the runner's clock"
basis=$(fleet_json 'd["d1"]["estimate_basis"]')
grep_all -E 'delta: .*\(counted [0-9:]+Z, extrapolated [0-9.]+ (h|min) to [0-9:]+Z at [0-9]+ files/h' <<<"$basis" ||
    fail "d1's estimate basis does not say how it was extrapolated: $basis"
pass "d1's estimate extrapolated to the runner's clock: ${basis#*delta: }"

pid=$(lab_controller_pid)
kill -KILL "$pid"
for _ in $(seq 100); do lab_pid_is "$pid" "$LAB_BIN/alfup-controller" || break; sleep 0.1; done
lab_start_controller || fail "controller restart"
lab_wait_online 30 || fail "agents not back after the controller's restart"
pass "controller killed (SIGKILL) during the fleet and started again"
wait_for 'any(e["event"] == "run-resumed" and e["deployment"] == "d1" for e in f["events"])' 30 \
    "d1's paused run not resumed by the fleet after the restart"
[ "$(fleet_json 'f["state"]')" = running ] || fail "fleet not running after the restart: $(fleet_json 'f["state"]')"
pass "the fleet continues after the restart: d1's run resumed, still $(fleet_json 'd["d1"]["state"]')"

wait_for 'd["d1"]["state"] == "succeeded"' 90 "d1 did not cut over and succeed after the blackout"
cut=$(fleet_json 'next(e["detail"] for e in f["events"] if e["event"] == "cutover-started" and e["deployment"] == "d1")')
cut_at=$(fleet_json 'next(e["at_unix_ms"] // 1000 for e in f["events"] if e["event"] == "cutover-started" and e["deployment"] == "d1")')
[ "$cut_at" -ge $((opens_s + 25)) ] || fail "d1 cut over at $cut_at, before the blackout's end $((opens_s + 25))"
pass "d1 cut over after the blackout ($cut) and succeeded: the new version serves, its run waits at decommission"
run1=$(fleet_json 'd["d1"]["run"]')
[ "$(lab_run_state "$run1")" = waiting ] || fail "d1's run $run1 is $(lab_run_state "$run1")"
[ "$(lab_ctl status "$run1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["waiting_for"])')" = decommission ] ||
    fail "d1's run does not wait at the decommission gate"

wait_for 'f["state"] == "halted"' 90 "the fleet did not halt"
[ "$(fleet_json 'd["d2"]["state"]')" = failed ] || fail "d2 is $(fleet_json 'd["d2"]["state"]'), expected failed"
run2=$(fleet_json 'd["d2"]["run"]')
lab_ctl status "$run2" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
bad = [x["step"] for p in s["phases"] for x in p["steps"] if x["state"] == "failed"]
assert s["state"] == "failed" and bad and all(b.startswith("rehearse") for b in bad), (s["state"], bad)
assert not any(x["step"] == "stop-old" and x["state"] != "pending" for p in s["phases"] for x in p["steps"])' ||
    fail "d2's run did not fail in its rehearsal with production untouched: $(lab_ctl status "$run2")"
pass "d2 failed its rehearsal (stop-old never ran): $(fleet_json 'f["failures"]') failure reaches the threshold, fleet halted"
wait_for 'd["d3"]["state"] == "prepared" and d["d3"]["why"] == "halted"' 90 "d3 not left prepared by the halt"
[ "$(fleet_json 'd["d4"]["state"] == "pending" and d["d4"]["run"] == ""')" = True ] || fail "d4 was touched"
[ "$(lab_ctl runs --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 3 ] ||
    fail "the controller has other runs than d1's, d2's and d3's: $(lab_ctl runs)"
pass "d3 stays at its cutover gate (production serving), d4 never started: $(fleet_json 'd["d3"]["detail"]')"

# Every production system serves: d1's new version and the others' old ones on their production ports, and the
# lab's own deployment.
for k in 1 2 3 4; do
    code=$( (source "$LAB_DIR/fleet/d$k.env"; lab_http_code repo1 "$(lab_repo_ready_url)") )
    [ "$code" = 200 ] || fail "d$k's production repository answers $code"
    code=$( (source "$LAB_DIR/fleet/d$k.env"; lab_http_code solr1 "$(lab_solr_ready_url)") )
    [ "$code" = 200 ] || fail "d$k's production Solr answers $code"
done
out=$(lab_check_old_ready) || fail "$out"
grep_all "alfresco-standin.*$(source "$LAB_DIR/fleet/d1.env"; echo "$LAB_NEW_HOME")" <<<"$(ps -eo args)" ||
    fail "d1's new version is not the one running"
pass "every production system serves (d1 upgraded, d2..d4 and the lab's own deployment as before)"
for e in deferred run-resumed cutover-started succeeded failed halted; do
    [ "$(fleet_json "any(e['event'] == '$e' for e in f['events'])")" = True ] || fail "no $e event in fleet status"
done
pass "fleet status shows the fleet's events: $(fleet_json '" ".join(e["event"] for e in f["events"])')"

# The operator's commands on the halted fleet: pause is refused (not running); cancel cancels d3's run, which waits
# at its gate with production never stopped; drain refuses a new run controller-wide until undrain.
out=$(lab_ctl fleet pause lab 2>&1) && fail "pause of a halted fleet accepted: $out"
grep_all "is halted, not running" <<<"$out" || fail "pause refused without saying why: $out"
out=$(lab_ctl fleet cancel lab) || fail "fleet cancel: $out"
run3=$(fleet_json 'd["d3"]["run"]')
for _ in $(seq 50); do [ "$(lab_run_state "$run3")" = cancelled ] && break; sleep 0.2; done
[ "$(lab_run_state "$run3")" = cancelled ] || fail "d3's run $run3 is $(lab_run_state "$run3") after fleet cancel"
code=$( (source "$LAB_DIR/fleet/d3.env"; lab_http_code repo1 "$(lab_repo_ready_url)") )
[ "$code" = 200 ] || fail "d3's production repository answers $code after the cancel"
[ "$(fleet_json 'f["state"]')" = cancelled ] || fail "fleet is $(fleet_json 'f["state"]') after cancel"
pass "fleet cancel: d3's run cancelled at its gate, its production still serving; pause of a halted fleet refused"
lab_ctl drain >/dev/null || fail "drain"
[ "$(fleet_json 'f["drained"]')" = True ] || fail "fleet status does not show the drain"
out=$(lab_ctl run "$LAB_DIR/fleet/d4.yaml" 2>&1) && fail "a run started while drained: $out"
grep_all "drained" <<<"$out" || fail "the run refused without saying why: $out"
lab_ctl undrain >/dev/null || fail "undrain"
pass "drain refuses a new run ($out); undrain"
pass "fleet test: $((SECONDS - started)) s"
