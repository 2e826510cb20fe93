#!/bin/bash
# network_cut_db_test.sh -- e2e (issue 5, faults): db1's network is cut for 30 s (its bridge port, v-db1,
# down) while pg_dump of its database backup runs (db-backup; the old database gets 300000 more rows so the
# dump lasts seconds), then restored. The controller must see db1 go offline, the backup goes on locally,
# and after the restore the channel handshakes again: either the run finishes (it reaches the decommission
# gate with every step succeeded, the new repository ready, content and row counts equal) or it fails
# cleanly (rolled back, the failure on db1, the old system running again) -- never hangs: status --wait is
# bounded and a run still going after it fails the test. The outcome is printed.
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-lib.sh"
CUT_S=30
e2e_lab_up
faults_need_netns
faults_big_database 300000 || fail "filling the old database"
journal=$LAB_DIR/ctl/journal.db

RUN=$(lab_ctl run "$LAB_DIR/plan.yaml") || fail "run: $RUN"
RUN=$(echo "$RUN" | head -n1)
dump=$LAB_BACKUPS/$RUN/database.dump
faults_wait_path "$dump.partial" 60 >/dev/null || fail "pg_dump of the backup never started"
[ ! -e "$dump" ] || fail "the database backup finished before the cut"
cut_line=$(($(wc -l < "$LAB_DIR/logs/agent-db1.log") + 1))
lab_net_cut db1 || fail "cutting db1's link"
cut_at=$SECONDS
pass "db1's link cut while pg_dump wrote $dump.partial"

faults_wait_online db1 30 offline || fail "the controller still lists db1 online $((SECONDS - cut_at)) s into the cut"
pass "the controller lists db1 offline after $((SECONDS - cut_at)) s"
finished_in_cut=no
while [ $((SECONDS - cut_at)) -lt "$CUT_S" ]; do   # a duration under test: the link stays cut CUT_S seconds
    [ -d "$dump" ] && finished_in_cut=yes
    sleep 0.5
done
[ "$(e2e_json 's["state"]')" = running ] || fail "run state $(e2e_json 's["state"]') during the cut"
lab_net_restore db1 || fail "restoring db1's link"
pass "link restored after $((SECONDS - cut_at)) s; the dump finished during the cut: $finished_in_cut; the run still running"

faults_wait_online db1 40 || fail "db1 did not come back online within 40 s of the restore"
pass "db1 online again (a new handshake) $((SECONDS - cut_at - CUT_S)) s after the restore"
sessions=$(tail -n +"$cut_line" "$LAB_DIR/logs/agent-db1.log" | grep -c "session to controller .* established" || true)
[ "$sessions" -ge 1 ] || fail "db1's agent logged no new session after the cut"
resent=$(tail -n +"$cut_line" "$LAB_DIR/logs/agent-db1.log" | grep -c "re-sending unacknowledged result of step $RUN.backup-database@db1" || true)
pass "db1's agent: $sessions new session(s) since the cut; backup-database's result re-sent on reconnect: $resent time(s)"

faults_status_wait 120 "$LAB_DIR/logs/status.out"
[ "$RC" != 124 ] || fail "the run hangs: still $(e2e_json 's["state"]') 120 s after db1 came back"
state=$(e2e_json 's["state"]')
case "$RC/$state" in
5/waiting)
    [ "$(e2e_json 'sum(1 for p in s["phases"][:-1] for x in p["steps"] if x["state"] != "succeeded")')" = 0 ] ||
        fail "a step before the decommission did not succeed"
    [ "$(sqlite3 "$journal" "select count(*)||' '||state from steps where step_id like '$RUN.backup-database@%'")" = "1 succeeded" ] ||
        fail "backup-database: not one succeeded journal row"
    [ -f "$dump/toc.dat" ] && [ ! -e "$dump.partial" ] || fail "no sealed dump $dump"
    [ "$(e2e_json '[x["outputs"]["total_rows"] for p in s["phases"] for x in p["steps"] if x["id"] == "backup-database@db1"][0]')" -ge 300000 ] ||
        fail "backup-database recorded fewer rows than the database holds"
    out=$(lab_check_new_ready) || fail "$out"; pass "$out"
    out=$(lab_check_content) || fail "$out"; pass "$out"
    out=$(lab_check_db_counts) || fail "$out"; pass "$out"
    pass "OUTCOME: the run finished after the cut (at the decommission gate, every step succeeded)"
    ;;
4/rolled-back)
    [ "$(e2e_json 's["failed_step"]["host"]')" = db1 ] || fail "the failed step is not on db1: $(e2e_json 's["failed_step"]')"
    [ "$(e2e_json 'all(x["state"] == "succeeded" for x in s["rollback"]["steps"])')" = True ] || fail "rollback steps"
    out=$(lab_check_old_ready) || fail "$out"; pass "$out"
    pass "OUTCOME: the run failed cleanly at $(e2e_json 's["failed_step"]["id"]') ($(e2e_json 's["error"]')) and rolled back"
    ;;
*)
    tail -n 40 "$LAB_DIR/logs/status.out" >&2
    fail "the run ended $state (status --wait $RC): neither finished nor rolled back"
    ;;
esac
