#!/bin/bash
# prestaged_controller_killed_test.sh -- e2e: in one prestaged upgrade (issue 11) the controller is killed
# (SIGKILL) three times and started again, and `resume` finishes the run each time: (1) while the online base
# copy of the contentstore runs (online.max_mb_per_s 8 and 48 MiB more content make it last seconds; started
# again at once, so the step is still running on the agent and its result comes to the paused run), (2) while
# the run waits at the cutover gate, (3) while the contentstore delta runs (128 MiB written after the base).
# Production writes through the prepare phase and the base copy until the gate. After each kill the agents go on
# with the steps they hold (for (3) they finish them first, so the results wait in their result stores until the
# controller is back) and the restarted run is paused until resumed. At the decommission gate: every step ran
# exactly once (one journal row, one agent result and one
# "started" line per step id, no retry), results recorded while the controller was down are kept, the new
# repository is ready with every content file (sha-256) and row count, the old system is unchanged since the
# stop, the delta archive holds each file once; and the backup set restores on its own (docs/runs.md,
# "Restoring a backup set"): alfup-agent --restore-set rebuilds base + delta into an empty folder equal, file by
# file, to the old contentstore at the stop, and the old database's dump restored with pg_restore into an empty
# database equals the old database (md5 of every table's ordered rows).
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-run-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-writes.sh"
e2e_lab_up
source "$ALFUP_SOURCE_DIR/tests/e2e/prestaged-faults-lib.sh"
pf_content 2024/12/31/23/59/big-before-the-run.bin 48
pf_plan --online-mb 8

