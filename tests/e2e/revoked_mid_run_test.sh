#!/bin/bash
# revoked_mid_run_test.sh -- e2e (issue 5, faults): db1's certificate is revoked (alfup-certs revoke, which
# rewrites the crl.pem the controller reads) during a run, after db1's backup and while repo1's contentstore
# backup still runs. The controller notices the new CRL within a second or two and cuts db1's live session
# for the revocation (controller log, `agents --json` shows db1 offline and refused); db1's agent reconnects
# by itself and each handshake is refused (certificate revoked, in the agent's own log too). The run does not
# wait for db1: it fails by itself at db1's next step with the refusal as the reason, rolls back without db1,
# the old repository and Solr come back, and db1 runs nothing more.
# The controller looks at the CRL file at most once a second, so a step sent in that second would still
# run: repo1's agent is paused (SIGSTOP) from just before the revocation until the controller has cut db1's
# session, so that phase 1 cannot end, and no db1 step become due, before the controller knows.
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-lib.sh"
END_BOUND_S=${ALFUP_E2E_REVOKED_END_S:-150}   # the run must end well before any step's own timeout (600 s+)
e2e_lab_up
faults_big_content 128   # backup-content lasts long enough to revoke while the run is in phase 1
journal=$LAB_DIR/ctl/journal.db

RUN=$(lab_ctl run "$LAB_DIR/plan.yaml") || fail "run: $RUN"
RUN=$(echo "$RUN" | head -n1)
for i in $(seq 1800); do
    [ "$(sqlite3 "$journal" "select state from steps where step_id = '$RUN.backup-database@db1'" 2>/dev/null)" = succeeded ] && break
    sleep 0.05
done
[ "$(sqlite3 "$journal" "select state from steps where step_id = '$RUN.backup-database@db1'")" = succeeded ] ||
    fail "db1's backup did not succeed within 90 s: $(sqlite3 "$journal" "select state from steps where step_id = '$RUN.backup-database@db1'")"
[ ! -e "$LAB_BACKUPS/$RUN/contentstore.tar.zst" ] || fail "phase 1's contentstore backup was over before the revocation"
log_lines=$(wc -l < "$LAB_DIR/logs/agent-db1.log")
ctl_lines=$(wc -l < "$LAB_DIR/logs/controller.log")
repo_pid=$(faults_agent_pid repo1) || fail "repo1's agent is not running"
kill -STOP "$repo_pid"
bash "$LAB_SRC/certs/alfup-certs" revoke "$LAB_DIR/ca" db1 --reason keyCompromise >/dev/null || fail "revoke db1"
bash "$LAB_SRC/certs/alfup-certs" list "$LAB_DIR/ca" | grep -E "revoked.* db1\$" >/dev/null || fail "db1 not listed revoked"
revoked_at=$SECONDS
pass "db1's certificate revoked during phase 1 (crl.pem rewritten)"

# The live session is cut for the revocation, without waiting for a handshake.
ctl_since() { tail -n +"$((ctl_lines + 1))" "$LAB_DIR/logs/controller.log"; }
for i in $(seq 100); do   # the controller rereads the CRL every second: 20 s is generous under load
    ctl_since | grep_all "refused peer $(lab_addr db1) db1: certificate revoked" && break
    sleep 0.2
done
kill -CONT "$repo_pid"
ctl_since | grep_all "refused peer $(lab_addr db1) db1: certificate revoked" ||
    fail "the controller did not cut db1's session within 20 s of the revocation"
ctl_since | grep_all "agent db1 refused: certificate revoked" || fail "the controller does not say db1 is refused"
! faults_agent_online db1 || fail "the controller still lists db1 online after cutting its session"
refused=$(lab_ctl agents --json | python3 -c '
import json, sys
print(next((a.get("refused", "") for a in json.load(sys.stdin) if a["name"] == "db1"), ""))')
[ "$refused" = "certificate revoked" ] || fail "agents --json: db1 refused is '$refused'"
pass "db1's live session cut $((SECONDS - revoked_at)) s after the revocation; agents: offline, refused: $refused"

# The agent reconnects by itself: each handshake is refused, and it is told why.
for i in $(seq 150); do
    ctl_since | grep_all "refused peer $(lab_addr db1): TLS handshake: certificate refused (certificate revoked)" &&
        tail -n +"$((log_lines + 1))" "$LAB_DIR/logs/agent-db1.log" | grep_all "certificate revoked" && break
    sleep 0.2
done
ctl_since | grep_all "refused peer $(lab_addr db1): TLS handshake: certificate refused (certificate revoked)" ||
    fail "db1's agent did not come back to a refused handshake within 30 s"
tail -n +"$((log_lines + 1))" "$LAB_DIR/logs/agent-db1.log" | grep_all "certificate revoked" ||
    fail "db1's agent was not told its certificate is revoked"
pass "db1's agent reconnected by itself; its handshake is refused (certificate revoked)"

# The run fails by itself at db1's next step, with the refusal as the reason, and rolls back.
faults_status_wait "$END_BOUND_S" "$LAB_DIR/logs/status.out"
[ "$RC" != 124 ] || fail "the run did not end within $END_BOUND_S s (it waits for db1?): $(e2e_json 's["state"]')"
state=$(e2e_json 's["state"]')
[ "$RC" = 4 ] && [ "$state" = rolled-back ] || fail "the run ended $state (status --wait $RC), expected rolled-back"
[ "$(e2e_json 's["failed_step"]["host"]')" = db1 ] ||
    fail "the failed step is not on db1: $(e2e_json 's["failed_step"]')"
e2e_json 's["failed_step"]["error"]' | grep_all "agent db1 refused: certificate revoked" ||
    fail "the failed step's error does not name the revocation: $(e2e_json 's["failed_step"]["error"]')"
e2e_json 's["error"]' | grep_all "agent db1 refused: certificate revoked" ||
    fail "the run's error does not name the revocation: $(e2e_json 's["error"]')"
failed=$(e2e_json 's["failed_step"]["id"]')
grep -q "run $RUN: $failed on db1 fails: agent db1 refused: certificate revoked" "$LAB_DIR/logs/controller.log" ||
    fail "the controller does not log $failed failing for the refusal"
! grep -q "step $failed waits for its agent" "$LAB_DIR/logs/controller.log" || fail "$failed waited for db1"
pass "the run failed by itself at $failed, $((SECONDS - revoked_at)) s after the revocation:" \
    "$(e2e_json 's["failed_step"]["error"]')"

[ "$(e2e_json 'all(x["state"] == "succeeded" for x in s["rollback"]["steps"])')" = True ] || fail "rollback steps"
[ "$(e2e_json 'sum(1 for x in s["rollback"]["steps"] if x["host"] == "db1")')" = 0 ] || fail "a rollback step needs db1"
n=$(tail -n +"$((log_lines + 1))" "$LAB_DIR/logs/agent-db1.log" | grep -c "step $RUN\..* started" || true)
[ "$n" = 0 ] || fail "db1 ran $n step(s) after its certificate was revoked"
! faults_agent_online db1 || fail "the controller lists db1 online again with its revoked certificate"
refusals=$(ctl_since | grep -c "refused peer $(lab_addr db1).*certificate revoked" || true)
out=$(lab_check_old_ready) || fail "$out"; pass "$out"
pass "rolled back without db1, which ran nothing after the revocation and is still offline ($refusals refusals)"
