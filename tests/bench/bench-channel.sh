#!/bin/bash
# bench-channel.sh [--smoke] [N...] -- the control-plane benchmark on loopback. For each N
# (default 100 1000): a real `alfup-controller serve` (TLS 1.3, certificates from
# certs/alfup-certs, SQLite journal) and N agent sessions from one bench_channel process; then
# the same client against bench_channel_echo (plain ZeroMQ DEALER/ROUTER, no TLS, no journal).
# Measures connect time, ping fan-out round trips (BENCH_ROUNDS rounds, default 30) and the
# server's RSS, and prints a markdown table. --smoke: N=10, 3 rounds.
# BENCH_MAX_PENDING=N sets the controller's max_pending_handshakes (default: its own default).
# BENCH_CLIENT_WRAP="perf record ..." runs the TLS load client under that command.
# BENCH_PERF=PREFIX records the controller with perf into PREFIX-N-{connect,ping}.data; BENCH_KEEP=PREFIX keeps its logs.
# Agent certificates are issued once into BENCH_CERT_CACHE (default $ALFUP_BUILD_DIR/bench-channel-certs).
# Build: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
#        cmake --build build-rel --target alfup-controller bench_channel bench_channel_echo
# Run:   ALFUP_BUILD_DIR=$PWD/build-rel tests/bench/bench-channel.sh 100 1000
set -euo pipefail
export ALFUP_SOURCE_DIR=${ALFUP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export ALFUP_BUILD_DIR=${ALFUP_BUILD_DIR:-$ALFUP_SOURCE_DIR/build}
export ALFUP_BIN=${ALFUP_BIN:-$ALFUP_BUILD_DIR/bin}
rounds=${BENCH_ROUNDS:-30}
counts=()
for arg in "$@"; do
    case $arg in
    --smoke) counts+=(10); rounds=3 ;;
    *) counts+=("$arg") ;;
    esac
