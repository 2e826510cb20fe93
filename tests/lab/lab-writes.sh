# lab-writes.sh -- production keeps serving and writing while an upgrade prepares (issue 11): the lab's
# shellcheck shell=bash
# writer adds content files and their rows to the OLD repository and lets the orphan cleaner move a few
# files to contentstore.deleted, in the background, bounded, recorded (source me after lab-lib.sh and
# lab_load; the actions themselves: lab_tools.py writer).
#
#   lab_writer_start [--add N] [--orphan M] [--interval-ms T] [--duration-s D] [--seed S]
#   ... the run under test ...
#   lab_writer_wait [SECONDS]     (or lab_writer_stop: SIGTERM, the action in progress completes)
#   lab_writer_count add|orphan   what it did, from its record DIR/writer.jsonl
#
# Files are added half into existing date folders of the old contentstore (a write under an old date
# folder, which a delta must still find), half into the current-date folder yyyy/M/d/H/m. Every file is
# written before its row is committed; an orphan's row is deleted before its file moves.

LAB_WRITER_RECORD_NAME=writer.jsonl

# lab_writer_start [OPTIONS] -- starts the writer on repo1 (its own session; lab-down.sh stops it);
# sets LAB_WRITER_PID. The record DIR/writer.jsonl starts empty.
lab_writer_start() {
    local add=200 orphan=50 interval=50 duration=600 seed=${ALFUP_LAB_SEED:-7411}
    while [ $# -gt 0 ]; do
        case $1 in
            --add) add=$2 ;;
            --orphan) orphan=$2 ;;
            --interval-ms) interval=$2 ;;
            --duration-s) duration=$2 ;;
            --seed) seed=$2 ;;
            *) lab_say "lab_writer_start: unknown option $1"; return 2 ;;
        esac
        shift 2
    done
    : > "$LAB_DIR/$LAB_WRITER_RECORD_NAME"
    # The interpreter itself (python3 may be a wrapper script, e.g. a pyenv shim): lab-down.sh and
    # lab_pid_is match /proc/PID/exe against it.
    LAB_WRITER_EXE=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
    lab_spawn repo1 writer "$LAB_WRITER_EXE" "$LAB_SRC/tests/lab/lab_tools.py" writer "$LAB_OLD_DIR_ROOT" \
        "$LAB_DIR/$LAB_WRITER_RECORD_NAME" --add "$add" --orphan "$orphan" --interval-ms "$interval" \
        --duration-s "$duration" --seed "$seed" -- \
        "$LAB_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$LAB_PG_DIR/sock" -p "$LAB_PG_PORT" \
        -U "$LAB_PG_USER" -d "$LAB_OLD_DB"
    LAB_WRITER_PID=$LAB_SPAWNED_PID
}

# lab_writer_done -- 0 once the record ends with its "done" line.
lab_writer_done() {
    tail -n 1 "$LAB_DIR/$LAB_WRITER_RECORD_NAME" 2>/dev/null | grep -q '"op": "done"'
}

# lab_writer_wait [SECONDS] -- until the writer has finished (default 120 s); 1 when it did not, or
# exited without its "done" line (see DIR/logs/writer.log).
lab_writer_wait() {
    local limit=${1:-120} i
    for i in $(seq $((limit * 10))); do
        if lab_writer_done; then
            lab_writer_reap
            return 0
        fi
        lab_pid_is "$LAB_WRITER_PID" "$LAB_WRITER_EXE" || break
        sleep 0.1
    done
    lab_writer_done && { lab_writer_reap; return 0; }
    lab_say "the writer did not finish (record: $(tail -n 1 "$LAB_DIR/$LAB_WRITER_RECORD_NAME" 2>/dev/null));" \
        "its log: $(tail -n 5 "$LAB_DIR/logs/writer.log" 2>/dev/null)"
    return 1
}

# lab_writer_reap -- waits (5 s) for the process to be gone once it wrote its last line.
lab_writer_reap() {
    local _
    for _ in $(seq 50); do
        lab_pid_is "$LAB_WRITER_PID" "$LAB_WRITER_EXE" || return 0
        sleep 0.1
    done
    return 1
}

# lab_writer_stop [SECONDS] -- SIGTERM; the action in progress completes, then the "done" line.
lab_writer_stop() {
    lab_pid_is "$LAB_WRITER_PID" "$LAB_WRITER_EXE" && kill -TERM "$LAB_WRITER_PID" 2>/dev/null
    lab_writer_wait "${1:-30}"
}

# lab_writer_count add|orphan -- how many actions of that kind the record holds.
lab_writer_count() {
    grep -c "\"op\": \"$1\"" "$LAB_DIR/$LAB_WRITER_RECORD_NAME" || true
}

# lab_writer_field FIELD -- a field of the "done" line (added, moved, reason).
lab_writer_field() {
    tail -n 1 "$LAB_DIR/$LAB_WRITER_RECORD_NAME" | python3 -c "import json, sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"
}

# lab_check_content_rows [DIR_ROOT] -- every live alf_content_url row of the OLD database has its file in
# DIR_ROOT/contentstore (default the old dir.root) with its size, and every file there has a row.
lab_check_content_rows() {
    local out
    if out=$(lab_psql "$LAB_OLD_DB" "copy (select content_url, content_size, coalesce(orphan_time::text, '')
            from alf_content_url order by id) to stdout" |
        python3 "$LAB_SRC/tests/lab/lab_tools.py" content-rows "${1:-$LAB_OLD_DIR_ROOT}" 2>&1); then
        echo "content rows and files: ${out%%$'\n'*}"
        return 0
    fi
    echo "content rows and files: MISMATCH: $out"
    return 1
}
