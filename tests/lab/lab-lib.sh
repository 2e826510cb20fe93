# lab-lib.sh -- functions shared by lab-up.sh, lab-down.sh, the e2e tests and the quick start (source me).
# shellcheck shell=bash
#
# A lab lives under one folder DIR. DIR/lab.env (written by lab-up.sh) holds its variables;
# DIR/lab.state lists, one per line and in the order they were made, everything lab-up.sh created
# outside DIR's files, so lab-down.sh can undo exactly that:
#   netns NAME                   a network namespace (the veths and the bridge live inside them)
#   pid PID EXE NAME             a process lab-up.sh started (stopped only while /proc/PID/exe is EXE)
#   pidfile PATH EXE             a service's pidfile (the stand-ins the agents start and stop)
#   pg DIR                       a private PostgreSQL cluster (tests/lib/pg_harness.sh)
#   mount PATH                   the backups tmpfs (ALFUP_LAB_BACKUP_MB, root only)
#
# Two modes: "netns" (root, and ip netns works): the controller and the hosts repo1, db1 and solr1
# are network namespaces joined by veth pairs to a bridge inside a fifth namespace; addresses are in
# 192.0.2.0/24 (TEST-NET-1), which exists only inside these namespaces. "loopback" (not root, or
# ALFUP_LAB_LOOPBACK=1): every process on 127.0.0.1, each service on its own free port.

LAB_HOSTS=(ctl repo1 db1 solr1)
LAB_NET=192.0.2
declare -A LAB_HOST_OCTET=([ctl]=1 [repo1]=11 [db1]=12 [solr1]=13)

lab_die() { echo "lab: $*" >&2; exit 1; }
lab_say() { echo "lab: $*" >&2; }

# lab_load DIR -- reads DIR/lab.env; returns 1 when DIR holds no lab.
lab_load() {
    local dir=$1
    [ -f "$dir/lab.env" ] || return 1
    # shellcheck disable=SC1091
    source "$dir/lab.env"
}

# lab_ns HOST -- the namespace name of HOST (or "br" for the bridge) in the loaded lab.
lab_ns() { echo "alfup-${LAB_ID}-$1"; }

# lab_id DIR -- a short id derived from the lab folder, so two labs never share a namespace name.
lab_id() { printf '%s' "$1" | sha1sum | cut -c1-8; }

# lab_addr HOST -- the address HOST listens on (and the others reach it at).
lab_addr() {
    if [ "$LAB_MODE" = netns ]; then echo "$LAB_NET.${LAB_HOST_OCTET[$1]}"; else echo 127.0.0.1; fi
}

# lab_exec HOST CMD... -- runs CMD on HOST (inside its namespace in netns mode).
lab_exec() {
    local host=$1
    shift
    if [ "$LAB_MODE" = netns ]; then
        ip netns exec "$(lab_ns "$host")" "$@"
    else
        "$@"
    fi
}

lab_state_add() { echo "$*" >> "$LAB_DIR/lab.state"; }

# lab_spawn HOST NAME CMD... -- starts CMD on HOST in its own session, output to DIR/logs/NAME.log;
# records its pid and sets LAB_SPAWNED_PID.
lab_spawn() {
    local host=$1 name=$2
    shift 2
    local exe
    exe=$(readlink -f "$1")
    if [ "$LAB_MODE" = netns ]; then
        setsid ip netns exec "$(lab_ns "$host")" "$@" >>"$LAB_DIR/logs/$name.log" 2>&1 </dev/null &
    else
        setsid "$@" >>"$LAB_DIR/logs/$name.log" 2>&1 </dev/null &
    fi
    LAB_SPAWNED_PID=$!
    lab_state_add "pid $LAB_SPAWNED_PID $exe $name"
    local i   # setsid and ip netns exec exec the program: wait until the pid runs it (10 s)
    for i in $(seq 500); do
        [ "$(readlink "/proc/$LAB_SPAWNED_PID/exe" 2>/dev/null)" = "$exe" ] && return 0
        kill -0 "$LAB_SPAWNED_PID" 2>/dev/null || return 0
        sleep 0.02
    done
}

# lab_pid_is PID EXE -- 0 when PID is alive (not a zombie) and runs EXE.
lab_pid_is() {
    [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$2" ]
}

# lab_stop_pid PID EXE [GRACE_S] -- SIGTERM, wait, then SIGKILL; only while PID still runs EXE.
lab_stop_pid() {
    local pid=$1 exe=$2 grace=${3:-10} i
    lab_pid_is "$pid" "$exe" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq $((grace * 10))); do
        lab_pid_is "$pid" "$exe" || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 20); do lab_pid_is "$pid" "$exe" || return 0; sleep 0.1; done
}

