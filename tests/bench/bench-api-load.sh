#!/bin/bash
# bench-api-load.sh [--smoke] -- the API under load beside the agents' traffic (issue 14): one real
# `alfup-controller serve` (TLS 1.3, SQLite journal, api: on loopback) with N agent sessions from
# bench_channel, and the ping fan-out to all N measured in alternating phases of the same run
# (BENCH_PHASES, default "none load none load none": the machine's drift shows between them):
#   none -- no API client;
#   load -- bench_api_load.py holding SSE streams on GET /api/v1/events (each replays the journal's
#           events first) and reading GET /api/v1/runs/RUN at a steady rate over kept-alive connections.
# In every phase a small run (one ping step on a0001) starts every BENCH_RUN_EVERY_S seconds,
# so the streams have live events to follow. Prints the fan-out's p50/p99 per phase side by side,
# the controller's CPU per phase, the status reads' latency and whether any stream missed,
# repeated or reordered an event (each stream's ids are compared with the journal's).
# Defaults: N=1000, 100 streams, 200 reads/s, 50 fan-outs a phase; --smoke: N=10, 5 streams, 20 reads/s,
# 20 fan-outs, phases "none load none". Environment: BENCH_AGENTS, BENCH_SSE, BENCH_READS, BENCH_ROUNDS, BENCH_RUN_EVERY_S (0.5),
# BENCH_CERT_CACHE (default $ALFUP_BUILD_DIR/bench-channel-certs, shared with bench-channel.sh),
# BENCH_PERF=PREFIX records the controller with perf in each phase (PREFIX-1-none.data, PREFIX-2-load.data ...).
# Build: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
#        cmake --build build-rel --target alfup-controller bench_channel
# Run:   ALFUP_BUILD_DIR=$PWD/build-rel tests/bench/bench-api-load.sh
set -euo pipefail
export ALFUP_SOURCE_DIR=${ALFUP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export ALFUP_BUILD_DIR=${ALFUP_BUILD_DIR:-$ALFUP_SOURCE_DIR/build}
export ALFUP_BIN=${ALFUP_BIN:-$ALFUP_BUILD_DIR/bin}
agents=${BENCH_AGENTS:-1000} sse=${BENCH_SSE:-100} reads=${BENCH_READS:-200} rounds=${BENCH_ROUNDS:-50}
phases=${BENCH_PHASES:-none load none load none}
if [ "${1:-}" = --smoke ]; then
    agents=${BENCH_AGENTS:-10} sse=${BENCH_SSE:-5} reads=${BENCH_READS:-20} rounds=${BENCH_ROUNDS:-20}
    phases=${BENCH_PHASES:-none load none}
fi
run_every=${BENCH_RUN_EVERY_S:-0.5}
cache=${BENCH_CERT_CACHE:-$ALFUP_BUILD_DIR/bench-channel-certs}
certs_tool=$ALFUP_SOURCE_DIR/certs/alfup-certs
source "$ALFUP_SOURCE_DIR/tests/lib/lab.sh"
source "$ALFUP_SOURCE_DIR/tests/bench/bench-channel-lib.sh"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ulimit -n 65536 2>/dev/null || true
work=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    echo "--- controller log" >&2; tail -n 20 "$work/lab/logs/controller.log" >&2 || true
    exit 1
}

# thread_cpu_ms -- the controller's CPU ms so far: its main thread (the daemon's loop), the ZeroMQ I/O
# threads (ZMQbg/*) and the rest (the API's libwebsockets thread; no webhooks are configured).
thread_cpu_ms() {
    local t main=0 zmq=0 other=0 ms
    for t in /proc/"$ctl"/task/*; do
        ms=$(cpu_ms "$ctl/task/${t##*/}")
        if [ "${t##*/}" = "$ctl" ]; then main=$ms
        elif [[ $(cat "$t/comm") == ZMQbg* ]]; then zmq=$(awk -v a="$zmq" -v b="$ms" 'BEGIN {print a + b}')
        else other=$(awk -v a="$other" -v b="$ms" 'BEGIN {print a + b}'); fi
    done
    echo "$main $zmq $other"
}

# setup_lab -- the controller's config with its API, a one-step workflow (a ping on the repo role) and a
# plan of it on a0001.
setup_lab() {
    lab_init "$work/lab"
    ln -s "$cache" "$LAB_DIR/ca"
    LAB_HEARTBEAT_TIMEOUT_S=60 lab_controller_config
    api_port=$(lab_free_port)
    mkdir -p "$LAB_DIR/wf"
    sed 's/, hold_ms: "600000"//' "$ALFUP_SOURCE_DIR/tests/integration/held-step/alfresco-upgrade.yaml" \
        > "$LAB_DIR/wf/alfresco-upgrade.yaml"
    sed '/^  db1: \[db\]/d; /^  solr1: \[solr\]/d; /^approve:/d; s/^  repo1: \[repo\]/  a0001: [repo]/' \
        "$ALFUP_SOURCE_DIR/deploy/examples/plan-prod-ecm.yaml" > "$LAB_DIR/plan.yaml"
    cat >> "$LAB_DIR/controller.yaml" <<YAML
workflows: $LAB_DIR/wf
api: {listen: "127.0.0.1:$api_port"}
YAML
}

