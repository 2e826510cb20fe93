#!/bin/bash
# hung_start_test.sh -- e2e: the new repository's start hangs (stand-in fault hang: it logs that it starts
# its Repository subsystem, then neither logs its startup line nor answers its probe). With an 8 s start
# timeout the start-validate step fails when the timeout fires, not before and not much later; the failed
# step's log in status --json is the tail of the repository's own log; the run ends rolled-back (exit 4)
# with the old repository and Solr answering their probes, the old files and database unchanged, and no
# hung stand-in left running.
export ALFUP_LAB_FAULT=hang ALFUP_LAB_START_TIMEOUT_S=8
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-run-lib.sh"
e2e_lab_up
lab_snapshot_old "$LAB_DIR/snapshot"

RUN=$(lab_ctl run "$LAB_DIR/plan.yaml") || fail "run: $RUN"
RUN=$(echo "$RUN" | head -n1)
fr_wait_started repo1 start-validate 90 || fail "start-validate never started"
for _ in $(seq 200); do   # the daemon's pidfile (the start command itself exits once it is up)
    hung=$(head -c 32 "$LAB_NEW_HOME/tomcat/temp/catalina.pid" 2>/dev/null | tr -dc 0-9 || true)
    [ -n "$hung" ] && lab_pid_is "$hung" "$LAB_BIN/alfresco-standin" && break
    hung=""
    sleep 0.05
done
[ -n "$hung" ] || fail "no new repository process seen while start-validate runs"
# The hang fault strikes after the stand-in logs that it starts its Repository subsystem: from then on
# it serves nothing and waits for its stop.
for _ in $(seq 600); do
    grep -q "Starting 'Repository' subsystem" "$LAB_NEW_HOME/tomcat/logs/catalina.out" 2>/dev/null && break
    lab_pid_is "$hung" "$LAB_BIN/alfresco-standin" || break
    sleep 0.05
done
grep -q "Starting 'Repository' subsystem" "$LAB_NEW_HOME/tomcat/logs/catalina.out" ||
    fail "the new repository (pid $hung) did not reach its hang point (no subsystem line in 30 s)"
lab_pid_is "$hung" "$LAB_BIN/alfresco-standin" || fail "the new repository (pid $hung) exited instead of hanging"
pass "the new repository (pid $hung) hangs in its start"
set +e; lab_ctl status "$RUN" --wait > "$LAB_DIR/logs/run.out" 2>&1; RC=$?; set -e
[ "$RC" = 4 ] || { tail -n 60 "$LAB_DIR/logs/run.out" >&2; fail "status --wait exited $RC, expected 4 (rolled back)"; }
[ "$(e2e_json 's["state"]')" = rolled-back ] || fail "state $(e2e_json 's["state"]')"
[ "$(e2e_json 's["failed_step"]["step"]')" = start-validate ] || fail "failed step $(e2e_json 's["failed_step"]["id"]')"
e2e_json 's["failed_step"]["error"]' | grep_all "alfresco-v2: did not log its startup line within 8 s" ||
    fail "the start timeout is not the failure: $(e2e_json 's["failed_step"]["error"]')"
e2e_json 's["error"]' | grep_all "within 8 s" || fail "the run's error does not name the timeout: $(e2e_json 's["error"]')"
elapsed=$(e2e_json 's["failed_step"]["elapsed_s"]')
python3 -c "import sys; sys.exit(0 if 8 <= $elapsed < 14 else 1)" ||
    fail "start-validate failed after ${elapsed}s, not when its 8 s start timeout fired"
pass "run $RUN rolled back: start-validate@repo1 failed after ${elapsed}s: $(e2e_json 's["failed_step"]["error"]')"

# The log tail: the failed step's log lines are the last lines the new repository logged before the
# timeout (the stop that follows appends "Stopping service" after them), then the step's own note that
# it stopped the hung repository again.
catalina=$LAB_NEW_HOME/tomcat/logs/catalina.out
grep -q "Starting 'Repository' subsystem" "$catalina" || fail "the hang fault did not strike (no subsystem line)"
! grep -q "Alfresco Content Services started" "$catalina" || fail "the new repository did start"
before_stop=$(sed '/Stopping service \[Catalina\]/,$d' "$catalina" | tail -n 3)
tail_json=$(e2e_json '"\n".join([l for l in s["failed_step"]["log"] if l[:2] == "20"][-3:])')
[ "$tail_json" = "$before_stop" ] || fail "failed_step.log does not end with the repository's last lines:
--- failed_step.log
$tail_json
--- catalina.out before the stop
$before_stop"
e2e_json 's["failed_step"]["log"][-1]' | grep_all -x "alfup: stopped alfresco-v2 after its failed start.*" ||
    fail "the failed start did not stop the hung repository: $(e2e_json 's["failed_step"]["log"][-3:]')"
pass "failed_step.log ends with the repository's last 3 log lines ($(e2e_json 'len(s["failed_step"]["log"])') lines, last: ${before_stop##*$'\n'})"

[ "$(e2e_json 'all(x["state"] == "succeeded" for x in s["rollback"]["steps"])')" = True ] || fail "rollback steps: $(e2e_json 's["rollback"]')"
[ "$(e2e_json 'sum(1 for p in s["phases"][3:] for x in p["steps"] if x["state"] != "pending")')" = 0 ] ||
    fail "steps after the validation ran"
out=$(lab_check_old_ready) || fail "$out"; pass "$out"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"
left=$(fr_pids "$LAB_BIN/alfresco-standin" "$LAB_NEW_HOME")
[ -z "$left" ] || fail "hung new repository still running: pid $left"
! lab_pid_is "$hung" "$LAB_BIN/alfresco-standin" || fail "the hung new repository (pid $hung) still runs"
[ -z "$(fr_pids "$LAB_BIN/solr-standin" "$LAB_NEW_SOLR")" ] || fail "new Solr still running"
grep -q "Stopping service \[Catalina\]" "$catalina" || fail "the hung repository was not stopped by rb-stop-new"
pass "no new repository or Solr stand-in left running (the hung one was stopped by the rollback)"
