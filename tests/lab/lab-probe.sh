# lab-probe.sh -- the old repository's readiness-probe latency while the prestaged upgrade copies the base
# online, against the same length of time with nothing of alfup running (issue 11: the online work must not
# hurt production). Source me after lab-lib.sh and lab_load.
# shellcheck shell=bash
#
#   lab_probe_start                 a poller on repo1 probes the old repository every 200 ms (lab_tools.py
#                                   probe-poll) into DIR/probes: "UNIX_TIME CODE LATENCY_MS" lines
#   ... the run, up to the cutover gate (the base copy is done, production serves, nothing runs) ...
#   lab_probe_compare RUN           the base copy's window from the run's status; then an idle window of the
#                                   same length, now; both windows' p50/p95/max into DIR/probe-latency.txt
#   lab_probe_stop                  the poller ends (lab-down.sh also stops it)

LAB_PROBE_FILE_NAME=probes

lab_probe_start() {
    rm -f "$LAB_DIR/$LAB_PROBE_FILE_NAME" "$LAB_DIR/$LAB_PROBE_FILE_NAME.stop"
    LAB_PROBE_EXE=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
    lab_spawn repo1 probe-poll "$LAB_PROBE_EXE" "$LAB_SRC/tests/lab/lab_tools.py" probe-poll \
        "$(lab_repo_ready_url)" "$LAB_DIR/$LAB_PROBE_FILE_NAME"
    LAB_PROBE_PID=$LAB_SPAWNED_PID
    local _
    for _ in $(seq 100); do
        [ -s "$LAB_DIR/$LAB_PROBE_FILE_NAME" ] && return 0
        sleep 0.1
    done
    lab_say "the probe poller wrote nothing within 10 s (DIR/logs/probe-poll.log: $(tail -n 3 "$LAB_DIR/logs/probe-poll.log" 2>/dev/null))"
    return 1
}

lab_probe_stop() {
    touch "$LAB_DIR/$LAB_PROBE_FILE_NAME.stop"
    local _
    for _ in $(seq 100); do
        lab_pid_is "$LAB_PROBE_PID" "$LAB_PROBE_EXE" || return 0
        sleep 0.1
    done
    return 1
}

# lab_probe_last_after T -- 0 once a probe that began after unix time T has been written.
lab_probe_last_after() {
    tail -n 1 "$LAB_DIR/$LAB_PROBE_FILE_NAME" | awk -v t="$1" '{exit !($1 > t)}'
}

# lab_probe_stats FROM TO -- "probes N p50_ms A p95_ms B max_ms C failed F" of the probes begun in [FROM, TO).
lab_probe_stats() {
    python3 "$LAB_SRC/tests/lab/lab_tools.py" probe-stats "$LAB_DIR/$LAB_PROBE_FILE_NAME" "$1" "$2"
}

# lab_probe_compare RUN -- at the cutover gate: the base-copy phase's window (its first step's start to its
# last step's end: the online backups and laying the base into the new dir.root), an idle window of the same
# length (at least 2 s) from now, and both windows' statistics, side by side, into DIR/probe-latency.txt
# (also printed). 1 when a window has no probe.
lab_probe_compare() {
    local window from to idle_from idle_to during idle _
    window=$(lab_ctl status "$1" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
steps = [x for p in s["phases"] if p["id"] == "base-copy" for x in p["steps"] if x.get("finished_unix_ms")]
print("%.3f %.3f" % (min(x["started_unix_ms"] for x in steps) / 1000.0, max(x["finished_unix_ms"] for x in steps) / 1000.0))
') || { lab_say "lab_probe_compare: no finished base-copy steps in run $1"; return 1; }
    read -r from to <<<"$window"
    idle_from=$(date +%s.%N)
    idle_to=$(awk -v a="$idle_from" -v f="$from" -v t="$to" 'BEGIN {d = t - f; if (d < 2) d = 2; printf "%.3f", a + d}')
    for _ in $(seq 36000); do   # the idle window is the measurement itself: wait until it has passed
        lab_probe_last_after "$idle_to" && break
        sleep 0.1
    done
    during=$(lab_probe_stats "$from" "$to") || { lab_say "no probe during the base copy ($from .. $to)"; return 1; }
    idle=$(lab_probe_stats "$idle_from" "$idle_to") || { lab_say "no probe in the idle window"; return 1; }
    {
        printf 'old repository probe, base copy running (%.1f s): %s\n' \
            "$(awk -v f="$from" -v t="$to" 'BEGIN {print t - f}')" "$during"
        printf 'old repository probe, idle at the cutover gate (%.1f s): %s\n' \
            "$(awk -v f="$idle_from" -v t="$idle_to" 'BEGIN {print t - f}')" "$idle"
    } | tee "$LAB_DIR/probe-latency.txt"
}
