# faults-lib.sh -- what the fault e2e tests share (source me after e2e-lib.sh): the pid of a lab daemon,
# shellcheck shell=bash
# bigger content and a bigger database so a backup lasts long enough to be hit, bounded waits, and an
# independent check of a backup archive against its manifest.
source "$E2E_SRC/tests/lab/lab-net.sh"

# The exit code ctest reads as "skipped" (SKIP_RETURN_CODE in tests/cmake/faults-agent.cmake).
FAULTS_SKIP=77

# faults_need_netns -- skips the test unless the lab runs in network namespaces (root).
faults_need_netns() {
    [ "$LAB_MODE" = netns ] && return 0
    echo "skip: this test cuts a veth of the lab: it needs netns mode (root)"
    exit "$FAULTS_SKIP"
}

# faults_agent_pid HOST -- the pid of HOST's agent as lab_spawn recorded it last (lab.state), if it still runs.
faults_agent_pid() {
    local pid exe
    read -r pid exe < <(awk -v n="agent-$1" '$1 == "pid" && $4 == n {p = $2; e = $3} END {print p, e}' "$LAB_DIR/lab.state")
    [ -n "$pid" ] && lab_pid_is "$pid" "$exe" && echo "$pid"
}

# faults_kill_agent HOST -- SIGKILL to HOST's agent; returns once it is gone (5 s), 1 if it was not running.
faults_kill_agent() {
    local pid i
    pid=$(faults_agent_pid "$1") || return 1
    kill -KILL "$pid"
    for i in $(seq 50); do
        lab_pid_is "$pid" "$LAB_BIN/alfup-agent" || return 0
        sleep 0.1
    done
    return 1
}

# faults_agent_online HOST -- 0 when the controller lists HOST online.
faults_agent_online() {
    lab_ctl agents --json 2>/dev/null | python3 -c '
import json, sys
sys.exit(0 if any(a["name"] == sys.argv[1] and a.get("online") for a in json.load(sys.stdin)) else 1)' "$1"
}

# faults_wait_online HOST SECONDS [offline] -- waits until the controller lists HOST online (or offline).
faults_wait_online() {
    local i want=${3:-online}
    for i in $(seq $(($2 * 5))); do
        if faults_agent_online "$1"; then [ "$want" = online ] && return 0; else [ "$want" = offline ] && return 0; fi
        sleep 0.2
    done
    return 1
}

# faults_big_content MIB -- one incompressible file of MIB MiB more in the old contentstore (no database
# row names it: the repositories ignore it, the backup, restore and lab_check_content do not).
faults_big_content() {
    local d="$LAB_OLD_DIR_ROOT/contentstore/2024/12/31/23/59"
    mkdir -p "$d"
    head -c "$(($1 * 1024 * 1024))" /dev/urandom > "$d/faults-big-content.bin"
}

# faults_big_database ROWS -- a table lab_fill of ROWS rows of 128 hex characters (about 200 bytes a row
# on disk, little to compress) in the old database, so pg_dump of it lasts a few seconds.
faults_big_database() {
    lab_psql "$LAB_OLD_DB" "create table lab_fill (id bigint primary key, body text not null);
        alter table lab_fill owner to $LAB_DB_USER;
        insert into lab_fill select g, md5(random()::text) || md5(random()::text) || md5(random()::text)
            || md5(random()::text) from generate_series(1, $1) g;
        analyze lab_fill" >/dev/null
}

# faults_wait_path GLOB SECONDS [MIN_BYTES] -- waits until a file or folder matching GLOB exists (and, for a
# file, holds at least MIN_BYTES); prints its path.
faults_wait_path() {
    local i p size
    for i in $(seq $(($2 * 50))); do
        for p in $1; do
            [ -e "$p" ] || continue
            size=$(stat -c %s "$p" 2>/dev/null || echo 0)
            if [ -d "$p" ] || [ "$size" -ge "${3:-0}" ]; then echo "$p"; return 0; fi
        done
        sleep 0.02
    done
    return 1
}

# faults_status_wait SECONDS OUT -- status --wait on RUN bounded by SECONDS (a run that hangs is killed
# and RC is 124); sets RC, the output goes to OUT.
faults_status_wait() {
    set +e
    timeout "$1" "$LAB_BIN/alfup-controller" --config "$LAB_DIR/ctl/controller.yaml" status "$RUN" --wait > "$2" 2>&1
    RC=$?
    set -e
}

# faults_verify_archive ARCHIVE -- checks a backup archive without alfup's code: its sha-256 is the one in
# ARCHIVE.sha256; zstd -d | tar gives every file of ARCHIVE.manifest with its size and sha-256, nothing more.
# Prints "N files, SHA" on success.
faults_verify_archive() {
    python3 - "$1" <<'PY'
import hashlib, subprocess, sys, tarfile
archive = sys.argv[1]
h = hashlib.sha256()
with open(archive, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
        h.update(block)
recorded = open(archive + ".sha256").read().split()[0]
if h.hexdigest() != recorded:
    sys.exit("%s: sha-256 %s, %s.sha256 says %s" % (archive, h.hexdigest(), archive, recorded))
want = {}
for line in open(archive + ".manifest"):
    parts = line.rstrip("\n").split(" ", 4)
    if parts[0] == "f":
        want[parts[4]] = (int(parts[1]), parts[2])
got = {}
zstd = subprocess.Popen(["zstd", "-dcq", archive], stdout=subprocess.PIPE)
with tarfile.open(fileobj=zstd.stdout, mode="r|") as tar:
    for member in tar:
        if member.isfile() and not member.name.startswith(".alfup"):
            got[member.name] = (member.size, hashlib.sha256(tar.extractfile(member).read()).hexdigest())
if zstd.wait() != 0:
    sys.exit("%s: zstd -d failed" % archive)
if got != want:
    bad = sorted(set(got.items()) ^ set(want.items()))[:5]
    sys.exit("%s: %d files in the archive, %d in the manifest; differing: %s" % (archive, len(got), len(want), bad))
print("%d files, sha-256 %s" % (len(got), recorded))
PY
}