# start_run -- starts a run of the plan and prints its id.
start_run() {
    local out
    out=$(lab_ctl run "$LAB_DIR/plan.yaml") || { echo "$out"; return 1; }
    echo "${out%%$'\n'*}"
}

# run_state RUN -- the run's state in the journal.
run_state() { sqlite3 "$LAB_DIR/journal.db" "select state from runs where run_id = '$1'" 2>/dev/null || true; }

# event_source -- a run every $run_every seconds until killed (a run still going refuses the next: skipped).
event_source() {
    while true; do
        lab_ctl run "$LAB_DIR/plan.yaml" >/dev/null 2>&1 || true
        sleep "$run_every"
    done
}

# phase NAME -- $rounds ping fan-outs; writes $work/NAME.{pings,wall,cpu}; perf with BENCH_PERF.
phase() {
    local name=$1 i start perf=
    if [ -n "${BENCH_PERF:-}" ]; then
        perf record --call-graph dwarf,8192 -F 499 -p "$ctl" -o "$BENCH_PERF-$name.data" 2>>"$LAB_DIR/logs/perf.log" >&2 &
        perf=$!
        sleep 1
    fi
    echo "$EPOCHREALTIME $(cpu_ms "$ctl") $(thread_cpu_ms)" > "$work/$name.cpu"
    for i in $(seq "$rounds"); do
        start=$EPOCHREALTIME
        lab_ctl ping --json >> "$work/$name.pings" || echo '{"agents": []}' >> "$work/$name.pings"
        echo "$start $EPOCHREALTIME" >> "$work/$name.wall"
    done
    echo "$EPOCHREALTIME $(cpu_ms "$ctl") $(thread_cpu_ms)" >> "$work/$name.cpu"
    if [ -n "$perf" ]; then kill -INT "$perf"; wait "$perf" || true; fi
}

# with_load NAME -- phase NAME with the API load client beside it; its result in $work/NAME.api.
with_load() {
    python3 "$ALFUP_SOURCE_DIR/tests/bench/bench_api_load.py" "$api_port" "$cache/ca.pem" "$cache/bench-viewer.pem" \
        "$cache/bench-viewer.key" "$LAB_DIR/journal.db" "$run" --sse "$sse" --rate "$reads" \
        > "$work/$1.api" 2> "$work/$1.api.err" &
    local load=$! rc=0
    LAB_PIDS+=("$load")
    wait_line "$work/$1.api" '^ready' 120 || fail "the API load client is not ready: $(cat "$work/$1.api.err")"
    phase "$1"
    kill -TERM "$load"
    wait "$load" || rc=$?
    [ "$rc" = 0 ] || fail "the API load client failed ($rc): $(tail -n 3 "$work/$1.api.err") $(tail -n 1 "$work/$1.api")"
}

echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg) at the start" >&2
bench_ensure_certs "$agents" bench-viewer
setup_lab
lab_start_controller || fail "controller start"
ctl=$LAB_CONTROLLER_PID
"$ALFUP_BIN/bench_channel" tls "tcp://127.0.0.1:$LAB_PORT" "$cache" "$agents" \
    > "$work/client.out" 2> "$LAB_DIR/logs/client.log" &
LAB_PIDS+=("$!")
wait_line "$work/client.out" '^connected' 180 || fail "the $agents agents did not connect"
lab_wait_online "$agents" 60 || fail "the $agents agents are not online"
run=$(start_run) || fail "the first run did not start: $run"
for i in $(seq 300); do [ "$(run_state "$run")" = succeeded ] && break; sleep 0.1; done
[ "$(run_state "$run")" = succeeded ] || fail "run $run did not succeed: $(run_state "$run")"
event_source &
LAB_PIDS+=("$!")

i=0
for kind in $phases; do
    i=$((i + 1))
    name=$i-$kind
    case $kind in
    none) phase "$name" ;;
    load) with_load "$name" ;;
    *) fail "BENCH_PHASES: '$kind' is neither none nor load" ;;
    esac
done
echo "machine: load $(cut -d' ' -f1-3 /proc/loadavg) at the end" >&2

python3 - "$work" "$agents" "$rounds" "$sse" "$reads" $phases <<'PY'
import json, math, sys
work, agents, rounds, sse, reads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
names = ["%d-%s" % (i + 1, kind) for i, kind in enumerate(sys.argv[6:])]

