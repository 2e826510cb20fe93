#!/bin/bash
# controller_killed_phase4_test.sh -- e2e: the controller is killed (SIGKILL) in phase 4 while the agents
# restore the backups into the new installation, and started again once the agents have finished the steps
# they were given (their results recorded, waiting for the controller); the run comes back paused and
# `resume` finishes it to the decommission gate (schema upgrade, new repository ready, content and row
# counts kept). Every step ran exactly once: one journal row per step id, one result and one "started" line
# per step id on each agent. Restore steps that finished while the controller was down (their result was
# recorded by the agent between the kill and the restart) are succeeded in the journal with the outputs
# the agent recorded, and were not run again.
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-run-lib.sh"
e2e_lab_up

RUN=$(lab_ctl run "$LAB_DIR/plan.yaml") || fail "run: $RUN"
RUN=$(echo "$RUN" | head -n1)
fr_wait_started repo1 restore-content 90 || fail "restore-content never started"
fr_kill_controller
killed_ms=$(fr_now_ms)
[ "$(fr_sql "select count(*) from steps where step_id like '$RUN.start-restored@%'")" = 0 ] ||
    fail "the restore was over when the controller was killed"
inflight=$(fr_sql "select group_concat(step_id, ' ') from steps where step_id like '$RUN.%' and state not in ('succeeded', 'failed')")
[ -n "$inflight" ] || fail "no step in flight when the controller was killed"
pass "controller killed with SIGKILL in phase 4 (restore), in flight: ${inflight//$RUN./}"
# The agents finish what they were given; their results wait for the controller.
fr_wait_agents_done "$inflight" 120 || fail "the agents did not finish the steps they took while the controller was down"
restart_ms=$(fr_now_ms)
fr_restart_paused
pass "controller restarted; run $RUN is paused, the agents are back"

# Results recorded by the agents while the controller was down.
while_down=()
for id in $inflight; do
    step=${id#"$RUN".} host=${step##*@} step=${step%@*}
    t=$(fr_result_mtime_ms "$host" "$step")
    if [ -n "$t" ] && [ "$t" -gt "$killed_ms" ] && [ "$t" -lt "$restart_ms" ]; then while_down+=("$step@$host"); fi
done
[ "${#while_down[@]}" -ge 1 ] || fail "no step finished while the controller was down (in flight: $inflight)"

fr_resume_to_gate
pass "resumed run reached the decommission gate; new repository ready, content and row counts match"
for sh in "${while_down[@]}"; do
    [ "$(fr_sql "select state from steps where step_id = '$RUN.$sh'")" = succeeded ] || fail "$sh: result lost"
    [ "$(fr_sql "select outputs_json is not null and outputs_json != '' from steps where step_id = '$RUN.$sh'")" = 1 ] ||
        fail "$sh: the journal holds no outputs"
done
[ "$(e2e_json "next(x for p in s['phases'] for x in p['steps'] if x['step'] == 'restore-database')['outputs'].get('database')")" = "$LAB_NEW_DB" ] ||
    fail "restore-database's outputs lost"
pass "results recorded while the controller was down are kept: ${while_down[*]}"

fr_check_once
pass "journal: one row per step id for all $FR_PLANNED steps, no retry ($FR_RESENT asked again with the same id); agents: one result and one start per step id"
[ "$(grep -c "Schema upgrade from schema" "$LAB_NEW_HOME/tomcat/logs/catalina.out")" = 1 ] || fail "schema upgraded more than once"
pass "the schema upgrade ran once"
