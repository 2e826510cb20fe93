#!/bin/bash
# hostile_flood_sustained_test.sh -- a hostile peer on another loopback address (127.0.0.66) keeps
# every handshake slot of a real alfup-controller busy (500 connections, each starting a fresh
# half-finished handshake every 0.5 s). Agents already online keep answering ping, and an agent
# that restarts in the middle of the flood is back online while the flood is still going: one
# address cannot hold all of max_pending_handshakes.
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/lab.sh"
source "$ALFUP_SOURCE_DIR/tests/integration/hostile-lib.sh"

FLOOD_CONNECTIONS=500
MAX_PENDING=50
HANDSHAKE_TIMEOUT_S=3
FLOOD_MS=60000          # the flood lasts until the test stops it (at most this long)
BACK_WITHIN_S=8         # the restarted agent must be online by then, well before the flood ends

work=$(mktemp -d)
peer_pid=""
cleanup() {
    [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null || true
    lab_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- logs" >&2; tail -n 8 "$work"/logs/*.log >&2; exit 1; }
pass() { echo "ok - $*"; }
hostile_flood_lab "$work" "$MAX_PENDING" "$HANDSHAKE_TIMEOUT_S"
lab_start_controller || fail "controller start"
for a in repo1 db1 solr1; do lab_start_agent "$a"; done
lab_wait_online 3 || fail "three agents online"

"$ALFUP_BUILD_DIR/bin/hostile_peer" "tcp://127.0.0.66:0;127.0.0.1:$LAB_PORT" sustained "$FLOOD_CONNECTIONS" \
    "$FLOOD_MS" >"$work/peer.out" 2>&1 &
peer_pid=$!
for _ in $(seq 150); do
    grep -q "refused peer 127.0.0.66: too many handshakes" "$work/logs/controller.log" && break
    sleep 0.2
done
grep -q "refused peer 127.0.0.66: too many handshakes" "$work/logs/controller.log" \
    || fail "the flood did not reach the handshake limit within 30 s"
out=$(lab_ctl ping 2>&1) || fail "ping during the flood: $out"
[ "$(echo "$out" | grep -c ' ok ')" -eq 3 ] || fail "ping during the flood answered by all three: $out"
pass "the flood holds the handshake slots; the three agents online answer ping"

kill "$LAB_PID_solr1"; wait "$LAB_PID_solr1" 2>/dev/null || true
lab_wait_online 2 30 || fail "solr1 not seen offline within 30 s"
lab_start_agent solr1
start=$(date +%s)
lab_wait_online 3 "$BACK_WITHIN_S" \
    || fail "solr1, restarted during the flood, not back within $BACK_WITHIN_S s: the flood holds every handshake slot"
kill -0 "$peer_pid" 2>/dev/null || fail "the flood ended before solr1 came back; the test proves nothing: $(cat "$work/peer.out")"
pass "solr1, restarted during the flood, is back online after $(($(date +%s) - start)) s while the flood goes on"

kill "$peer_pid"
wait "$peer_pid" 2>/dev/null || true
peer_pid=""
out=$(lab_ctl ping 2>&1) || fail "ping after the flood: $out"
[ "$(echo "$out" | grep -c ' ok ')" -eq 3 ] || fail "ping after the flood answered by all three: $out"
pass "all three agents answer ping after the flood"
echo "hostile sustained flood test: all passed"
