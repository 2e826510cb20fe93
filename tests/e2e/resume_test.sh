#!/bin/bash
# resume_test.sh -- e2e: the controller is killed (SIGKILL) during phase 1, started again, and the run
# comes back paused; `resume` finishes it. Every step ran exactly once: one journal row per step id (the
# controller asked again with the same id instead of sending a new step), one result per step id in each
# agent's state_dir/results, and one "started" line per step id in the agents' logs.
# (The same in phase 4: controller_killed_phase4_test.sh; the shared checks: faults-run-lib.sh.)
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-run-lib.sh"
e2e_lab_up

RUN=$(lab_ctl run "$LAB_DIR/plan.yaml") || fail "run: $RUN"
RUN=$(echo "$RUN" | head -n1)
stop_old_sent() { [ "$(fr_sql "select count(*) from steps where step_id like '$RUN.stop-old@%'")" = 1 ]; }
for _ in $(seq 1200); do stop_old_sent && break; sleep 0.05; done
stop_old_sent || fail "stop-old not sent within 60 s: $(fr_sql "select group_concat(step_id || ' ' || state, ', ') from steps where step_id like '$RUN.%'")"
fr_kill_controller
sent=$(fr_sql "select count(*) from steps where step_id like '$RUN.%'")
[ "$sent" -ge 6 ] || fail "controller killed before phase 1 (only $sent steps sent)"
done_before=$(fr_sql "select count(*) from steps where step_id like '$RUN.%' and state = 'succeeded'")
phase1=$(fr_sql "select count(*) from steps where step_id like '$RUN.install-new-solr@%'")
[ "$phase1" = 0 ] || fail "phase 1 was already over when the controller was killed"
pass "controller killed with SIGKILL during phase 1 ($sent steps sent, $done_before results journaled)"
# The agents go on with what they were given; their results wait for the controller.
inflight=$(fr_sql "select group_concat(step_id, ' ') from steps where step_id like '$RUN.%' and state not in ('succeeded', 'failed')")
fr_wait_agents_done "$inflight" 120 || fail "the agents did not finish the steps they took while the controller was down"

fr_restart_paused
pass "controller restarted; run $RUN is paused, the agents are back"
fr_resume_to_gate
pass "resumed run reached the decommission gate; new repository ready, content and row counts match"

fr_check_once
pass "journal and agents: one row, one result and one start per step id for all $FR_PLANNED steps, no retry attempt ($FR_RESENT re-sent with the same id after the restart)"
[ "$(grep -c "Stopping service" "$LAB_OLD_HOME/tomcat/logs/catalina.out")" -ge 1 ] || fail "old repository never stopped"
[ "$(grep -c "Schema upgrade from schema" "$LAB_NEW_HOME/tomcat/logs/catalina.out")" = 1 ] || fail "schema upgraded more than once"
pass "the schema upgrade ran once"
