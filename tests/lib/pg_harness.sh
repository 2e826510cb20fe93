# pg_harness.sh -- start and stop a private, throw-away PostgreSQL cluster for tests (source me).
#
# Usage (bash):
#   source tests/lib/pg_harness.sh
#   dir=$(mktemp -d)
#   trap 'pg_harness_stop "$dir"; rm -rf "$dir"' EXIT
#   pg_harness_start "$dir" || exit 1
#   pg_harness_psql "create role alfresco login"
#
# pg_harness_start DIR
#   initdb a new cluster in DIR/data (newest /usr/lib/postgresql/*/bin, or
#   PG_HARNESS_BIN when already set), trust authentication, listening only on
#   127.0.0.1 and on a unix socket in DIR/sock, on a free private port (never
#   5432). When run as root, DIR is chowned to the `postgres` user and the
#   server runs as that user (runuser); otherwise as the current user. Waits
#   until the server answers pg_isready. Exports PGHOST (the socket dir),
#   PGPORT, PGUSER, PGDATABASE=postgres, PG_HARNESS_BIN, PG_HARNESS_SUPERUSER,
#   PG_HARNESS_DIR. Returns non-zero (printing the server log) on failure.
#   DIR should be short (a unix socket path is limited to ~107 bytes) and
#   reachable by the postgres user (mktemp -d under /tmp is).
# pg_harness_stop [DIR]
#   Fast shutdown of the cluster in DIR (default PG_HARNESS_DIR); returns 0 when
#   nothing runs there. The caller may rm -rf DIR afterwards.
# pg_harness_psql SQL...
#   Runs each SQL string with psql as the superuser against database
#   ${PG_HARNESS_DB:-postgres}; stops at the first error (non-zero return).
#
# The functions never exit the calling shell, never set traps, work with or
# without `set -eu`, and never touch the system cluster (they always pass -D
# with the private data directory and never use port 5432).

PG_HARNESS_PORT_MIN=20000
PG_HARNESS_PORT_SPAN=40000
PG_HARNESS_PORT_TRIES=20
PG_HARNESS_START_TIMEOUT_S=60
PG_HARNESS_SOCKET_PATH_MAX=100

# Newest PostgreSQL bin dir under /usr/lib/postgresql, or PG_HARNESS_BIN if set.
_pg_harness_find_bin() {
    if [ -n "${PG_HARNESS_BIN:-}" ] && [ -x "${PG_HARNESS_BIN}/initdb" ]; then
        printf '%s\n' "$PG_HARNESS_BIN"
        return 0
    fi
    local best="" d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && best=$d
    done
    if [ -z "$best" ]; then
        echo "pg_harness: no PostgreSQL found under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
        return 1
    fi
    printf '%s\n' "$best"
}

