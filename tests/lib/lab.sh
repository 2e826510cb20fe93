#!/bin/bash
# lab.sh -- helpers to run a controller and agents as local processes in tests and the quick start.
# Source it; call lab_init DIR first. Everything lives under DIR; lab_cleanup stops it all.

source "$(dirname "${BASH_SOURCE[0]}")/grep_all.sh"
source "$(dirname "${BASH_SOURCE[0]}")/err_trap.sh"
LAB_BIN=${ALFUP_BIN:-${ALFUP_BUILD_DIR:-build}/bin}

lab_init() {
    LAB_DIR=$1
    LAB_PORT=${2:-$(lab_free_port)}
    mkdir -p "$LAB_DIR/run" "$LAB_DIR/logs"
    LAB_PIDS=()
}

# A free TCP port on 127.0.0.1 (asks the kernel for one).
lab_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

lab_certs() {
    local ca=$LAB_DIR/ca
    bash "$ALFUP_SOURCE_DIR/certs/alfup-certs" init "$ca" >/dev/null
    bash "$ALFUP_SOURCE_DIR/certs/alfup-certs" issue "$ca" controller ctl --ip 127.0.0.1 --dns localhost >/dev/null
}

# lab_agent_cert NAME ROLES
lab_agent_cert() {
    bash "$ALFUP_SOURCE_DIR/certs/alfup-certs" issue "$LAB_DIR/ca" agent "$1" --roles "$2" >/dev/null
}

lab_controller_config() {
    cat > "$LAB_DIR/controller.yaml" <<YAML
listen: tcp://127.0.0.1:$LAB_PORT
admin: $LAB_DIR/run/admin.sock
tls: {ca: $LAB_DIR/ca/ca.pem, cert: $LAB_DIR/ca/ctl.pem, key: $LAB_DIR/ca/ctl.key, crl: $LAB_DIR/ca/crl.pem}
journal: $LAB_DIR/journal.db
heartbeat_timeout_s: ${LAB_HEARTBEAT_TIMEOUT_S:-6}
YAML
}

# lab_agent_config NAME [CERT] -- CERT defaults to NAME
lab_agent_config() {
    local name=$1 cert=${2:-$1} home=$LAB_DIR/hosts/$1
    mkdir -p "$home/state" "$home/backups"
    cat > "$LAB_DIR/$name.yaml" <<YAML
name: $name
controller: tcp://127.0.0.1:$LAB_PORT
tls: {ca: $LAB_DIR/ca/ca.pem, cert: $LAB_DIR/ca/$cert.pem, key: $LAB_DIR/ca/$cert.key, crl: $LAB_DIR/ca/crl.pem}
state_dir: $home/state
backup_dir: $home/backups
allowed_roots: [$home]
heartbeat_s: 1
YAML
}

lab_start_controller() {
    "$LAB_BIN/alfup-controller" serve --config "$LAB_DIR/controller.yaml" >>"$LAB_DIR/logs/controller.log" 2>&1 &
    LAB_CONTROLLER_PID=$!
    LAB_PIDS+=("$LAB_CONTROLLER_PID")
    local i
    for i in $(seq 300); do
        [ -S "$LAB_DIR/run/admin.sock" ] && return 0
        kill -0 "$LAB_CONTROLLER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "controller did not start (no admin socket within 30 s, or it exited); its log:" >&2
    cat "$LAB_DIR/logs/controller.log" >&2
    return 1
}

# lab_start_agent NAME -- sets LAB_AGENT_PID
lab_start_agent() {
    "$LAB_BIN/alfup-agent" --config "$LAB_DIR/$1.yaml" >>"$LAB_DIR/logs/$1.log" 2>&1 &
    LAB_AGENT_PID=$!
    LAB_PIDS+=("$LAB_AGENT_PID")
    eval "LAB_PID_${1//[^A-Za-z0-9_]/_}=$LAB_AGENT_PID"
}

lab_ctl() {
    "$LAB_BIN/alfup-controller" --config "$LAB_DIR/controller.yaml" "$@"
}

# lab_wait_online N [SECONDS] -- waits until N agents are online
lab_wait_online() {
    local want=$1 limit=${2:-60} i
    for i in $(seq $((limit * 5))); do
        [ "$(lab_ctl agents --json 2>/dev/null | grep -o '"online":true' | wc -l)" -eq "$want" ] && return 0
        sleep 0.2
    done
    echo "expected $want agents online within ${limit} s; have:" >&2
    lab_ctl agents >&2 || true
    return 1
}

lab_cleanup() {
    local pid
    for pid in "${LAB_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${LAB_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
