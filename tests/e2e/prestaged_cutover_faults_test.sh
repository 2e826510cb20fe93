#!/bin/bash
# prestaged_cutover_faults_test.sh -- e2e: two faults of the prestaged upgrade's cutover (issue 11) in one run.
# (1) A client is left connected to the old database at the cutover (a psql with application_name
# lab-report-tool): copy-database (db-copy, CREATE DATABASE ... TEMPLATE) refuses, naming the client by
# application, user and address, and the run rolls back with the old repository and Solr serving and the old
# system as it was at the stop. (2) The client gone, `resume` restarts at stop-old (attempt 2, its archives in
# BACKUP_DIR/RUN.a2) and repo1's agent is killed (SIGKILL) while that attempt's contentstore delta runs (128 MiB
# written after the base in all) and started again: the controller asks the same step id again, the agent redoes the
# delta as an interrupted step (the cut-off attempt's temporary file removed), and the run reaches the
# decommission gate. Nothing is lost and nothing is doubled: every old content file is in the new store with its
# sha-256 and nothing else is, every content row has its file, the delta archive holds each entry once and
# verifies without alfup code, and base (attempt 1) + delta (attempt 2) + dump restore on their own to the old
# system at the stop (alfup-agent --restore-set, pg_restore).
# Between the rollback and the resume production writes again (the lab writer, 64 MiB more): attempt 2's delta
# (against the same base) must carry those writes and orphan moves into a copy that attempt 1 already updated.
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-run-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-writes.sh"
e2e_lab_up
source "$ALFUP_SOURCE_DIR/tests/e2e/prestaged-faults-lib.sh"
pf_plan
CLIENT_APP=lab-report-tool

e2e_run_wait 5
[ "$(e2e_json 's["waiting_for"]')" = cutover ] || fail "not waiting at the cutover gate"
pf_content 2024/12/31/23/59/big-after-the-base.bin 64

# A reporting tool left connected to the old database (its session sleeps; the test ends it by its pid).
PGAPPNAME=$CLIENT_APP "$LAB_PG_BIN/psql" -X -q -h "$LAB_PG_DIR/sock" -p "$LAB_PG_PORT" -U "$LAB_PG_USER" -d "$LAB_OLD_DB" \
    -c "select pg_sleep(600)" > "$LAB_DIR/logs/client.out" 2>&1 &
client_pid=$!
for _ in $(seq 300); do
    [ "$(lab_psql postgres "select count(*) from pg_stat_activity where application_name = '$CLIENT_APP'")" = 1 ] && break
    sleep 0.1
done
[ "$(lab_psql postgres "select count(*) from pg_stat_activity where application_name = '$CLIENT_APP' and datname = '$LAB_OLD_DB'")" = 1 ] ||
    fail "the client never connected to $LAB_OLD_DB"
lab_snapshot_old "$LAB_DIR/snapshot"
pass "run $RUN waits at the cutover gate; $CLIENT_APP (pid $client_pid) is connected to $LAB_OLD_DB"

lab_ctl approve "$RUN" cutover >/dev/null || fail "approve cutover"
faults_status_wait 180 "$LAB_DIR/logs/cutover.out"
[ "$RC" = 4 ] || { tail -n 40 "$LAB_DIR/logs/cutover.out" >&2; fail "after approve cutover status --wait exited $RC, expected 4 (rolled back)"; }
[ "$(e2e_json 's["state"]')" = rolled-back ] || fail "state $(e2e_json 's["state"]')"
[ "$(e2e_json 's["failed_step"]["step"]')" = copy-database ] || fail "failed step $(e2e_json 's["failed_step"]["id"]')"
error=$(e2e_json 's["failed_step"]["error"]')
for want in "has clients connected" "application '$CLIENT_APP'" "user $LAB_PG_USER" "from local socket" "1 session"; do
    [[ "$error" == *"$want"* ]] || fail "copy-database's error does not say '$want': $error"
done
[[ "$(e2e_json 's["error"]')" == *"application '$CLIENT_APP'"* ]] || fail "the run's error does not name the client: $(e2e_json 's["error"]')"
e2e_json '"\n".join(s["failed_step"]["log"])' | grep_all "connected to $LAB_OLD_DB: pid [0-9]* user $LAB_PG_USER application '$CLIENT_APP'" ||
    fail "copy-database's log does not list the client"
[ -z "$(lab_psql postgres "select 1 from pg_database where datname = '$LAB_NEW_DB'")" ] || fail "a new database was left behind"
[ "$(e2e_json 'all(x["state"] == "succeeded" for x in s["rollback"]["steps"])')" = True ] || fail "rollback steps"
out=$(lab_check_old_ready) || fail "$out"
pass "copy-database refused: ${error#*: }; rolled back: $out"
first_delta=$(fr_sql "select state from steps where step_id = '$RUN.delta-content@repo1'")
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"

# The operator ends the client's session (psql then exits) and resumes.
lab_psql postgres "select pg_terminate_backend(pid) from pg_stat_activity where application_name = '$CLIENT_APP'" >/dev/null
wait "$client_pid" 2>/dev/null || true
for _ in $(seq 300); do
    [ "$(lab_psql postgres "select count(*) from pg_stat_activity where application_name = '$CLIENT_APP'")" = 0 ] && break
    sleep 0.1
done
[ "$(lab_psql postgres "select count(*) from pg_stat_activity where application_name = '$CLIENT_APP'")" = 0 ] ||
    fail "$CLIENT_APP's session is still there after pg_terminate_backend"

