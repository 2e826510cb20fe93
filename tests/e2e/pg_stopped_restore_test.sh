#!/bin/bash
# pg_stopped_restore_test.sh -- e2e: PostgreSQL on db1 is restarted (pg_ctl stop -m fast, then start, as
# its owner, down for 3 s) while phase 4's restore-database step runs pg_restore into the new database --
# a database restart during the maintenance window. pg_restore fails at once; the step waits for the
# server to come back to drop what it half-restored, then fails. The run fails at restore-database
# with an error naming the new database; the half-restored database is dropped; the rollback brings the
# old system back (rolled-back, old repository and Solr answer their probes); old files and database are
# unchanged, and the new repository was never started.
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-run-lib.sh"
e2e_lab_up
# A bigger table, so that pg_restore runs long enough to be cut off (its rows are backed up, restored
# and counted like every other table's).
lab_psql "$LAB_OLD_DB" "create table lab_bulk (id bigint primary key, payload text not null);
    insert into lab_bulk select g, repeat(md5(g::text), 4) from generate_series(1, ${FR_BULK_ROWS:-300000}) g;
    alter table lab_bulk owner to $LAB_DB_USER; analyze lab_bulk" >/dev/null || fail "bulk table"
lab_snapshot_old "$LAB_DIR/snapshot"

RUN=$(lab_ctl run "$LAB_DIR/plan.yaml") || fail "run: $RUN"
RUN=$(echo "$RUN" | head -n1)
fr_wait_started db1 restore-database 120 || fail "restore-database never started"
dump=$LAB_BACKUPS/$RUN/database.dump
for _ in $(seq 3000); do
    pid=$(fr_pids "$LAB_PG_BIN/pg_restore" "$dump")
    [ -n "$pid" ] && break
    sleep 0.01
done
[ -n "$pid" ] || fail "pg_restore of $dump not seen running within 30 s of the step's start"
fr_pg_stop || fail "pg_ctl stop"
stopped_ms=$(fr_now_ms)
# A duration under test, not a wait for something: the database stays down a few seconds (pg_restore
# fails; the step waits for it to come back to clean up).
sleep "${FR_PG_DOWN_S:-3}"
fr_pg_start || fail "pg_ctl start"
pass "PostgreSQL restarted while pg_restore (pid ${pid%%$'\n'*}) restored $LAB_NEW_DB: up again $(( $(fr_now_ms) - stopped_ms )) ms later"

set +e; lab_ctl status "$RUN" --wait > "$LAB_DIR/logs/run.out" 2>&1; RC=$?; set -e
[ "$RC" = 4 ] || { tail -n 60 "$LAB_DIR/logs/run.out" >&2; fail "status --wait exited $RC, expected 4 (rolled back)"; }
[ "$(e2e_json 's["state"]')" = rolled-back ] || fail "state $(e2e_json 's["state"]')"
[ "$(e2e_json 's["failed_step"]["step"]')" = restore-database ] || fail "failed step $(e2e_json 's["failed_step"]["id"]')"
error=$(e2e_json 's["failed_step"]["error"]')
grep -q "restore of $LAB_NEW_DB: " <<< "$error" || fail "the failed step's error does not name the database $LAB_NEW_DB: $error"
grep -Eqi "pg_restore|connect|terminat|server" <<< "$error" || fail "the error gives no reason: $error"
e2e_json 's["error"]' | grep_all "restore of $LAB_NEW_DB" || fail "the run's error does not name $LAB_NEW_DB: $(e2e_json 's["error"]')"
[ "$(e2e_json 'sum(1 for p in s["phases"] for x in p["steps"] if x["step"].startswith("start-restored") and x["state"] != "pending")')" = 0 ] ||
    fail "the new repository was started on a half-restored database"
pass "run $RUN failed at restore-database@db1: ${error#*: }"
e2e_json '"\n".join(s["failed_step"]["log"])' | grep_all "removed the half-restored database $LAB_NEW_DB" ||
    fail "the half-restored database was not removed: $(e2e_json 's["failed_step"]["log"][-3:]')"
[ "$(lab_psql postgres "select count(*) from pg_database where datname = '$LAB_NEW_DB'")" = 0 ] || fail "$LAB_NEW_DB still exists"
pass "the half-restored $LAB_NEW_DB was dropped once the database was back"

[ "$(e2e_json 'all(x["state"] == "succeeded" for x in s["rollback"]["steps"])')" = True ] || fail "rollback steps: $(e2e_json 's["rollback"]')"
out=$(lab_check_old_ready) || fail "$out"; pass "$out"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"