# lab_ctl ARGS... -- alfup-controller with the lab's controller config.
lab_ctl() { "$LAB_BIN/alfup-controller" --config "$LAB_DIR/ctl/controller.yaml" "$@"; }

# lab_start_controller -- (re)starts the controller in its namespace; waits for its admin socket to answer.
lab_start_controller() {
    lab_spawn ctl controller "$LAB_BIN/alfup-controller" serve --config "$LAB_DIR/ctl/controller.yaml"
    LAB_CONTROLLER_PID=$LAB_SPAWNED_PID
    echo "$LAB_CONTROLLER_PID" > "$LAB_DIR/ctl/controller.pid"
    local deadline=$((SECONDS + 30))
    while [ "$SECONDS" -lt "$deadline" ]; do
        lab_ctl agents >/dev/null 2>&1 && return 0
        kill -0 "$LAB_CONTROLLER_PID" 2>/dev/null || break
        sleep 0.1
    done
    lab_say "the controller did not answer on its admin socket within 30 s (or exited); its log:"
    tail -n 20 "$LAB_DIR/logs/controller.log" >&2
    return 1
}

# lab_controller_pid -- the pid of the controller lab_start_controller started last.
lab_controller_pid() { cat "$LAB_DIR/ctl/controller.pid"; }

lab_start_agent() {
    lab_spawn "$1" "agent-$1" "$LAB_BIN/alfup-agent" --config "$LAB_DIR/hosts/$1/agent.yaml"
}

# lab_wait_online [SECONDS] -- waits until repo1, db1 and solr1 are online with their roles.
lab_wait_online() {
    local limit=${1:-30} i json
    for i in $(seq $((limit * 5))); do
        json=$(lab_ctl agents --json 2>/dev/null) || json=""
        if [ -n "$json" ] && python3 - "$json" <<'PY'
import json, sys
agents = {a["name"]: a for a in json.loads(sys.argv[1]) if a.get("online")}
want = {"repo1": "repo", "db1": "db", "solr1": "solr"}
sys.exit(0 if all(n in agents and r in agents[n]["roles"] for n, r in want.items()) else 1)
PY
        then
            return 0
        fi
        sleep 0.2
    done
    lab_say "agents not online with their roles after ${limit}s:"
    lab_ctl agents >&2 || true
    return 1
}

# lab_http_code HOST URL -- the HTTP status of GET URL as seen from HOST ("000" when nothing answers).
lab_http_code() {
    lab_exec "$1" python3 -c '
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")' "$2" 2>/dev/null || echo 000
}

# lab_repo_ready_url / lab_solr_ready_url -- the readiness probes (old and new share the port, as in production).
lab_repo_ready_url() {
    echo "http://$(lab_addr repo1):${1:-$LAB_REPO_PORT}/alfresco/api/-default-/public/alfresco/versions/1/probes/-ready-"
}
# lab_console_url -- the console's address (the controller's API; in netns mode inside the lab's network).
lab_console_url() { echo "https://$(lab_addr ctl):$LAB_API_PORT/"; }
lab_solr_ready_url() { echo "http://127.0.0.1:${1:-$LAB_SOLR_PORT}/solr/admin/cores?action=STATUS"; }
# The same probes on the staging ports (the new installation started beside production).
lab_repo_staging_ready_url() { lab_repo_ready_url "$LAB_REPO_STAGING_PORT"; }
lab_solr_staging_ready_url() { lab_solr_ready_url "$LAB_SOLR_STAGING_PORT"; }

# lab_psql DB SQL -- runs SQL as the superuser over the cluster's unix socket; unaligned, tuples only.
lab_psql() {
    "$LAB_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$LAB_PG_DIR/sock" -p "$LAB_PG_PORT" -U "$LAB_PG_USER" -d "$1" -c "$2"
}

# lab_db_counts DB -- "schema.table count" per user table, sorted.
lab_db_counts() {
    local t
    for t in $(lab_psql "$1" "select quote_ident(schemaname)||'.'||quote_ident(relname) from pg_stat_user_tables order by 1"); do
        echo "$t $(lab_psql "$1" "select count(*) from $t")"
    done
}

# lab_db_digest DB -- "schema.table count md5" per user table: md5 of its rows' text in order.
lab_db_digest() {
    local t
    for t in $(lab_psql "$1" "select quote_ident(schemaname)||'.'||quote_ident(relname) from pg_stat_user_tables order by 1"); do
        echo "$t $(lab_psql "$1" "select count(*)||' '||coalesce(md5(string_agg(r::text, E'\\n' order by r::text)), '-') from $t r")"
    done
}

# lab_run_state RUN -- the state of a run ("paused" when it is paused).
lab_run_state() {
    lab_ctl status "$1" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("paused" if s.get("paused") else s["state"])'
}
