#!/bin/bash
# api_hooks_test.sh -- the API's metrics, step progress events and webhooks (docs/api.md) against a real
# controller and agent: GET /metrics scraped during and after a run, each value checked against the journal
# (runs by state, step durations by kind, bytes backed up, the cutover's downtime, certificate expiry); the
# run's progress in the event stream, rate-limited; two webhooks (tests/integration/webhook_receiver.py on
# 127.0.0.1): one that fails its first deliveries gets every event, in order, signed, once each, also across
# a controller restart while it is down; one that answers slowly holds up no agent's traffic nor the
# controller's stop. The remote command line (alfup-controller --api) drives the run: started by a plan's
# name, approved at its gate, read back the same as on the controller's host; refused with the API's reason.
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/lab.sh"
source "$ALFUP_SOURCE_DIR/tests/integration/held-step-lib.sh"
HOLD_MS=3000      # the run's one step: a ping its agent holds this long, reporting progress
FAIL_FIRST=3      # the first webhook answers 500 to this many deliveries
SLOW_S=8          # the second webhook takes this long to answer each (the bound for ping and stop)
work=$(mktemp -d)
receivers=()
cleanup() {
    local pid
    for pid in "${receivers[@]}"; do kill "$pid" 2>/dev/null || true; done
    lab_cleanup
    if [ -z "${ALFUP_KEEP_WORK:-}" ]; then rm -rf "$work"; else echo "kept $work" >&2; fi
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    held_step_logs
    echo "--- receivers" >&2; tail -n 20 "$work"/hook-*.log >&2 || true
    exit 1
}
pass() { echo "ok - $* (at ${SECONDS} s)"; }

lab_init "$work"
held_step_lab "$HOLD_MS" agent
for role in viewer operator approver admin; do
    bash "$ALFUP_SOURCE_DIR/certs/alfup-certs" issue "$work/ca" operator "op-$role" --roles "$role" >/dev/null
done
bash "$ALFUP_SOURCE_DIR/certs/alfup-certs" issue "$work/ca" controller hooks --ip 127.0.0.1 >/dev/null  # receiver A's
bash "$ALFUP_SOURCE_DIR/certs/alfup-certs" init "$work/foreign" >/dev/null
bash "$ALFUP_SOURCE_DIR/certs/alfup-certs" issue "$work/foreign" operator op-foreign --roles viewer >/dev/null
sed -i 's/^  - id: hold$/  - id: cutover/' "$work/wf/alfresco-upgrade.yaml"   # its span is the cutover's downtime
sed -i 's/^        arms_rollback: true$/        arms_rollback: true\n        gate: true/' "$work/wf/alfresco-upgrade.yaml"
mkdir -p "$work/plans"
cp "$work/plan.yaml" "$work/plans/prod.yaml"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/hook.secret"
port_a=$(lab_free_port)
port_b=$(lab_free_port)
api_port=$(lab_free_port)
cat >> "$work/controller.yaml" <<YAML
api: {listen: "127.0.0.1:$api_port", plans_dir: $work/plans}
webhooks:
  - {url: "https://127.0.0.1:$port_a/hook", secret_file: $work/hook.secret, ca: $work/ca/ca.pem}
  - {url: "http://127.0.0.1:$port_b/slow", secret_file: $work/hook.secret}
YAML
receiver() {  # receiver PORT LOG [ARGS] -- starts webhook_receiver.py, waits until it listens
    python3 "$ALFUP_SOURCE_DIR/tests/integration/webhook_receiver.py" "$1" "$work/hook.secret" "$2" "${@:3}" &
    receivers+=($!)
    local i
    for i in $(seq 100); do
        python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' "$1" 2>/dev/null &&
            return 0
        sleep 0.1
    done
    fail "the webhook receiver on port $1 did not start"
}
receiver "$port_a" "$work/hook-a.log" --fail-first "$FAIL_FIRST" --tls "$work/ca/hooks.pem" "$work/ca/hooks.key"
receiver_a=${receivers[-1]}
receiver "$port_b" "$work/hook-b.log" --delay "$SLOW_S"
lab_start_controller || fail "controller start"
lab_start_agent repo1
lab_wait_online 1 || fail "repo1 online"

