#!/bin/bash
# daemon_test.sh -- alfup-controller and three alfup-agents as real processes over real TLS:
# agents online with their certificate roles, agent and controller restarts, a result kept
# across a controller restart, refused agents, and nothing readable on the wire.
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/lab.sh"
work=$(mktemp -d)
capture_pid=""
cleanup() {
    [ -n "$capture_pid" ] && kill "$capture_pid" 2>/dev/null || true
    lab_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- logs" >&2; tail -n 30 "$work"/logs/*.log >&2; exit 1; }
pass() { echo "ok - $*"; }

lab_init "$work"
lab_certs
lab_agent_cert repo1 repo
lab_agent_cert db1 db
lab_agent_cert solr1 solr
lab_agent_cert rogue1 repo
lab_controller_config
for a in repo1 db1 solr1; do lab_agent_config "$a"; done

# The wire: capture the controller's port when tcpdump is here (root).
if command -v tcpdump >/dev/null && [ "$(id -u)" = 0 ]; then
    tcpdump -i lo -U -w "$work/wire.pcap" "tcp port $LAB_PORT" 2>/dev/null &
    capture_pid=$!
    sleep 1
fi

lab_start_controller || fail "controller start"
for a in repo1 db1 solr1; do lab_start_agent "$a"; done
lab_wait_online 3 || fail "three agents online"
json=$(lab_ctl agents --json)
for pair in repo1:repo db1:db solr1:solr; do
    echo "$json" | grep_all "\"name\":\"${pair%%:*}\",\"roles\":\[\"${pair##*:}\"\],\"online\":true" \
        || fail "agent ${pair%%:*} with role ${pair##*:}: $json"
done
pass "three agents online with the roles from their certificates"

out=$(lab_ctl ping) || fail "ping: $out"
[ "$(echo "$out" | grep -c ' ok ')" -eq 3 ] || fail "ping answered by all three: $out"
pass "ping round trip to every agent"
echo "$out"

# plan check asks the daemon whether the plan's agents hold their roles.
sed 's#^backup_dir:.*#backup_dir: /srv/alfup-backups#' "$ALFUP_SOURCE_DIR/deploy/examples/plan-prod-ecm.yaml" > "$work/plan-ok.yaml"
out=$(lab_ctl plan check "$work/plan-ok.yaml" 2>&1) || fail "plan check with agents online: $out"
echo "$out" | grep_all "online with its roles" || fail "plan check asked the daemon: $out"
sed 's#^  repo1: \[repo\]#  repo1: [repo]\n  solr9: [solr]#; s#^  db1: \[db\]#  db1: [db]#; s#^  solr1: \[solr\]#  solr1: [repo]#' \
    "$work/plan-ok.yaml" > "$work/plan-roles.yaml"
if out=$(lab_ctl plan check "$work/plan-roles.yaml" 2>&1); then fail "plan with a wrong role passed: $out"; fi
echo "$out" | grep -Eq "solr9 is not online|lacks the role" || fail "plan check names the agent: $out"
pass "plan check refuses a plan whose agents are offline or lack the roles it gives them"

# An agent killed and restarted comes back.
kill -9 "$LAB_PID_db1"
wait "$LAB_PID_db1" 2>/dev/null || true
lab_wait_online 2 15 || fail "db1 seen offline after SIGKILL"
lab_start_agent db1
lab_wait_online 3 || fail "db1 back online after restart"
pass "agent killed with SIGKILL and restarted is back online"

# A result not acknowledged before a controller restart is delivered after it.
lab_ctl ping --hold-ms=3000 >/dev/null 2>&1 &
ping_pid=$!
sleep 1
step=$(sqlite3 "$work/journal.db" "select step_id from steps where agent='repo1' and state='sent' order by sent_unix_ms desc limit 1")
[ -n "$step" ] || fail "held ping step journaled as sent"
kill -9 "$LAB_CONTROLLER_PID"
wait "$LAB_CONTROLLER_PID" 2>/dev/null || true
wait "$ping_pid" 2>/dev/null || true
sleep 3   # the agents finish the held step while the controller is down
[ -f "$work/hosts/repo1/state/results/$step.result" ] || fail "repo1 recorded $step"
[ ! -f "$work/hosts/repo1/state/results/$step.acked" ] || fail "$step acked while the controller was down"
lab_start_controller || fail "controller restart"
lab_wait_online 3 || fail "agents back after the controller restart, untouched"
pass "controller restarted: every agent back online without being touched"
for i in $(seq 50); do
    [ "$(sqlite3 "$work/journal.db" "select state from steps where step_id='$step'")" = succeeded ] && break
    sleep 0.2
done
[ "$(sqlite3 "$work/journal.db" "select state from steps where step_id='$step'")" = succeeded ] \
    || fail "result of $step delivered after the restart"
for i in $(seq 25); do [ -f "$work/hosts/repo1/state/results/$step.acked" ] && break; sleep 0.2; done
[ -f "$work/hosts/repo1/state/results/$step.acked" ] || fail "$step acknowledged after delivery"
pass "a result not acknowledged before the restart is delivered and acknowledged after it"

# A config whose name differs from its certificate: the agent refuses to start.
lab_agent_config liar rogue1
if "$LAB_BIN/alfup-agent" --config "$work/liar.yaml" >"$work/logs/liar.log" 2>&1; then
    fail "agent with a name that differs from its certificate started"
fi
grep -q "differs from the certificate" "$work/logs/liar.log" || fail "name mismatch reason: $(cat "$work/logs/liar.log")"
pass "an agent whose config name differs from its certificate refuses to start"

# A revoked agent is refused at its next handshake; the others stay served.
lab_agent_config rogue1
bash "$ALFUP_SOURCE_DIR/certs/alfup-certs" revoke "$work/ca" rogue1 >/dev/null
lab_start_agent rogue1
rogue_refused() {
    lab_ctl agents --json | python3 -c '
import json, sys
print(next((a.get("refused", "") for a in json.load(sys.stdin) if a["name"] == "rogue1"), ""))'
}
for i in $(seq 50); do [ "$(rogue_refused)" = "certificate revoked" ] && break; sleep 0.2; done
[ "$(rogue_refused)" = "certificate revoked" ] || fail "revoked agent not listed refused: $(lab_ctl agents --json)"
lab_ctl agents --json | grep_all '"name":"rogue1"[^}]*"online":true' && fail "revoked agent listed online"
grep -q "refused peer .* rogue1: certificate revoked" "$work/logs/controller.log" || fail "revocation named in the controller log"
for i in $(seq 50); do grep -q "TLS handshake: certificate refused (certificate revoked)" "$work/logs/controller.log" && break; sleep 0.2; done
grep -q "TLS handshake: certificate refused (certificate revoked)" "$work/logs/controller.log" ||
    fail "the revoked agent's next handshake was not refused outright"
lab_wait_online 3 5 || fail "others still online"
out=$(lab_ctl ping) || fail "ping after the revoked agent: $out"
pass "a revoked agent is refused by name (listed offline, refused) with the reason logged; the others stay served"

# Clients that connect to the admin socket and never send hold every slot: commands are refused
# until the daemon drops them (ADMIN_CLIENT_TIMEOUT_MS, 10 s); then commands and pings work again.
admin_sock=$(sed -n 's/^admin: *//p' "$LAB_DIR/controller.yaml")
[ -S "$admin_sock" ] || fail "admin socket $admin_sock"
python3 - "$admin_sock" 32 > "$work/idle.out" 2>&1 <<'PY' &
import socket, sys, time
held = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(int(sys.argv[2]))]
for s in held:
    s.connect(sys.argv[1])
