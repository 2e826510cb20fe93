# faults-run-lib.sh -- what the run-level fault tests share (source me after e2e-lib.sh and e2e_lab_up):
# shellcheck shell=bash
# waiting for a step to start or be journaled, the controller's kill and restart, stopping and starting
# the lab's PostgreSQL as its owner, the "every step ran once" checks, and the stand-ins still running.

# fr_sql SQL -- runs SQL on the controller's journal (sqlite3).
fr_sql() { sqlite3 "$LAB_DIR/ctl/journal.db" "$1" 2>/dev/null; }

# fr_now_ms -- the wall clock in milliseconds (what the journal and file mtimes are compared with).
fr_now_ms() { date +%s%3N; }

# fr_wait_started HOST STEP [SECONDS] -- until HOST's agent logs that it started RUN.STEP@HOST (polls
# every 20 ms, 60 s by default); 1 when it did not.
fr_wait_started() {
    local host=$1 step=$2 limit=${3:-60} _
    for _ in $(seq $((limit * 50))); do
        grep -q "step $RUN\.$step@$host ([a-z-]*) started" "$LAB_DIR/logs/agent-$host.log" 2>/dev/null && return 0
        sleep 0.02
    done
    return 1
}

# fr_wait_journal STEP STATE [SECONDS] -- until the journal holds RUN.STEP@* in STATE (20 ms polls).
fr_wait_journal() {
    local step=$1 state=$2 limit=${3:-60} _
    for _ in $(seq $((limit * 50))); do
        [ "$(fr_sql "select count(*) from steps where step_id like '$RUN.$step@%' and state = '$state'")" -ge 1 ] &&
            return 0
        sleep 0.02
    done
    return 1
}

# fr_kill_controller -- SIGKILL to the controller lab_start_controller started last; waits until it is gone.
fr_kill_controller() {
    local pid
    pid=$(lab_controller_pid)
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    while lab_pid_is "$pid" "$LAB_BIN/alfup-controller"; do sleep 0.02; done
}

# fr_restart_paused -- starts the controller again; fails the test unless the agents come back and RUN
# is paused.
fr_restart_paused() {
    lab_start_controller || fail "controller restart"
    lab_wait_online 30 || fail "agents back online"
    [ "$(lab_run_state "$RUN")" = paused ] || fail "run not paused after the restart: $(lab_run_state "$RUN")"
}

# fr_resume_to_gate -- resume RUN; fails unless it reaches the decommission gate (status --wait exit 5)
# with every step before it succeeded, the new repository ready and the content and row counts kept.
fr_resume_to_gate() {
    local out rc
    lab_ctl resume "$RUN" >/dev/null || fail "resume"
    set +e; lab_ctl status "$RUN" --wait > "$LAB_DIR/logs/resume.out" 2>&1; rc=$?; set -e
    [ "$rc" = 5 ] || { tail -n 60 "$LAB_DIR/logs/resume.out" >&2; fail "after resume status --wait exited $rc (expected 5: at the gate)"; }
    [ "$(e2e_json 'sum(1 for p in s["phases"][:-1] for x in p["steps"] if x["state"] != "succeeded")')" = 0 ] ||
        fail "a step before the decommission did not succeed"
    out=$(lab_check_new_ready) || fail "$out"
    out=$(lab_check_content) || fail "$out"
    out=$(lab_check_db_counts) || fail "$out"
}