scrape() {  # scrape FILE -- GET /metrics as op-viewer into FILE; its content type on stdout
    curl -sS --max-time 30 --cacert "$work/ca/ca.pem" --cert "$work/ca/op-viewer.pem" --key "$work/ca/op-viewer.key" \
        -o "$1" -w '%{content_type}' "https://127.0.0.1:$api_port/metrics"
}
remote() {  # remote WHO COMMAND... -- alfup-controller --api as the operator WHO of the lab's CA
    local who=$1
    shift
    "$LAB_BIN/alfup-controller" --api "https://127.0.0.1:$api_port" --cert "$work/ca/$who.pem" \
        --key "$work/ca/$who.key" --ca "$work/ca/ca.pem" "$@"
}
remote_refused() {  # remote_refused EXIT TEXT WHO COMMAND... -- the command fails with EXIT, saying TEXT
    local want=$1 text=$2 rc=0 out
    shift 2
    out=$(remote "$@" 2>&1) || rc=$?
    [ "$rc" -eq "$want" ] || fail "alfup-controller --api as $1 ${*:2}: exit $rc, expected $want: $out"
    grep -q -- "$text" <<<"$out" || fail "alfup-controller --api as $1 ${*:2} does not say '$text': $out"
}
remote_refused 1 "HTTP 403: start needs the role operator" op-viewer run prod
remote_refused 2 "not a path" op-operator run "$work/plans/prod.yaml"
remote_refused 3 "" op-viewer --ca "$work/foreign/ca.pem" agents   # the controller's certificate: not from that CA
rc=0
out=$(remote op-operator run prod --wait) || rc=$?
[ "$rc" -eq 5 ] || fail "alfup-controller --api run prod --wait: exit $rc, expected 5 (waiting at its gate): $out"
run=$(head -n1 <<<"$out")
grep -q "hold-repo" <<<"$out" || fail "run --wait did not print the status at its gate: $out"
type=$(scrape "$work/metrics-1.txt") || fail "GET /metrics: $type"
[ "$type" = "text/plain; version=0.0.4; charset=utf-8" ] || fail "GET /metrics answered $type"
grep -qx 'alfup_runs{state="waiting"} 1' "$work/metrics-1.txt" || fail "a waiting run not counted: $(cat "$work/metrics-1.txt")"
grep -qx 'alfup_agents_online 1' "$work/metrics-1.txt" || fail "repo1 not counted online"
pass "GET /metrics during the run: text format 0.0.4, the run waiting at its gate, one agent online"
remote_refused 1 "HTTP 403: approve needs the role approver" op-viewer approve "$run" hold-repo
remote op-approver approve "$run" hold-repo >/dev/null || fail "alfup-controller --api approve as op-approver"
out=$(remote op-viewer status "$run" --wait) || fail "alfup-controller --api status --wait after the approval: $out"
held_step_wait "$run" succeeded 1 || fail "status --wait returned 0 but run $run's step is not succeeded"
for command in "status $run --json" "status $run" "status" "runs" "runs --json"; do
    # shellcheck disable=SC2086
    [ "$(remote op-viewer $command)" = "$(lab_ctl $command)" ] || fail "alfup-controller --api $command differs from the admin socket's"
done
remote op-admin audit > "$work/audit.txt" || fail "alfup-controller --api audit"
grep -q "op-approver .*approve .*$run .*200" "$work/audit.txt" && grep -q "op-viewer .*approve .*$run .*403" "$work/audit.txt" &&
    grep -q "op-operator .*start .*$run .*201" "$work/audit.txt" || fail "the audit trail over --api: $(cat "$work/audit.txt")"
remote_refused 1 "HTTP 409" op-operator cancel "$run"
remote_refused 1 "HTTP 403: audit needs the role admin" op-operator audit
remote op-viewer metrics | grep_all -x 'alfup_agents_online 1' || fail "alfup-controller --api metrics"
pass "alfup-controller --api: run by plan name (--wait: exit 5 at its gate), approve, status --wait (exit 0), status, runs and audit as on the controller's host; refusals with the API's reason"

# ---- step progress: in the journal's events and the stream, at most one a second ----
progress=$(sqlite3 "$work/journal.db" "select count(*) from events where type = 'progress' and run_id = '$run'")
hold_s=$((HOLD_MS / 1000))
[ "$progress" -ge 1 ] && [ "$progress" -le $((hold_s + 2)) ] ||
    fail "$progress progress events for a ${hold_s} s step reporting twice a second (expected 1..$((hold_s + 2)))"