# The old system serves again: production writes (files into old and new date folders, orphans moved, one big
# file) before the operator resumes.
lab_writer_start --add 30 --orphan 10 --interval-ms 20
lab_writer_wait 120 || fail "the lab writer did not finish"
pf_content 2026/12/8/0/2/big-after-the-rollback.bin 64
lab_snapshot_old "$LAB_DIR/snapshot"
pass "production wrote again after the rollback: $(lab_writer_field added) files added, $(lab_writer_field moved) orphans moved, 64 MiB more"

# Attempt 2, with repo1's agent killed during its delta.
lab_ctl resume "$RUN" >/dev/null || fail "resume after the rollback"
delta_id=$RUN.delta-content@repo1.a2
archive=$LAB_BACKUPS/$RUN.a2/contentstore-delta.tar.zst
for _ in $(seq 6000); do
    grep -q "step $delta_id (backup-delta) started" "$LAB_DIR/logs/agent-repo1.log" && break
    sleep 0.02
done
grep -q "step $delta_id (backup-delta) started" "$LAB_DIR/logs/agent-repo1.log" || fail "$delta_id never started"
partial=$(faults_wait_path "$archive.tmp.*" 60 $((2 * 1024 * 1024))) || fail "the delta's temporary file never reached 2 MiB"
[ ! -e "$archive" ] || fail "the delta finished before the agent could be killed"
faults_kill_agent repo1 || fail "could not kill repo1's agent"
[ ! -e "$archive" ] || fail "the delta archive appeared although the agent was killed"
pass "resumed (attempt 2 from stop-old); repo1's agent killed during its delta, partial $(basename "$partial") left"
lab_start_agent repo1
faults_wait_online repo1 20 || fail "repo1 did not come back online"
faults_status_wait 180 "$LAB_DIR/logs/status.out"
[ "$RC" = 5 ] || { tail -n 60 "$LAB_DIR/logs/status.out" >&2; fail "status --wait exited $RC (expected 5: at the decommission gate)"; }
[ "$(e2e_json 'sum(1 for p in s["phases"][:-1] for x in p["steps"] if x["state"] != "succeeded")')" = 0 ] ||
    fail "a step before the decommission did not succeed"

[ "$(fr_sql "select count(*) from steps where step_id like '$RUN.delta-content@%'")" = 2 ] ||
    fail "delta-content has not exactly two journal rows (attempt 1, attempt 2)"
[ "$(fr_sql "select sends from steps where step_id = '$delta_id'")" -ge 2 ] || fail "$delta_id was not asked again"
grep -q "step $delta_id was interrupted by an agent restart; running it again" "$LAB_DIR/logs/agent-repo1.log" ||
    fail "the agent did not redo $delta_id as interrupted"
[ "$(grep -c "step $delta_id (backup-delta) started" "$LAB_DIR/logs/agent-repo1.log")" = 2 ] ||
    fail "$delta_id did not start exactly twice (killed, and again)"
[ ! -e "$partial" ] || fail "the killed attempt's partial file is still there"
left=$(find "$LAB_BACKUPS" "$LAB_NEW_DIR_ROOT" -name '*.tmp.*' -o -name '*.partial' | head -n3)
[ -z "$left" ] || fail "temporary files left: $left"
pass "the agent came back; $delta_id asked again with the same id and redone as interrupted (attempt 1's delta: $first_delta at the rollback); no temporary file left"

out=$(faults_verify_archive "$archive") || fail "$out"
out2=$(pf_archive_unique "$archive") || fail "$out2"
pass "attempt 2's delta archive: $out2, each once; verified without alfup code: $out"
out=$(pf_archive_unique "$LAB_BACKUPS/$RUN/contentstore-delta.tar.zst") || fail "$out"
sets=$(find "$LAB_BACKUPS" -name 'contentstore-*.tar.zst' | sort | sed "s#^$LAB_BACKUPS/##" | tr '\n' ' ')
[ "$sets" = "$RUN.a2/contentstore-delta.tar.zst $RUN/contentstore-base.tar.zst $RUN/contentstore-delta.tar.zst " ] ||
    fail "the contentstore archives of the backup set are not one base and one delta per attempt: $sets"
pass "attempt 1's delta archive: $out, each once; the set: one base, one delta per attempt"
read -r d_added d_removed < <(e2e_json '" ".join(next(x for p in s["phases"] for x in p["steps"] if x["step"] == "delta-content")["outputs"][k] for k in ("files_added", "files_removed"))')
[ "$d_added" -ge $(($(lab_writer_field added) + 2)) ] && [ "$d_removed" -ge "$(lab_writer_field moved)" ] ||
    fail "attempt 2's delta added $d_added files and removed $d_removed paths (since the base: 2 big files and $(lab_writer_field added) more added, $(lab_writer_field moved) orphans moved)"
pass "attempt 2's delta: $d_added files added, $d_removed paths removed since the base"
out=$(lab_check_new_ready) || fail "$out"; pass "$out"
out=$(lab_check_content) || fail "$out"; pass "$out"
out=$(lab_check_content_rows "$LAB_NEW_DIR_ROOT") || fail "$out"; pass "$out (new dir.root)"
out=$(lab_check_db_counts) || fail "$out"; pass "$out"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"
dump=$(e2e_json 'next(x for p in s["phases"] for x in p["steps"] if x["step"] == "backup-database")["outputs"]["dump"]')
out=$(pf_restore_set "$LAB_BACKUPS/$RUN/contentstore-base.tar.zst" "$archive" "$dump") ||
    fail "restore-set"
pass "${out//$'\n'/; }"