def pct(values, p):
    values = sorted(values)
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)] if values else float("nan")

def load(name):
    fanouts, rtts, bad = [], [], 0
    for line in open("%s/%s.pings" % (work, name)):
        got = json.loads(line)["agents"]
        ok = [a["rtt_ms"] for a in got if a["status"] == "ok"]
        bad += agents - len(ok)
        rtts += ok
        fanouts.append(max(ok) if ok else float("nan"))
    wall = [(float(b) - float(a)) * 1000 for a, b in (l.split() for l in open("%s/%s.wall" % (work, name)))]
    first, last = [[float(v) for v in l.split()] for l in open("%s/%s.cpu" % (work, name))]
    seconds = last[0] - first[0]
    cpu = [100 * (b - a) / 1000 / seconds for a, b in zip(first[1:], last[1:])]  # all, main, zmq, other
    return dict(fanouts=fanouts, rtts=rtts, bad=bad, wall=wall, cpu=cpu, seconds=seconds)

def row(label, r):
    print("| %s | %.1f | %.1f | %.1f | %.1f | %.1f / %.1f | %d | %s |" % (
        label, pct(r["fanouts"], 50), pct(r["fanouts"], 99), pct(r["rtts"], 50), pct(r["rtts"], 99),
        pct(r["wall"], 50), pct(r["wall"], 99), r["bad"],
        "%.0f (%.0f / %.0f / %.0f)" % tuple(r["cpu"]) if r.get("cpu") else "-"))

phases = {name: load(name) for name in names}
print("| phase (N = %d agents, %d fan-outs each) | fan-out p50 ms | fan-out p99 ms | answer p50 ms | answer p99 ms "
      "| ping command p50 / p99 ms | failed answers | controller CPU %% (daemon loop / ZeroMQ I/O / API thread) |"
      % (agents, rounds))
print("|---|---|---|---|---|---|---|---|")
load_label = "%s SSE streams + %s status reads/s" % (sse, reads)
for name, r in phases.items():
    row("%s: %s" % (name, load_label if name.endswith("load") else "no API client"), r)
merged = {}
for kind in ("none", "load"):
    group = [phases[n] for n in names if n.endswith(kind)]
    merged[kind] = dict(fanouts=sum((g["fanouts"] for g in group), []), rtts=sum((g["rtts"] for g in group), []),
                        wall=sum((g["wall"] for g in group), []), bad=sum(g["bad"] for g in group))
    if group:
        row("**all %s phases: %s**" % (kind, load_label if kind == "load" else "no API client"), merged[kind])
if merged["none"]["fanouts"] and merged["load"]["fanouts"]:
    print("\nfan-out with / without the API load: p50 %.2f, p99 %.2f" % (
        pct(merged["load"]["fanouts"], 50) / pct(merged["none"]["fanouts"], 50),
        pct(merged["load"]["fanouts"], 99) / pct(merged["none"]["fanouts"], 99)))
problems = ["%s: %d ping answers missing or failed" % (n, r["bad"]) for n, r in phases.items() if r["bad"]]
for name in names:
    if not name.endswith("load"):
        continue
    lines = [l for l in open("%s/%s.api" % (work, name)) if l.startswith("{")]
    if not lines:
        problems.append("%s: the API load client printed no result" % name)
        continue
    api = json.loads(lines[-1])
    print("API in %s: %d streams, %d of them got exactly the journal's %d events (ids to %d) in order, once; %d reconnects; "
          "%d status reads in %.1f s (%.1f/s, %d started over 50 ms late), %d failed; read latency p50 %.2f ms, "
          "p99 %.2f ms, max %.2f ms (p99 from its turn in the schedule %.2f ms); load client CPU %d %%" % (
              name, api["sse_clients"], api["streams_complete"], api["journal_events"], api["last_event"],
              api["reconnects"], api["reads"], api["load_s"], api["reads_per_s"], api["late_reads"],
              api["read_errors"], api["read_p50_ms"], api["read_p99_ms"], api["read_max_ms"],
              api["read_from_turn_p99_ms"], api["client_cpu_percent"]))
    if api["streams_complete"] != api["sse_clients"] or not api["streams_caught_up"]:
        problems.append("%s: streams missed events: %s" % (name, api["stream_problems"]))
    if api["read_errors"]:
        problems.append("%s: status reads failed: %s" % (name, api["read_error_examples"]))
print("\nfan-out = one ping to every agent (`alfup-controller ping --json`), from its start to the last answer; "
      "answer = each agent's rtt_ms; ping command = the process, start to exit; CPU = % of one core during the phase")
for p in problems:
    print("FAIL: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