curl -sS -N --max-time 3 --cacert "$work/ca/ca.pem" --cert "$work/ca/op-viewer.pem" --key "$work/ca/op-viewer.key" \
    "https://127.0.0.1:$api_port/api/v1/events" > "$work/stream.txt" 2>/dev/null || true
grep -q '^event: progress$' "$work/stream.txt" && grep -q '"message":"held [0-9]* of 3000 ms"' "$work/stream.txt" ||
    fail "no progress event in the stream: $(head -c 2000 "$work/stream.txt")"
pass "the step's progress is in the event stream: $progress events for a ${hold_s} s step (the agent reports twice a second)"

# ---- metrics against the journal ----
# a backup step's row as an agent's result leaves it (this workflow backs nothing up): the bytes metric sums it
sqlite3 "$work/journal.db" "insert into steps(step_id, agent, kind, state, sent_unix_ms, finished_unix_ms, outputs_json)
    values('metrics-test.backup', 'repo1', 'backup-tree', 'succeeded', 1000, 61000, '{\"bytes\":\"12345\"}')"
scrape "$work/metrics-2.txt" >/dev/null || fail "GET /metrics after the run"
expiry() { date -d "$(openssl x509 -in "$work/ca/$1.pem" -noout -enddate | cut -d= -f2)" +%s; }
python3 - "$work/metrics-2.txt" "$work/journal.db" "$run" "$(expiry ctl)" "$(expiry repo1)" "$(expiry op-viewer)" <<'PY' ||
import re, sqlite3, sys
text, journal, run = open(sys.argv[1]).read(), sqlite3.connect(sys.argv[2]), sys.argv[3]
ctl, repo1, viewer = (int(x) for x in sys.argv[4:7])
samples = {}
for line in text.splitlines():
    if line and not line.startswith("#"):
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
def want(name, value, tolerance=0.0):
    got = samples.get(name)
    assert got is not None and abs(got - value) <= tolerance, f"{name}: {got}, the journal says {value}"
want("alfup_agents_online", 1)
for state, count in journal.execute("select state, count(*) from runs group by state"):
    want(f'alfup_runs{{state="{state}"}}', count)
rows = journal.execute("select kind, count(*), sum((finished_unix_ms - sent_unix_ms) / 1000.0),"
                       " sum((finished_unix_ms - sent_unix_ms) <= 10000) from steps where finished_unix_ms is not null"
                       " and state in ('succeeded', 'failed', 'cancelled') group by kind").fetchall()
assert rows, "no finished step in the journal"
for kind, count, total, within_10s in rows:
    want(f'alfup_step_duration_seconds_count{{kind="{kind}"}}', count)
    want(f'alfup_step_duration_seconds_bucket{{kind="{kind}",le="+Inf"}}', count)
    want(f'alfup_step_duration_seconds_bucket{{kind="{kind}",le="10"}}', within_10s)
    want(f'alfup_step_duration_seconds_sum{{kind="{kind}"}}', total, 0.002)
want('alfup_backup_bytes_total{kind="backup-tree"}', 12345)
sent, finished = journal.execute("select sent_unix_ms, finished_unix_ms from run_steps where run_id = ? and"
                                 " rollback = 0", (run,)).fetchone()
want(f'alfup_cutover_downtime_seconds{{run="{run}"}}', (finished - sent) / 1000.0, 0.002)
assert (finished - sent) >= 3000, (sent, finished)
want('alfup_certificate_expiry_timestamp_seconds{kind="controller",name="ctl"}', ctl)
want('alfup_certificate_expiry_timestamp_seconds{kind="agent",name="repo1"}', repo1)
serial = [k for k in samples if k.startswith('alfup_operator_certificate_expiry_timestamp_seconds{name="op-viewer"')]
assert len(serial) == 1 and samples[serial[0]] == viewer, serial
print(f"ok - GET /metrics matches the journal: {len(rows)} step kinds, runs by state, 12345 bytes backed up, "
      f"downtime {(finished - sent) / 1000.0:.3f} s, three certificates' expiry")
PY
    fail "GET /metrics does not match the journal: $(cat "$work/metrics-2.txt")"

