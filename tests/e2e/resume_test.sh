#!/bin/bash
# resume_test.sh -- e2e: the controller is killed (SIGKILL) during phase 1, started again, and the run
# comes back paused; `resume` finishes it. Every step ran exactly once: one journal row per step id (the
# controller asked again with the same id instead of sending a new step), one result per step id in each
# agent's state_dir/results, and one "started" line per step id in the agents' logs.
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
e2e_lab_up
journal=$LAB_DIR/ctl/journal.db

RUN=$(lab_ctl run "$LAB_DIR/plan.yaml") || fail "run: $RUN"
RUN=$(echo "$RUN" | head -n1)
for i in $(seq 300); do
    [ "$(sqlite3 "$journal" "select count(*) from steps where step_id like '$RUN.stop-old@%'" 2>/dev/null)" = 1 ] && break
    sleep 0.05
done
pid=$(lab_controller_pid)
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
sent=$(sqlite3 "$journal" "select count(*) from steps where step_id like '$RUN.%'")
[ "$sent" -ge 6 ] || fail "controller killed before phase 1 (only $sent steps sent)"
done_before=$(sqlite3 "$journal" "select count(*) from steps where step_id like '$RUN.%' and state = 'succeeded'")
phase1=$(sqlite3 "$journal" "select count(*) from steps where step_id like '$RUN.install-new-solr@%'")
[ "$phase1" = 0 ] || fail "phase 1 was already over when the controller was killed"
pass "controller killed with SIGKILL during phase 1 ($sent steps sent, $done_before results journaled)"
sleep 2   # the agents go on with what they were given; their results wait for the controller

lab_start_controller || fail "controller restart"
lab_wait_online 30 || fail "agents back online"
[ "$(lab_run_state "$RUN")" = paused ] || fail "run not paused after the restart: $(lab_run_state "$RUN")"
pass "controller restarted; run $RUN is paused, the agents are back"

lab_ctl resume "$RUN" >/dev/null || fail "resume"
set +e; lab_ctl status "$RUN" --wait > "$LAB_DIR/logs/resume.out" 2>&1; RC=$?; set -e
[ "$RC" = 5 ] || { tail -n 60 "$LAB_DIR/logs/resume.out" >&2; fail "after resume status --wait exited $RC (expected 5: at the gate)"; }
[ "$(e2e_json 'sum(1 for p in s["phases"][:-1] for x in p["steps"] if x["state"] != "succeeded")')" = 0 ] ||
    fail "a step before the decommission did not succeed"
out=$(lab_check_new_ready) || fail "$out"
out=$(lab_check_content) || fail "$out"
out=$(lab_check_db_counts) || fail "$out"
pass "resumed run reached the decommission gate; new repository ready, content and row counts match"

# Exactly once: journal rows, agent results and agent start lines per step id.
planned=$(e2e_json 'sum(len([x for x in p["steps"] if x["state"] != "pending"]) for p in s["phases"])')
rows=$(sqlite3 "$journal" "select count(*) from steps where step_id like '$RUN.%'")
ids=$(sqlite3 "$journal" "select count(distinct step_id) from steps where step_id like '$RUN.%'")
attempts=$(sqlite3 "$journal" "select count(*) from steps where step_id like '$RUN.%.a%' or step_id like '$RUN.rb%'")
resent=$(sqlite3 "$journal" "select count(*) from steps where step_id like '$RUN.%' and sends > 1")
[ "$rows" = "$planned" ] && [ "$ids" = "$planned" ] && [ "$attempts" = 0 ] ||
    fail "journal: $rows rows, $ids step ids, $attempts retries for $planned steps"
pass "journal: one row per step id for all $planned steps, no retry attempt ($resent re-sent with the same id after the restart)"
results=0
for host in repo1 db1 solr1; do
    n=$(ls "$LAB_DIR/hosts/$host/state/results" | grep -c "^$RUN\..*\.result\$" || true)
    results=$((results + n))
    dup=$(grep -o "step $RUN\.[^ ]* ([a-z-]*) started" "$LAB_DIR/logs/agent-$host.log" | sort | uniq -d)
    [ -z "$dup" ] || fail "$host started a step twice: $dup"
    started=$(grep -c "step $RUN\.[^ ]* ([a-z-]*) started" "$LAB_DIR/logs/agent-$host.log" || true)
    [ "$started" = "$n" ] || fail "$host: $started steps started, $n results"
done
[ "$results" = "$planned" ] || fail "$results agent results for $planned steps"
pass "agents: one result and one start per step id ($results in all)"
[ "$(grep -c "Stopping service" "$LAB_OLD_HOME/tomcat/logs/catalina.out")" -ge 1 ] || fail "old repository never stopped"
[ "$(grep -c "Applying patch" "$LAB_NEW_HOME/tomcat/logs/catalina.out")" = 1 ] || fail "schema upgraded more than once"
pass "the schema upgrade ran once"