# kill_and_restart STEP... -- kills the controller, waits until the agents finished the steps in flight (at
# least one of STEP... must be), restarts it paused; sets WHILE_DOWN to the steps whose result the agents
# recorded while it was down.
kill_and_restart() {
    local killed_ms restart_ms inflight id step host t
    fr_kill_controller
    killed_ms=$(fr_now_ms)
    inflight=$(fr_sql "select group_concat(step_id, ' ') from steps where step_id like '$RUN.%' and state not in ('succeeded', 'failed', 'skipped')")
    for step in "$@"; do
        [[ " $inflight " == *" $RUN.$step@"* ]] || fail "$step not in flight when the controller was killed (in flight: ${inflight:-none})"
    done
    fr_wait_agents_done "$inflight" 180 || fail "the agents did not finish the steps they took while the controller was down"
    restart_ms=$(fr_now_ms)
    fr_restart_paused
    WHILE_DOWN=()
    for id in $inflight; do
        step=${id#"$RUN".} host=${step##*@} step=${step%@*}
        t=$(fr_result_mtime_ms "$host" "$step")
        if [ -n "$t" ] && [ "$t" -gt "$killed_ms" ] && [ "$t" -lt "$restart_ms" ]; then WHILE_DOWN+=("$step@$host"); fi
    done
}

# status_wait_gate GATE -- status --wait exits 5 with the run waiting at GATE.
status_wait_gate() {
    local rc
    set +e; lab_ctl status "$RUN" --wait > "$LAB_DIR/logs/wait-$1.out" 2>&1; rc=$?; set -e
    [ "$rc" = 5 ] || { tail -n 40 "$LAB_DIR/logs/wait-$1.out" >&2; fail "status --wait exited $rc, expected 5 (at gate $1)"; }
    [ "$(e2e_json 's["waiting_for"]')" = "$1" ] || fail "waiting for $(e2e_json 's["waiting_for"]'), not $1"
}

lab_writer_start --add 4000 --orphan 1000 --interval-ms 100
RUN=$(lab_ctl run "$LAB_DIR/plan.yaml") || fail "run: $RUN"
RUN=$(echo "$RUN" | head -n1)

# 1. During the base copy, started again at once: base-content still runs on repo1 (at 8 MiB/s at least 5 s
# remain), and its result reaches the restarted controller while the run is paused.
pf_wait_in_flight repo1 base-content "$LAB_BACKUPS/$RUN/contentstore-base.tar.zst" 4
fr_kill_controller
[ "$(fr_sql "select state from steps where step_id = '$RUN.base-content@repo1'")" = sent ] ||
    fail "base-content was not in flight when the controller was killed"
restart_ms=$(fr_now_ms)
fr_restart_paused
fr_wait_agents_done "$RUN.base-content@repo1" 120 || fail "base-content did not finish after the restart"
t=$(fr_result_mtime_ms repo1 base-content)
[ "$t" -gt "$restart_ms" ] || fail "base-content finished before the controller was started again"
fr_wait_journal base-content succeeded 60 || fail "base-content's result, delivered while paused, was not recorded"
[ "$(lab_run_state "$RUN")" = paused ] || fail "the run left its pause by itself"
pass "killed during the base copy and started again at once; base-content went on running on repo1 and its result was recorded while the run was paused"
lab_ctl resume "$RUN" >/dev/null || fail "resume after kill 1"
status_wait_gate cutover
out=$(lab_check_old_ready) || fail "old system not serving at the cutover gate: $out"
pass "resumed: the run reached the cutover gate, production serving"

# 2. At the cutover gate.
kill_and_restart
lab_ctl resume "$RUN" >/dev/null || fail "resume after kill 2"
status_wait_gate cutover
pass "killed at the cutover gate; restarted paused; resume brought it back to the gate"

lab_writer_stop 30 || fail "the lab writer did not finish after SIGTERM"
added=$(lab_writer_field added) moved=$(lab_writer_field moved)
[ "$added" -gt 0 ] && [ "$moved" -gt 0 ] || fail "the writer added $added files and moved $moved orphans"
# After the base, before the stop: one big file into an old date folder, one into a new one.
pf_content 2024/12/31/23/59/big-after-the-base.bin 64
pf_content 2026/12/8/0/1/big-after-the-base.bin 64
lab_snapshot_old "$LAB_DIR/snapshot"
pass "production wrote $added files and moved $moved orphans until the gate; 128 MiB more after the base"

# 3. During the contentstore delta.
lab_ctl approve "$RUN" cutover >/dev/null || fail "approve cutover"
pf_wait_in_flight repo1 delta-content "$LAB_BACKUPS/$RUN/contentstore-delta.tar.zst" 2
kill_and_restart delta-content
[ "${#WHILE_DOWN[@]}" -ge 1 ] || fail "no step finished while the controller was down"
pass "killed during the delta; restarted paused; finished while it was down: ${WHILE_DOWN[*]}"
delta_s=$(sqlite3 "$LAB_DIR/ctl/journal.db" "select json_extract(outputs_json, '$.seconds') from steps where step_id = '$RUN.delta-content@repo1'" 2>/dev/null || true)
delta_down=("${WHILE_DOWN[@]}")

fr_resume_to_gate
for sh in base-content@repo1 "${delta_down[@]}"; do
    [ "$(fr_sql "select state from steps where step_id = '$RUN.$sh'")" = succeeded ] || fail "$sh: result lost"
    [ "$(fr_sql "select outputs_json is not null and outputs_json != '' from steps where step_id = '$RUN.$sh'")" = 1 ] ||
        fail "$sh: the journal holds no outputs"
done
pass "resumed run reached the decommission gate; results kept: base-content (recorded while paused), ${delta_down[*]} (while the controller was down)"
fr_check_once
pass "journal: one row per step id for all $FR_PLANNED steps, no retry ($FR_RESENT asked again with the same id); agents: one result and one start per step id"
[ "$(grep -c "Schema upgrade from schema" "$LAB_NEW_HOME/tomcat/logs/catalina.out")" = 1 ] || fail "schema upgraded more than once"

out=$(lab_check_content) || fail "$out"; pass "$out"
out=$(lab_check_content_rows "$LAB_NEW_DIR_ROOT") || fail "$out"; pass "$out (new dir.root)"
out=$(lab_check_db_counts) || fail "$out"; pass "$out"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"
out=$(pf_archive_unique "$LAB_BACKUPS/$RUN/contentstore-delta.tar.zst") || fail "$out"
pass "contentstore delta archive: $out, each once (the delta took ${delta_s:-?} s)"

out=$(pf_restore_set "$LAB_BACKUPS/$RUN/contentstore-base.tar.zst" "$LAB_BACKUPS/$RUN/contentstore-delta.tar.zst" \
    "$LAB_BACKUPS/$RUN/database.dump") || fail "restore-set"
pass "${out//$'\n'/; }"
e2e_approve_decommission