# fr_check_once -- every step of RUN ran exactly once: one journal row per step id and no retry attempt;
# on each agent one result file and one "started" log line per step id, none started twice. Sets
# FR_PLANNED (the steps sent) and FR_RESENT (journal rows sent more than once: asked again, same id),
# for the caller's messages.
fr_check_once() {
    local rows ids attempts results=0 host n dup started
    FR_PLANNED=$(e2e_json 'sum(len([x for x in p["steps"] if x["state"] != "pending"]) for p in s["phases"])')
    rows=$(fr_sql "select count(*) from steps where step_id like '$RUN.%'")
    ids=$(fr_sql "select count(distinct step_id) from steps where step_id like '$RUN.%'")
    attempts=$(fr_sql "select count(*) from steps where step_id like '$RUN.%.a%' or step_id like '$RUN.rb%'")
    # shellcheck disable=SC2034  # read by the caller
    FR_RESENT=$(fr_sql "select count(*) from steps where step_id like '$RUN.%' and sends > 1")
    [ "$rows" = "$FR_PLANNED" ] && [ "$ids" = "$FR_PLANNED" ] && [ "$attempts" = 0 ] ||
        fail "journal: $rows rows, $ids step ids, $attempts retries for $FR_PLANNED steps"
    for host in repo1 db1 solr1; do
        n=$(find "$LAB_DIR/hosts/$host/state/results" -maxdepth 1 -name "$RUN.*.result" | wc -l)
        results=$((results + n))
        dup=$(grep -o "step $RUN\.[^ ]* ([a-z-]*) started" "$LAB_DIR/logs/agent-$host.log" | sort | uniq -d)
        [ -z "$dup" ] || fail "$host started a step twice: $dup"
        started=$(grep -c "step $RUN\.[^ ]* ([a-z-]*) started" "$LAB_DIR/logs/agent-$host.log" || true)
        [ "$started" = "$n" ] || fail "$host: $started steps started, $n results"
    done
    [ "$results" = "$FR_PLANNED" ] || fail "$results agent results for $FR_PLANNED steps"
}

# fr_result_mtime_ms HOST STEP -- when HOST's agent recorded its result of RUN.STEP@HOST (ms; prints
# nothing, and returns 0, when it has recorded none: a step still running has no result file yet).
fr_result_mtime_ms() {
    local f=$LAB_DIR/hosts/$1/state/results/$RUN.$2@$1.result
    [ -f "$f" ] || return 0
    echo $(( $(stat -c %.3Y "$f" | tr -d .) ))
}

# fr_running IDS -- of the step ids IDS (RUN.STEP@HOST), those their agent took (its state_dir/results
# holds ID.started) and has not finished (no ID.result yet); one per line.
fr_running() {
    local id host
    for id in $1; do
        host=${id##*@}
        [ -e "$LAB_DIR/hosts/$host/state/results/$id.started" ] || continue
        [ -e "$LAB_DIR/hosts/$host/state/results/$id.result" ] || echo "$id"
    done
}

# fr_wait_agents_done IDS SECONDS -- until the agents have finished every step of IDS they took (see
# fr_running; a step sent but never received is not waited for). Polls every 100 ms; 1, naming the
# steps still running, when it gives up after SECONDS.
fr_wait_agents_done() {
    local ids=$1 limit=$2 _ running
    for _ in $(seq $((limit * 10))); do
        running=$(fr_running "$ids")
        [ -z "$running" ] && return 0
        sleep 0.1
    done
    echo "steps still running after ${limit} s: $(echo $running)" >&2
    return 1
}

# fr_pg_ctl ARGS... -- the lab cluster's pg_ctl on db1, run as the cluster's owner (postgres when root).
fr_pg_ctl() {
    if [ "$(id -u)" = 0 ]; then
        (cd "$LAB_PG_DIR" && lab_exec db1 runuser -u postgres -- "$LAB_PG_BIN/pg_ctl" -D "$LAB_PG_DIR/data" "$@")
    else
        (cd "$LAB_PG_DIR" && lab_exec db1 "$LAB_PG_BIN/pg_ctl" -D "$LAB_PG_DIR/data" "$@")
    fi
}

# fr_pg_stop -- fast shutdown (sessions are terminated), waits until it is down.
fr_pg_stop() { fr_pg_ctl -m fast -w -t 30 stop >/dev/null; }

# fr_pg_start -- starts the cluster again (same port and sockets), waits until it accepts connections.
fr_pg_start() { fr_pg_ctl -l "$LAB_PG_DIR/server.log" -w -t 60 start >/dev/null; }

# fr_pids EXE ARG -- pids of live processes running EXE with ARG as one of their arguments (pgrep finds
# the candidates: one process, fast enough to poll for a short-lived one).
fr_pids() {
    local exe=$1 arg=$2 p
    for p in $(pgrep -f -- "$arg"); do
        [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$exe" ] || continue
        tr '\0' '\n' < "/proc/$p/cmdline" 2>/dev/null | grep_all -xF -- "$arg" && echo "$p"
    done
    return 0
}
