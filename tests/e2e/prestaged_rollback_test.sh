#!/bin/bash
# prestaged_rollback_test.sh -- e2e: in the prestaged upgrade (issue 11) the new repository fails its schema
# upgrade at the cutover's start (stand-in fault failed-patch: only an upgrade fails, so the validation and the
# customisation test on their empty databases pass). That is after stop-old: the run rolls back, the old
# repository and Solr answer their probes again, the old files and database are as they were before the run
# (the delta and the template copy only read them), and the backup set's base and delta archives exist.
export ALFUP_LAB_FAULT=failed-patch
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-configs.sh"
e2e_lab_up
lab_plan_yaml --workflow alfresco-upgrade-prestaged --staging --settle-s 2
lab_snapshot_old "$LAB_DIR/snapshot"

e2e_run_wait 4
[ "$(e2e_json 's["state"]')" = rolled-back ] || fail "state $(e2e_json 's["state"]')"
[ "$(e2e_json 's["failed_step"]["step"]')" = start-restored ] || fail "failed step $(e2e_json 's["failed_step"]["id"]')"
e2e_json 's["failed_step"]["error"] + "\n".join(s["failed_step"]["log"])' | grep_all "Failed to apply patch" ||
    fail "the failed patch is not in the failed step: $(e2e_json 's["failed_step"]["error"]')"
[ "$(e2e_json 'sum(1 for p in s["phases"][:[p["id"] for p in s["phases"]].index("cutover")] for x in p["steps"] if x["state"] != "succeeded")')" = 0 ] ||
    fail "a step before the cutover did not succeed"
[ "$(e2e_json 'all(x["state"] == "succeeded" for x in s["rollback"]["steps"])')" = True ] || fail "rollback steps"
pass "run $RUN: prepared and base-copied, then start-restored@repo1 failed its patch in the cutover; rolled back"
for a in contentstore-base contentstore-delta; do
    [ -s "$LAB_BACKUPS/$RUN/$a.tar.zst" ] || fail "no $a archive in the backup set"
done
pass "the backup set holds the contentstore's base and delta"
out=$(lab_check_old_ready) || fail "$out"; pass "$out"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"
