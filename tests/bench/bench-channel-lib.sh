# bench-channel-lib.sh -- what the channel benchmarks share (bench-channel.sh, bench-api-load.sh): the
# certificate cache of many agents, a process's CPU time, waiting for a log line.
# shellcheck shell=bash
# Needs: $cache (the certificate cache folder), $certs_tool (certs/alfup-certs).

# bench_ensure_certs N [OPERATOR] -- the CA, the controller's and agents a0001..aN's certificates in the
# cache (issued in parallel, once), and OPERATOR's (a viewer) when named.
bench_ensure_certs() {
    local n=$1 operator=${2:-}
    if [ ! -f "$cache/ca.pem" ]; then
        rm -rf "$cache"
        bash "$certs_tool" init "$cache" >/dev/null
        bash "$certs_tool" issue "$cache" controller ctl --ip 127.0.0.1 --dns localhost >/dev/null
    fi
    if [ -n "$operator" ] && [ ! -f "$cache/$operator.pem" ]; then
        bash "$certs_tool" issue "$cache" operator "$operator" --roles viewer >/dev/null
    fi
    seq -f 'a%04g' 1 "$n" | while read -r name; do [ -f "$cache/$name.pem" ] || echo "$name"; done |
        xargs -r -P "$(nproc)" -I{} bash "$certs_tool" issue "$cache" agent {} --roles repo >/dev/null
}

# cpu_ms PID -- user + system CPU time of a process (or PID/task/TID) so far, in ms.
cpu_ms() {
    awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) * 1000 / hz}' "/proc/$1/stat"
}

# wait_line FILE PATTERN SECONDS -- waits until FILE has a line matching PATTERN.
wait_line() {
    local i
    for i in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "timed out waiting for '$2' in $1" >&2
    return 1
}
