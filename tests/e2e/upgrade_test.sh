#!/bin/bash
# upgrade_test.sh -- e2e: the full upgrade of the lab succeeds. At the decommission gate the new repository
# answers its readiness probe, every content file's sha-256 and every table's row count in the new database
# match the old ones, and the OLD installations' files and the OLD database are byte-for-byte unchanged;
# after the approval the old system is removed and the run has succeeded.
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
e2e_lab_up
lab_snapshot_old "$LAB_DIR/snapshot"
lab_ctl plan check "$LAB_DIR/plan.yaml" >/dev/null || fail "plan check"

e2e_run_wait 5
[ "$(e2e_json 's["state"]')" = waiting ] || fail "run not waiting at the gate"
[ "$(e2e_json 's["waiting_for"]')" = decommission ] || fail "waiting for $(e2e_json 's["waiting_for"]')"
[ "$(e2e_json 'sum(1 for p in s["phases"][:-1] for x in p["steps"] if x["state"] != "succeeded")')" = 0 ] ||
    fail "a step before the decommission did not succeed"
pass "run $RUN: every step up to the decommission gate succeeded; waiting for approval"

out=$(lab_check_new_ready) || fail "$out"; pass "$out"
out=$(lab_check_content) || fail "$out"; pass "$out"
out=$(lab_check_db_counts) || fail "$out"; pass "$out"
[ "$(lab_psql "$LAB_NEW_DB" "select min(applied_to_schema) from alf_applied_patch where applied_to_schema > -1")" = 19200 ] ||
    fail "new database not at schema 19200"
[ "$(lab_psql postgres "select pg_catalog.pg_get_userbyid(datdba) from pg_database where datname = '$LAB_NEW_DB'")" = "$LAB_DB_USER" ] ||
    fail "new database not owned by $LAB_DB_USER"
pass "new database upgraded to schema 19200, owned by $LAB_DB_USER"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"

# The customizations reached the new installation.
props=$LAB_NEW_HOME/tomcat/shared/classes/alfresco-global.properties
grep -qx "dir.root=$LAB_NEW_DIR_ROOT" "$props" || fail "dir.root not pointed at the new dir.root"
grep -qx "db.url=jdbc:postgresql://$(lab_addr db1):$LAB_PG_PORT/$LAB_NEW_DB" "$props" || fail "db.url not pointed at the new database"
grep -qx "mail.host=smtp.lab.invalid" "$props" || fail "override mail.host not carried"
[ -f "$LAB_NEW_HOME/tomcat/shared/classes/alfresco/extension/model/customModel.xml" ] || fail "extension file not copied"
grep -q "logger.repo.name" "$LAB_NEW_HOME/tomcat/shared/classes/alfresco/extension/custom-log4j2.properties" ||
    fail "the new version's own extension file was overwritten"
[ ! -e "$LAB_NEW_HOME/tomcat/webapps/_vti_bin.war" ] && [ ! -e "$LAB_NEW_HOME/tomcat/webapps/_vti_bin" ] || fail "_vti_bin not removed"
grep -q "^module custom-module " "$LAB_NEW_HOME/tomcat/webapps/alfresco.war" || fail "AMP not installed into the war"
[ "$(grep -c '^installed custom-module' "$LAB_NEW_HOME/logs/apply_amps.log")" = 1 ] || fail "apply_amps.sh did not run exactly once"
grep -q "^data.dir.root=$LAB_NEW_SOLR_DATA\$" "$LAB_NEW_SOLR/solrhome/alfresco/conf/solrcore.properties" || fail "new Solr data.dir.root"
pass "settings carried (dir.root, db.url new; overrides kept), extension copied without overwriting, _vti_bin removed, AMP installed once"

e2e_approve_decommission