print("held", flush=True)
start = time.monotonic()
for s in held:
    s.settimeout(max(0.1, 40 - (time.monotonic() - start)))
    try:
        if s.recv(64) != b"":
            sys.exit("an idle client got data")
    except socket.timeout:
        sys.exit("an idle client still connected after 40 s")
print("all dropped after %.1f s" % (time.monotonic() - start), flush=True)
PY
idle_pid=$!
for i in $(seq 100); do grep -q held "$work/idle.out" && break; sleep 0.1; done
grep -q held "$work/idle.out" || fail "idle clients: $(cat "$work/idle.out")"
if out=$(lab_ctl agents 2>&1); then fail "a command was answered while idle clients held every slot: $out"; fi
for i in $(seq 150); do out=$(lab_ctl ping 2>&1) && break; sleep 0.2; done
[ "$(echo "$out" | grep -c ' ok ')" -eq 3 ] || fail "ping after the idle clients' timeout: $out"
wait "$idle_pid" || fail "idle clients: $(cat "$work/idle.out")"
pass "idle admin clients holding every slot are dropped ($(tail -n1 "$work/idle.out")); ping answered again"

if [ -n "$capture_pid" ]; then
    sleep 1
    kill "$capture_pid"; wait "$capture_pid" 2>/dev/null || true; capture_pid=""
    [ -s "$work/wire.pcap" ] || fail "capture is empty"
    for secret in repo1 db1 solr1 alfup-ping; do
        if grep -a -q "$secret" "$work/wire.pcap"; then fail "'$secret' readable on the wire"; fi
    done
    pass "the capture of the controller's port holds neither agent names nor the ping payload in clear"
else
    echo "skip - wire capture (needs root and tcpdump)"
fi
echo "daemon test: all passed"
