#!/bin/bash
# rollback_validate_test.sh -- e2e: the new repository crashes at its first start, on the empty scratch
# repository of the validation phase (phase 2, stand-in fault crash-after-start). The run ends rolled-back
# with the old repository and Solr answering their probes, the crash in the failed step's log, and the old
# files and database unchanged.
export ALFUP_LAB_FAULT=crash-after-start
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
e2e_lab_up
lab_snapshot_old "$LAB_DIR/snapshot"

e2e_run_wait 4
[ "$(e2e_json 's["state"]')" = rolled-back ] || fail "state $(e2e_json 's["state"]')"
[ "$(e2e_json 's["failed_step"]["step"]')" = start-validate ] || fail "failed step $(e2e_json 's["failed_step"]["id"]')"
[ "$(e2e_json '[p["id"] for p in s["phases"] if any(x["state"] == "failed" for x in p["steps"])]')" = "['validate']" ] ||
    fail "the failure is not in the validate phase"
e2e_json '"\n".join(s["failed_step"]["log"]) + s["failed_step"]["error"]' | grep_all -E "fatal error|exited" ||
    fail "the crash is not in the failed step: $(e2e_json 's["failed_step"]')"
[ "$(e2e_json 'sum(1 for p in s["phases"][3:] for x in p["steps"] if x["state"] != "pending")')" = 0 ] ||
    fail "steps after the validation ran"
pass "run $RUN rolled back from start-validate@repo1 (crash in its log); nothing after phase 2 ran"
[ "$(e2e_json 'all(x["state"] == "succeeded" for x in s["rollback"]["steps"])')" = True ] || fail "rollback steps"
out=$(lab_check_old_ready) || fail "$out"; pass "$out"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"