# Runs a command as the cluster owner (postgres when we are root), from DIR.
_pg_harness_as_owner() {
    local dir=$1
    shift
    if [ "$(id -u)" = 0 ]; then
        (cd "$dir" && runuser -u postgres -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

# 0 when something already listens on TCP port $1 (IPv4 or IPv6).
_pg_harness_port_busy() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        ss -Htln 2>/dev/null | awk '{print $4}' | grep -Eq "[:.]${port}\$"
        return $?
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null
}

_pg_harness_pick_port() {
    local i port
    for i in $(seq 1 "$PG_HARNESS_PORT_TRIES"); do
        port=$((PG_HARNESS_PORT_MIN + (RANDOM * 32768 + RANDOM) % PG_HARNESS_PORT_SPAN))
        [ "$port" = 5432 ] && continue
        _pg_harness_port_busy "$port" || { printf '%s\n' "$port"; return 0; }
    done
    echo "pg_harness: no free port found" >&2
    return 1
}

# Writes the private settings for port $2 into DIR/data/postgresql.auto.conf.
_pg_harness_configure() {
    local dir=$1 port=$2
    # ALTER SYSTEM's file: later settings win over postgresql.conf.
    cat >"$dir/data/postgresql.auto.conf" <<EOF
# written by tests/lib/pg_harness.sh -- a private test cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/sock'
max_connections = 60
shared_buffers = '32MB'
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_min_messages = warning
EOF
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir/data/postgresql.auto.conf" || return 1
    fi
}

_pg_harness_print_log() {
    local dir=$1
    echo "pg_harness: server log ($dir/server.log):" >&2
    sed 's/^/  | /' "$dir/server.log" >&2 2>/dev/null || true
}

# Starts the server on a free port; tries another port if the chosen one is taken.
_pg_harness_launch() {
    local dir=$1 bin=$2 attempt port
    for attempt in 1 2 3 4 5; do
        port=$(_pg_harness_pick_port) || return 1
        _pg_harness_configure "$dir" "$port" || return 1
        : >"$dir/server.log"
        [ "$(id -u)" = 0 ] && chown postgres: "$dir/server.log"
        if _pg_harness_as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
            -w -t "$PG_HARNESS_START_TIMEOUT_S" start >"$dir/pg_ctl.out" 2>&1; then
            printf '%s\n' "$port"
            return 0
        fi
        if ! grep -qi 'could not bind\|address already in use\|could not create any TCP' "$dir/server.log"; then
            cat "$dir/pg_ctl.out" >&2
            return 1
        fi
        echo "pg_harness: port $port taken, trying another (attempt $attempt)" >&2
    done
    return 1
}

pg_harness_start() {
    local dir=${1:-}
    if [ -z "$dir" ] || [ ! -d "$dir" ]; then
        echo "pg_harness_start: DIR must be an existing directory (got '${dir}')" >&2
        return 1
    fi
    dir=$(cd "$dir" && pwd -P) || return 1
    case $dir in
        *\'* | *\\* | *" "*) echo "pg_harness_start: DIR must not contain quotes, backslashes or spaces: $dir" >&2; return 1 ;;
    esac
    if [ ${#dir} -gt "$PG_HARNESS_SOCKET_PATH_MAX" ]; then
        echo "pg_harness_start: DIR is too long for a unix socket path: $dir" >&2
        return 1
    fi
    if [ -e "$dir/data" ]; then
        echo "pg_harness_start: $dir/data already exists; use a fresh directory" >&2
        return 1
    fi
    local bin superuser
    bin=$(_pg_harness_find_bin) || return 1
    mkdir -p "$dir/data" "$dir/sock" || return 1
    chmod 0700 "$dir/data" || return 1
    if [ "$(id -u)" = 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            echo "pg_harness_start: running as root but there is no 'postgres' user" >&2
            return 1
        fi
        chown -R postgres: "$dir" || return 1
        if ! runuser -u postgres -- test -w "$dir/data"; then
            echo "pg_harness_start: the postgres user cannot reach $dir (a parent directory is closed); use mktemp -d under /tmp" >&2
            return 1
        fi
        superuser=postgres
    else
        superuser=$(id -un)
    fi
    if ! _pg_harness_as_owner "$dir" "$bin/initdb" -D "$dir/data" -U "$superuser" -A trust \
        --no-locale -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
        echo "pg_harness_start: initdb failed:" >&2
        sed 's/^/  | /' "$dir/initdb.log" >&2
        return 1
    fi
    local port
    if ! port=$(_pg_harness_launch "$dir" "$bin"); then
        echo "pg_harness_start: the server did not start" >&2
        _pg_harness_print_log "$dir"
        return 1
    fi
    local i
    for i in $(seq 1 "$PG_HARNESS_START_TIMEOUT_S"); do
        "$bin/pg_isready" -q -h "$dir/sock" -p "$port" -U "$superuser" -d postgres && break
        sleep 1
    done
    if ! "$bin/pg_isready" -q -h "$dir/sock" -p "$port" -U "$superuser" -d postgres; then
        echo "pg_harness_start: the server on port $port is not ready after ${PG_HARNESS_START_TIMEOUT_S}s" >&2
        _pg_harness_print_log "$dir"
        pg_harness_stop "$dir"
        return 1
    fi
    export PGHOST="$dir/sock" PGPORT="$port" PGUSER="$superuser" PGDATABASE=postgres
    export PG_HARNESS_BIN="$bin" PG_HARNESS_SUPERUSER="$superuser" PG_HARNESS_DIR="$dir"
    return 0
}

pg_harness_stop() {
    local dir=${1:-${PG_HARNESS_DIR:-}}
    [ -n "$dir" ] || return 0
    [ -f "$dir/data/postmaster.pid" ] || return 0
    local bin
    bin=$(_pg_harness_find_bin) || return 1
    if _pg_harness_as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1; then
        return 0
    fi
    echo "pg_harness_stop: fast shutdown failed; trying immediate" >&2
    _pg_harness_as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1
}

pg_harness_psql() {
    if [ -z "${PG_HARNESS_BIN:-}" ] || [ -z "${PGPORT:-}" ]; then
        echo "pg_harness_psql: no cluster started (call pg_harness_start first)" >&2
        return 1
    fi
    local sql
    for sql in "$@"; do
        "$PG_HARNESS_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" \
            -U "$PG_HARNESS_SUPERUSER" -d "${PG_HARNESS_DB:-postgres}" -c "$sql" || return 1
    done
}