done
[ ${#counts[@]} -gt 0 ] || counts=(100 1000)
cache=${BENCH_CERT_CACHE:-$ALFUP_BUILD_DIR/bench-channel-certs}
certs_tool=$ALFUP_SOURCE_DIR/certs/alfup-certs
source "$ALFUP_SOURCE_DIR/tests/lib/lab.sh"
source "$ALFUP_SOURCE_DIR/tests/bench/bench-channel-lib.sh"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ulimit -n 65536 2>/dev/null || true
work=$(mktemp -d)
trap 'lab_cleanup; rm -rf "$work"' EXIT

# status_kib PID FIELD -- VmRSS or VmHWM of a process, in KiB.
status_kib() {
    awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}

# start_perf PID FILE LOG / stop_perf -- perf record of one process (BENCH_PERF only).
perf_pid=
start_perf() {
    perf record --call-graph dwarf,8192 -F 499 -p "$1" -o "$2" 2>>"$3" >&2 &
    perf_pid=$!
    perf stat -e 'syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync,syscalls:sys_enter_sendto' \
        -p "$1" -o "${2%.data}.stat" &
    perf_stat_pid=$!
    sleep 1
}
stop_perf() {
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid" "$perf_stat_pid"
        wait "$perf_pid" "$perf_stat_pid" || true
    fi
    perf_pid=
}

# run_alfup N -- controller + N TLS agents; writes $work/alfup-N.{conn,pings,rss}.
run_alfup() {
    local n=$1 dir=$work/alfup-$1
    lab_init "$dir"
    ln -s "$cache" "$dir/ca"
    LAB_HEARTBEAT_TIMEOUT_S=60 lab_controller_config
    if [ -n "${BENCH_MAX_PENDING:-}" ]; then # else the controller's default max_pending_handshakes
        echo "max_pending_handshakes: $BENCH_MAX_PENDING" >> "$dir/controller.yaml"
    fi
    lab_start_controller
    local ctl=$LAB_CONTROLLER_PID
    echo "$(status_kib "$ctl" VmRSS)" > "$work/alfup-$n.rss"
    [ -z "${BENCH_PERF:-}" ] || start_perf "$ctl" "$BENCH_PERF-$n-connect.data" "$dir/logs/perf.log"
    ${BENCH_CLIENT_WRAP:-} "$ALFUP_BIN/bench_channel" tls "tcp://127.0.0.1:$LAB_PORT" "$cache" "$n" \
        > "$dir/client.out" 2> "$dir/logs/client.log" &
    LAB_PIDS+=("$!")
    wait_line "$dir/client.out" '^connected' 120
    lab_wait_online "$n" 60
    awk '{print $4, $7}' "$dir/client.out" > "$work/alfup-$n.conn"
    echo "$(status_kib "$ctl" VmRSS) $(status_kib "$ctl" VmHWM)" >> "$work/alfup-$n.rss"
    stop_perf
    [ -z "${BENCH_PERF:-}" ] || start_perf "$ctl" "$BENCH_PERF-$n-ping.data" "$dir/logs/perf.log"
    local client=${LAB_PIDS[-1]}
    echo "$(cpu_ms "$ctl") $(cpu_ms "$client")" > "$work/alfup-$n.cpu"
    local i start
    : > "$work/alfup-$n.wall"
    for i in $(seq "$rounds"); do
        start=$EPOCHREALTIME
        lab_ctl ping --json >> "$work/alfup-$n.pings" || true
        echo "$start $EPOCHREALTIME" >> "$work/alfup-$n.wall"
    done
    echo "$(cpu_ms "$ctl") $(cpu_ms "$client")" >> "$work/alfup-$n.cpu"
    echo "$(status_kib "$ctl" VmRSS) $(status_kib "$ctl" VmHWM)" >> "$work/alfup-$n.rss"
    stop_perf
    [ -z "${BENCH_KEEP:-}" ] || cp -r "$dir/logs" "$BENCH_KEEP-alfup-$n-logs"
    lab_cleanup
    LAB_PIDS=()
}

# run_echo N -- bench_channel_echo + N echo agents; writes $work/echo-N.{conn,pings,rss}.
run_echo() {
    local n=$1 dir=$work/echo-$1 port
    mkdir -p "$dir"
    port=$(lab_free_port)
    "$ALFUP_BIN/bench_channel_echo" "tcp://127.0.0.1:$port" "$n" "$rounds" > "$dir/server.out" &
    local server=$!
    LAB_PIDS=("$server")
    wait_line "$dir/server.out" '^rss_kib' 10
    "$ALFUP_BIN/bench_channel" echo "tcp://127.0.0.1:$port" "$n" > "$dir/client.out" 2> "$dir/client.log" &
    local client=$!
    LAB_PIDS+=("$client")
    wait_line "$dir/server.out" '^joined' 120
    local client_cpu
    client_cpu=$(cpu_ms "$client")
    wait "$server"
    awk '{print $4, $7}' "$dir/client.out" > "$work/echo-$n.conn"
    grep '^{' "$dir/server.out" > "$work/echo-$n.pings"
    grep '^rss_kib' "$dir/server.out" | awk '{print $2, $4}' > "$work/echo-$n.rss"
    grep '^rss_kib' "$dir/server.out" | awk 'NR >= 2 {print $6}' | paste - - > "$work/echo-$n.servercpu"
    printf '%s %s\n%s %s\n' "$(head -1 "$work/echo-$n.servercpu" | cut -f1)" "$client_cpu" \
        "$(head -1 "$work/echo-$n.servercpu" | cut -f2)" "$(cpu_ms "$client")" > "$work/echo-$n.cpu"
    lab_cleanup
    LAB_PIDS=()
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for n in "${counts[@]}"; do
    bench_ensure_certs "$n"
    run_alfup "$n"
    run_echo "$n"
done

python3 - "$work" "$rounds" "${counts[@]}" <<'PY'
import json, math, sys
work, rounds, counts = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def pct(values, p):
    values = sorted(values)
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]

def load(kind, n):
    rtts, fanouts, bad = [], [], 0
    for line in open("%s/%s-%s.pings" % (work, kind, n)):
        agents = json.loads(line)["agents"]
        ok = [a["rtt_ms"] for a in agents if a["status"] == "ok"]
        bad += len(agents) - len(ok) + (int(n) - len(agents))
        rtts += ok
        fanouts.append(max(ok) if ok else float("nan"))
    conn, setup = (float(v) for v in open("%s/%s-%s.conn" % (work, kind, n)).read().split()[:2])
    rss = [l.split() for l in open("%s/%s-%s.rss" % (work, kind, n))]
    wall = []
    if kind == "alfup":
        wall = [(float(b) - float(a)) * 1000 for a, b in (l.split() for l in open("%s/alfup-%s.wall" % (work, n)))]
    cpu = [l.split() for l in open("%s/%s-%s.cpu" % (work, kind, n))]
    server_cpu = (float(cpu[1][0]) - float(cpu[0][0])) / rounds
    client_cpu = (float(cpu[1][1]) - float(cpu[0][1])) / rounds
    return dict(setup=setup, server_cpu=server_cpu, client_cpu=client_cpu, wall=wall, conn=conn, rtts=rtts, fanouts=fanouts, bad=bad, rss0=int(rss[0][0]),
                rss_conn=int(rss[1][0]), rss=int(rss[-1][0]), hwm=int(rss[-1][1]) if len(rss[-1]) > 1 else int(rss[-1][0]),
                rounds=len(fanouts))

print("| N | server | connect s (client setup s) | fan-out p50 ms | fan-out p99 ms | answer p50 ms | answer p99 ms "
      "| ping command p50/p99 ms | failed answers | server / client CPU ms per fan-out "
      "| RSS before / connected / after pings (HWM) KiB | KiB per agent connected / HWM |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
ratios, problems = [], []
for n in counts:
    rows = {}
    for kind, label in (("alfup", "alfup-controller (TLS 1.3, journal)"), ("echo", "plain ZeroMQ echo")):
        r = rows[kind] = load(kind, n)
        if r["bad"] or r["rounds"] != rounds:
            problems.append("N=%s %s: %d rounds of %d, %d answers missing or failed"
                            % (n, kind, r["rounds"], rounds, r["bad"]))
        per_agent = "%.1f / %.1f" % ((r["rss_conn"] - r["rss0"]) / int(n), (r["hwm"] - r["rss0"]) / int(n))
        wall = "%.1f / %.1f" % (pct(r["wall"], 50), pct(r["wall"], 99)) if r["wall"] else "-"
        print("| %s | %s | %.2f (%.2f) | %.1f | %.1f | %.1f | %.1f | %s | %d | %.1f / %.1f | %d / %d / %d (%d) | %s |" % (
            n, label, r["conn"], r["setup"], pct(r["fanouts"], 50), pct(r["fanouts"], 99), pct(r["rtts"], 50),
            pct(r["rtts"], 99), wall, r["bad"], r["server_cpu"], r["client_cpu"], r["rss0"], r["rss_conn"], r["rss"], r["hwm"], per_agent))
    a, e = rows["alfup"], rows["echo"]
    ratios.append("| %s | %.2f | %.2f | %.2f | %.2f |" % (
        n, pct(a["fanouts"], 50) / pct(e["fanouts"], 50), pct(a["fanouts"], 99) / pct(e["fanouts"], 99),
        pct(a["rtts"], 50) / pct(e["rtts"], 50), pct(a["rtts"], 99) / pct(e["rtts"], 99)))
print()
print("| N | fan-out p50 alfup/plain | fan-out p99 alfup/plain | answer p50 alfup/plain | answer p99 alfup/plain |")
print("|---|---|---|---|---|")
print("\n".join(ratios))
print()
print("%d rounds per N; connect = from the load client's setup done (N sessions created) to all N up; fan-out = one ping to every agent, from its start to the last answer; "
      "answer = from the fan-out's start to each agent's answer (the controller's rtt_ms); "
      "ping command = `alfup-controller ping --json` process, start to exit; KiB per agent = (RSS once all are connected, or HWM after the pings, - RSS before) / N"
      % rounds)
for problem in problems:
    print("FAIL: " + problem, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