# ---- webhooks: every event, in order, signed, once; the first deliveries failed and were retried ----
journal_ids() { sqlite3 "$work/journal.db" "select id from events order by id" | tr '\n' ' '; }
delivered_ids() { awk '$3 == "ok" {print $1}' "$work/hook-a.log" | tr '\n' ' '; }
wait_delivered() {
    local i
    for i in $(seq 600); do [ "$(delivered_ids)" = "$(journal_ids)" ] && return 0; sleep 0.1; done
    return 1
}
wait_delivered || fail "webhook A got $(delivered_ids), the journal has $(journal_ids)"
[ "$(awk '$3 == "failed-on-purpose"' "$work/hook-a.log" | wc -l)" -eq "$FAIL_FIRST" ] || fail "not $FAIL_FIRST failures"
head -n "$FAIL_FIRST" "$work/hook-a.log" | awk '{print $1}' | sort -u | wc -l | grep -qx 1 ||
    fail "the failed deliveries were not all the same (first) event: $(head -n "$FAIL_FIRST" "$work/hook-a.log")"
grep -q "badsig\|badid" "$work/hook-a.log" && fail "a delivery with a bad signature or event id"
grep -q "delivered after $FAIL_FIRST failed attempts" "$work/logs/controller.log" || fail "the retries are not logged"
saved() { sqlite3 "$work/journal.db" "select last_event_id from webhook_progress where url = 'https://127.0.0.1:$port_a/hook'"; }
last_id=$(sqlite3 "$work/journal.db" "select max(id) from events")
for i in $(seq 30); do [ "$(saved)" = "$last_id" ] && break; sleep 0.1; done
[ "$(saved)" = "$last_id" ] || fail "the journal's webhook_progress says $(saved) for webhook A, which got up to $last_id"
slow_done=$(grep -c -v '^start' "$work/hook-b.log" || true)
pass "webhook A (https, its CA from the config): every journal event ($(journal_ids | wc -w)), in order, HMAC-signed, once, after $FAIL_FIRST retried failures, while slow webhook B had answered $slow_done"

# ---- a slow receiver holds up neither the agents' traffic nor the controller's stop ----
for i in $(seq 100); do grep -q '^start' "$work/hook-b.log" 2>/dev/null && break; sleep 0.1; done
grep -q '^start' "$work/hook-b.log" || fail "the slow webhook got nothing"
start_ms=$(date +%s%3N)
out=$(lab_ctl ping) || fail "ping while the slow webhook answers: $out"
took=$(($(date +%s%3N) - start_ms))
[ "$took" -lt $((SLOW_S * 1000)) ] || fail "ping took $took ms while a webhook receiver takes $SLOW_S s"
pass "the agents' ping answered in $took ms while the slow webhook takes $SLOW_S s an event"

# the agent's progress reports (twice a second) kept the link busy; its heartbeats still went out and were answered
grep -q "controller silent" "$work/logs/repo1.log" && fail "repo1 took the controller for silent while it reported progress"

# ---- restart while webhook A is down: nothing lost, nothing twice ----
kill "$receiver_a"
wait "$receiver_a" 2>/dev/null || true
start_ms=$(date +%s%3N)
kill "$LAB_CONTROLLER_PID"
wait "$LAB_CONTROLLER_PID" 2>/dev/null || true
took=$(($(date +%s%3N) - start_ms))
[ "$took" -lt $((SLOW_S * 1000)) ] || fail "the controller took $took ms to stop with a slow webhook in flight"
pass "the controller stopped in $took ms with a delivery to the slow webhook in flight"
lab_start_controller || fail "controller restart"
lab_wait_online 1 || fail "repo1 online again"
receiver "$port_a" "$work/hook-a.log" --tls "$work/ca/hooks.pem" "$work/ca/hooks.key"
wait_delivered || fail "after the restart webhook A got $(delivered_ids), the journal has $(journal_ids)"
python3 - "$(delivered_ids)" <<'PY' || fail "webhook A got an event twice: $(delivered_ids)"
import sys
ids = [int(x) for x in sys.argv[1].split()]
assert ids == sorted(set(ids)), ids
PY
pass "after a restart with webhook A down, it gets the events it missed, in order, none twice"
echo "api_hooks_test: all checks passed"
