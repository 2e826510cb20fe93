#!/bin/bash
# revoked_restart_test.sh -- a controller restarted after an agent's certificate was revoked names the refused
# agent and fails its steps at once (issue 15, item 5). A run's step (a ping repo1's real agent holds for
# 10 minutes) is in flight; the controller is killed, repo1's certificate revoked (alfup-certs revoke rewrites
# the crl.pem both sides read), the controller started again. The agent reconnects by itself: its first
# handshake is let finish so that the name is proven, then refused; the step fails at once with "agent repo1
# refused: certificate revoked" (not after its 600 s timeout), `agents --json` shows repo1 refused, the
# agent's next handshakes are refused outright with the TLS alert (so its own log says why), and it is never
# sent the step again.
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/lab.sh"
source "$ALFUP_SOURCE_DIR/tests/integration/held-step-lib.sh"
FAIL_BOUND_S=30   # well inside the step's 600 s timeout
work=$(mktemp -d)
cleanup() { lab_cleanup; rm -rf "$work"; }
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    held_step_logs
    exit 1
}
pass() { echo "ok - $*"; }
step_json() {  # step_json RUN EXPR: EXPR on the run's one step (bound to t) in status --json
    lab_ctl status "$1" --json | python3 -c "
import json, sys
s = json.load(sys.stdin)
t = [x for p in s['phases'] for x in p['steps']][0]
print($2)"
}

lab_init "$work"
held_step_lab 600000 agent
lab_start_controller || fail "controller start"
lab_start_agent repo1
lab_wait_online 1 || fail "repo1 online"
run=$(held_step_start_run) || fail "run: $run"
step=$run.hold-repo@repo1
held_step_wait "$run" sent 10 || fail "$step journaled as sent"
for i in $(seq 100); do grep_all "step $step (ping) started" "$work/logs/repo1.log" && break; sleep 0.1; done
grep_all "step $step (ping) started" "$work/logs/repo1.log" || fail "repo1 did not start $step"
pass "$step in flight on repo1"

kill -9 "$LAB_CONTROLLER_PID"
wait "$LAB_CONTROLLER_PID" 2>/dev/null || true
bash "$ALFUP_SOURCE_DIR/certs/alfup-certs" revoke "$work/ca" repo1 >/dev/null || fail "revoke repo1"
ctl_lines=$(wc -l < "$work/logs/controller.log")
agent_lines=$(wc -l < "$work/logs/repo1.log")
lab_start_controller || fail "controller restart"
restarted_at=$SECONDS
pass "controller killed, repo1's certificate revoked, controller started again"

for i in $(seq $((FAIL_BOUND_S * 5))); do
    [ "$(step_json "$run" 't["state"]' 2>/dev/null)" = failed ] && break
    sleep 0.2
done
state=$(step_json "$run" 't["state"]')
[ "$state" = failed ] || fail "$step is $state $FAIL_BOUND_S s after the restart, expected failed"
error=$(step_json "$run" 't["error"]')
[ "$error" = "agent repo1 refused: certificate revoked" ] || fail "$step failed with '$error'"
pass "$step failed $((SECONDS - restarted_at)) s after the restart: $error"

ctl_since() { tail -n +"$((ctl_lines + 1))" "$work/logs/controller.log"; }
ctl_since | grep_all "refused peer 127.0.0.1 repo1: certificate revoked" ||
    fail "the controller does not log the proven refusal of repo1"
refused=$(lab_ctl agents --json | python3 -c '
import json, sys
print(next((a.get("refused", "") for a in json.load(sys.stdin) if a["name"] == "repo1"), ""))')
[ "$refused" = "certificate revoked" ] || fail "agents --json: repo1 refused is '$refused'"
for i in $(seq 100); do
    ctl_since | grep_all "TLS handshake: certificate refused (certificate revoked)" &&
        tail -n +"$((agent_lines + 1))" "$work/logs/repo1.log" | grep_all "certificate revoked" && break
    sleep 0.2
done
ctl_since | grep_all "TLS handshake: certificate refused (certificate revoked)" ||
    fail "repo1's next handshake was not refused outright"
tail -n +"$((agent_lines + 1))" "$work/logs/repo1.log" | grep_all "certificate revoked" ||
    fail "repo1's agent was not told its certificate is revoked"
pass "agents --json: repo1 refused ($refused); its next handshakes are refused outright and it is told why"
lab_ctl agents --json | grep_all '"name":"repo1"[^}]*"online":true' && fail "repo1 listed online"
n=$(grep -c "step $step (ping) started" "$work/logs/repo1.log" || true)
[ "$n" = 1 ] || fail "repo1 started $step $n times"
pass "repo1 never came online with its revoked certificate and was not sent the step again"

# The run came back paused; resumed, it ends at once (its rollback step needs repo1 too) instead of waiting.
lab_ctl resume "$run" >/dev/null || fail "resume $run"
run_json() { lab_ctl status "$run" --json | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"; }
for i in $(seq 100); do [ "$(run_json 's["state"]')" = failed ] && break; sleep 0.2; done
[ "$(run_json 's["state"]')" = failed ] || fail "run $run is $(run_json 's["state"]') after resume, expected failed"
run_json 's["error"]' | grep_all "agent repo1 refused: certificate revoked" || fail "run error: $(run_json 's["error"]')"
pass "resumed, run $run ended failed at once: $(run_json 's["error"]')"
echo "revoked restart test: all passed"
