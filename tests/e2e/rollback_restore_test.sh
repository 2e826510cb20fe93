#!/bin/bash
# rollback_restore_test.sh -- e2e: the new repository fails its schema upgrade when it first starts on the
# restored data (phase 4, stand-in fault failed-patch: it only strikes when upgrading an existing schema).
# The run ends rolled-back: the failing log line is in status --json, the new services are stopped, the old
# repository and Solr answer their probes again, and the old files and database are unchanged.
export ALFUP_LAB_FAULT=failed-patch
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
e2e_lab_up
lab_snapshot_old "$LAB_DIR/snapshot"

e2e_run_wait 4
[ "$(e2e_json 's["state"]')" = rolled-back ] || fail "state $(e2e_json 's["state"]')"
[ "$(e2e_json 's["failed_step"]["step"]')" = start-restored ] || fail "failed step $(e2e_json 's["failed_step"]["id"]')"
[ "$(e2e_json '[p["id"] for p in s["phases"] if any(x["state"] == "failed" for x in p["steps"])]')" = "['restore']" ] ||
    fail "the failure is not in the restore phase"
e2e_json '"\n".join(s["failed_step"]["log"])' | grep_all "=== Failed to apply patch ===" ||
    fail "failing log line not in failed_step.log: $(e2e_json 's["failed_step"]')"
e2e_json 's["error"]' | grep_all "Failed to apply patch" || fail "run error does not quote the failure: $(e2e_json 's["error"]')"
pass "run $RUN rolled back; failed step start-restored@repo1 with '=== Failed to apply patch ===' in its log and the run's error"
[ "$(e2e_json 'all(x["state"] == "succeeded" for x in s["rollback"]["steps"])')" = True ] &&
    [ "$(e2e_json 'len(s["rollback"]["steps"])')" -ge 4 ] || fail "rollback steps: $(e2e_json 's["rollback"]')"
pass "rollback steps all succeeded: $(e2e_json '" ".join(x["id"] for x in s["rollback"]["steps"])')"

out=$(lab_check_old_ready) || fail "$out"; pass "$out"
grep -q "alf_bootstrap_lock" <(lab_psql "$LAB_NEW_DB" "select tablename from pg_tables") ||
    fail "the failed upgrade left no alf_bootstrap_lock in the new database (the fault did not strike?)"
[ -z "$(lab_psql "$LAB_OLD_DB" "select tablename from pg_tables where tablename = 'alf_bootstrap_lock'")" ] ||
    fail "alf_bootstrap_lock in the OLD database"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"
