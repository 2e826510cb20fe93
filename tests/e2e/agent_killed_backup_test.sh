#!/bin/bash
# agent_killed_backup_test.sh -- e2e (issue 5, faults): repo1's agent is killed (SIGKILL) while it writes the
# contentstore backup (backup-tree, 160 MiB more content so it lasts seconds), and started again. The run goes
# on by itself and reaches the decommission gate: the controller asked the same step id again, the agent ran
# it again as an interrupted step, the cut-off attempt's partial file was removed and never used, the final
# archive verifies on its own (its sha-256, and every file of its manifest read back with zstd and tar), and
# the new repository is ready with every content file and every table's row count.
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-lib.sh"
e2e_lab_up
faults_big_content 160
journal=$LAB_DIR/ctl/journal.db

RUN=$(lab_ctl run "$LAB_DIR/plan.yaml") || fail "run: $RUN"
RUN=$(echo "$RUN" | head -n1)
archive=$LAB_BACKUPS/$RUN/contentstore.tar.zst
partial=$(faults_wait_path "$archive.tmp.*" 60 $((32 * 1024 * 1024))) ||
    fail "the contentstore backup's temporary file never reached 32 MiB"
[ ! -e "$archive" ] || fail "the backup finished before the agent could be killed"
faults_kill_agent repo1 || fail "could not kill repo1's agent"
[ ! -e "$archive" ] || fail "the archive appeared although the agent was killed during the backup"
[ -f "$partial" ] || fail "the killed backup left no partial file ($partial)"
pass "repo1's agent killed with SIGKILL during backup-content; partial $(basename "$partial") ($(stat -c %s "$partial") bytes) left"

faults_wait_online repo1 15 offline || fail "the controller still lists repo1 online"
[ "$(e2e_json 's["state"]')" = running ] || fail "run state $(e2e_json 's["state"]') while repo1 is down"
[ "$(e2e_json '[x["state"] for p in s["phases"] for x in p["steps"] if x["id"] == "backup-content@repo1"][0]')" = running ] ||
    fail "backup-content is not waiting for its agent"
pass "repo1 offline; the run waits (running, backup-content still running)"

lab_start_agent repo1
faults_wait_online repo1 20 || fail "repo1 did not come back online"
faults_status_wait 120 "$LAB_DIR/logs/status.out"
[ "$RC" != 124 ] || fail "the run did not finish within 120 s of the agent's restart: $(tail -n 30 "$LAB_DIR/logs/status.out")"
[ "$RC" = 5 ] || { tail -n 60 "$LAB_DIR/logs/status.out" >&2; fail "status --wait exited $RC (expected 5: at the gate)"; }
[ "$(e2e_json 'sum(1 for p in s["phases"][:-1] for x in p["steps"] if x["state"] != "succeeded")')" = 0 ] ||
    fail "a step before the decommission did not succeed"
pass "agent restarted; the run reached the decommission gate with every step succeeded"

# The same step id again, run again as interrupted: no new attempt, no result from the killed attempt.
[ "$(sqlite3 "$journal" "select count(*) from steps where step_id like '$RUN.backup-content@%'")" = 1 ] ||
    fail "backup-content has more than one journal row"
[ "$(sqlite3 "$journal" "select sends from steps where step_id = '$RUN.backup-content@repo1'")" -ge 2 ] ||
    fail "backup-content was not asked again after the restart"
grep -q "step $RUN.backup-content@repo1 was interrupted by an agent restart; running it again" \
    "$LAB_DIR/logs/agent-repo1.log" || fail "the agent did not run backup-content again as interrupted"
[ "$(grep -c "step $RUN.backup-content@repo1 (backup-tree) started" "$LAB_DIR/logs/agent-repo1.log")" = 2 ] ||
    fail "backup-content did not start exactly twice (killed attempt, and again)"
[ "$(e2e_json '[x["outputs"].get("recovered", "no") for p in s["phases"] for x in p["steps"] if x["id"] == "backup-content@repo1"][0]')" = no ] ||
    fail "an archive of the killed attempt was taken as complete"
steplog=$(e2e_json '"; ".join([x["log"] for p in s["phases"] for x in p["steps"] if x["id"] == "backup-content@repo1"][0])')
pass "backup-content asked again with the same step id, run again as interrupted, written anew (its log: ${steplog:-empty})"

# No partial file was left or used; the final archive verifies without alfup.
[ ! -e "$partial" ] || fail "the killed attempt's partial file $partial is still there"
left=$(find "$LAB_BACKUPS" -name '*.tmp.*' -o -name '*.partial' | head -n3)
[ -z "$left" ] || fail "temporary files left in the backups folder: $left"
out=$(faults_verify_archive "$archive") || fail "final archive: $out"
sha=$(sha256sum "$archive" | cut -d' ' -f1)
[ "$(e2e_json '[x["outputs"]["archive_sha256"] for p in s["phases"] for x in p["steps"] if x["id"] == "backup-content@repo1"][0]')" = "$sha" ] ||
    fail "backup-content reported another sha-256 than the archive's $sha"
[ "$(e2e_json '[x["outputs"]["archive_sha256"] for p in s["phases"] for x in p["steps"] if x["id"] == "verify-content@repo1"][0]')" = "$sha" ] ||
    fail "verify-content verified another archive than $sha"
files=$(find "$LAB_OLD_DIR_ROOT/contentstore" "$LAB_OLD_DIR_ROOT/contentstore.deleted" -type f | wc -l)
[ "${out%% *}" = "$files" ] || fail "the archive holds ${out%% *} files, the old contentstores $files"
pass "no partial file left; final archive: $out (every file of both contentstores), reported and verified by the run"

out=$(lab_check_new_ready) || fail "$out"; pass "$out"
out=$(lab_check_content) || fail "$out"; pass "$out"
out=$(lab_check_db_counts) || fail "$out"; pass "$out"
