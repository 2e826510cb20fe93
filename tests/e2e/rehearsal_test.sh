#!/bin/bash
# rehearsal_test.sh -- e2e: the prestaged upgrade with a rehearsal (issue 12), one lab run for four checks.
# 1. A patch that fails only on production-sized data (stand-in fault failed-patch-over:500 in the new
#    distribution; production holds ~1800 rows): the validation on the empty database passes, the rehearsal
#    fails, the run ends failed with nothing stopped and nothing rolled back; the old repository's probe
#    answered 200 throughout (polled every 200 ms); the old installation, contentstore and database are
#    unchanged (digests); the rehearsal's database is kept with alf_bootstrap_lock, its folder is kept; the
#    failure lines are in status --json.
# 2. Isolation: the rehearsal ran on its own port with every override in its properties file (cluster off,
#    noindex, messaging/events/mail/jobs off), its log says so, and nothing was written into the new dir.root
#    by either rehearsal (digest after the failed one = digest at the cutover gate).
# 3. The operator removes the cause (the fault) and resumes: the rehearse phase runs again from its first step
#    (database dropped and copied again, lock gone); the controller is killed (SIGKILL) while the rehearsal's
#    repository upgrades the copy, restarted, and the run resumed: every rehearse step ran once in that
#    attempt; the rehearsal reports its measures; its database and folder are gone at the cutover gate.
# 4. The cutover is approved: the new repository serves, the run waits at the decommission gate.
export ALFUP_LAB_FAULT=failed-patch-over:500 ALFUP_LAB_US_PER_ROW=2000
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-run-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-configs.sh"
e2e_lab_up
lab_plan_yaml --workflow alfresco-upgrade-prestaged --staging --rehearsal --settle-s 2 \
    --extra "$(printf 'approve: [cutover, decommission]')"
sed -i '/^approve: \[decommission\]$/d' "$LAB_DIR/plan.yaml"
lab_snapshot_old "$LAB_DIR/snapshot"
old_pid=$(cat "$LAB_OLD_HOME/tomcat/temp/catalina.pid")
tree_digest() { python3 "$LAB_SRC/tests/lab/lab_tools.py" tree-digest "$1"; }

# The poller (tests/lab/lab-probe.sh): one process on repo1 probing the old repository every 200 ms
# ("UNIX_TIME CODE LATENCY_MS" lines into DIR/probes) until lab_probe_stop.
source "$ALFUP_SOURCE_DIR/tests/lab/lab-probe.sh"
lab_probe_start || fail "the probe poller did not start"
polls=$LAB_DIR/$LAB_PROBE_FILE_NAME

# --- 1. the rehearsal fails on production-sized data -------------------------------------------------
e2e_run_wait 1
[ "$(e2e_json 's["state"]')" = failed ] || fail "state $(e2e_json 's["state"]')"
[ "$(e2e_json 's["failed_step"]["step"]')" = rehearse-start ] || fail "failed step $(e2e_json 's["failed_step"]["id"]')"
step_state() { e2e_json "next(x for p in s['phases'] for x in p['steps'] if x['step'] == '$1')['state']"; }
[ "$(step_state start-validate)" = succeeded ] && [ "$(step_state start-custom)" = succeeded ] ||
    fail "the validation on the empty database did not pass"
for st in stop-old rehearse-drop-db rehearse-remove; do
    [ "$(step_state $st)" = pending ] || fail "$st ran"
done
[ "$(e2e_json '(s.get("rollback") or {}).get("rounds", 0)')" = 0 ] || fail "a rollback ran"
pass "validation on the empty database passed; the rehearsal failed; stop-old never ran, no rollback"
e2e_json 's["failed_step"]["error"]' | grep_all "Failed to apply patch" || fail "error: $(e2e_json 's["failed_step"]["error"]')"
e2e_json '"\n".join(s["failed_step"]["log"])' | grep_all "failed-patch-over:500" ||
    fail "status --json lacks the failure lines"
pass "status --json: the failed step's error and the log lines around the failure"
[ "$(lab_psql "$LAB_REHEARSAL_DB" "select to_regclass('alf_bootstrap_lock') is not null")" = t ] ||
    fail "the rehearsal database was not kept with alf_bootstrap_lock"
[ -d "$LAB_REHEARSAL_DIR_ROOT/contentstore" ] || fail "the rehearsal folder was not kept"
pass "the rehearsal's database is kept with alf_bootstrap_lock, and its folder"
[ "$(cat "$LAB_OLD_HOME/tomcat/temp/catalina.pid")" = "$old_pid" ] || fail "the old repository's process changed"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"
new_digest=$(tree_digest "$LAB_NEW_DIR_ROOT")

# --- 2. isolation ---------------------------------------------------------------------------------------
props=$LAB_NEW_HOME/tomcat/temp/rehearsal.properties
for kv in "dir.root=$LAB_REHEARSAL_DIR_ROOT" "alfresco.cluster.enabled=false" "index.subsystem.name=noindex" \
          "messaging.subsystem.autoStart=false" "events.subsystem.autoStart=false" "repo.event2.enabled=false" \
          "mail.host=rehearsal.alfup.invalid" "activities.feed.notifier.enabled=false" \
          "synchronization.syncOnStartup=false" "replication.enabled=false" "heartbeat.enabled=false"; do
    grep -qxF "$kv" "$props" || fail "$props lacks $kv"
done
grep_all "^db.url=.*/$LAB_REHEARSAL_DB\$" < "$props" || fail "$props: db.url is not the rehearsal's database"
log=$LAB_NEW_HOME/tomcat/logs/catalina.out
grep_all "Clustering is disabled" < "$log" || fail "the rehearsal did not run alone"
grep_all "http-nio-.*-$LAB_REPO_REHEARSAL_PORT" < "$log" || fail "the rehearsal did not listen on its own port"
pass "the rehearsal ran on port $LAB_REPO_REHEARSAL_PORT, alone, with every override in $props"

# --- 3. fixed, resumed, controller killed during the rehearsal, resumed again ---------------------------
rm -f "$LAB_NEW_HOME/standin-fault"
lab_ctl resume "$RUN" > /dev/null || fail "resume"
# until_found FILE PATTERN SECONDS -- polls every 20 ms; 1 when PATTERN never appears in FILE.
until_found() {
    local _
    for _ in $(seq $(($3 * 50))); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.02; done
    return 1
}
until_found "$LAB_DIR/logs/agent-repo1.log" "step $RUN\.rehearse-start@repo1\.a2 (rehearsal-start) started" 180 ||
    fail "the agent never started the rehearsal again"
fr_kill_controller
[ ! -e "$LAB_DIR/hosts/repo1/state/results/$RUN.rehearse-start@repo1.a2.result" ] ||
    fail "the rehearsal's start was over before the controller was killed"
pass "controller killed (SIGKILL) while the rehearsal's repository upgrades the copy"
for _ in $(seq 600); do
    [ -e "$LAB_DIR/hosts/repo1/state/results/$RUN.rehearse-start@repo1.a2.result" ] && break
    sleep 0.2
done
[ -e "$LAB_DIR/hosts/repo1/state/results/$RUN.rehearse-start@repo1.a2.result" ] ||
    fail "the agent did not finish the rehearsal's start"
fr_restart_paused
lab_ctl resume "$RUN" > /dev/null || fail "resume after the restart"
set +e; lab_ctl status "$RUN" --wait > "$LAB_DIR/logs/resume.out" 2>&1; rc=$?; set -e
[ "$rc" = 5 ] || { tail -n 40 "$LAB_DIR/logs/resume.out" >&2; fail "status --wait exited $rc (expected 5: at the cutover gate)"; }
[ "$(e2e_json 's["waiting_for"]')" = cutover ] || fail "waiting at $(e2e_json 's["waiting_for"]')"
for st in rehearse-stop-left rehearse-db rehearse-content rehearse-start rehearse-stop rehearse-drop-db rehearse-remove; do
    [ "$(step_state $st)" = succeeded ] || fail "$st: $(step_state $st)"
    n=$(fr_sql "select count(*) from steps where step_id like '$RUN.$st@%'")
    [ "$n" -le 2 ] || fail "$st has $n journal rows"
done
rows=$(lab_psql "$LAB_OLD_DB" "select (select count(*) from alf_node) + (select count(*) from alf_content_url)")
out() { e2e_json "next(x for p in s['phases'] for x in p['steps'] if x['step'] == '$1')['outputs'].get('$2')"; }
schema_ms=$(out rehearse-start schema_update_ms)
[ "$schema_ms" -ge $((rows * ALFUP_LAB_US_PER_ROW / 1000)) ] || fail "schema_update_ms $schema_ms for $rows rows"
[ "$(out rehearse-start patches_applied)" = 3 ] || fail "patches_applied $(out rehearse-start patches_applied)"
[ "$(out rehearse-db db_bytes)" -gt 0 ] && [ "$(out rehearse-db copy_ms)" -gt 0 ] || fail "no database copy measures"
[ "$(out rehearse-content files_linked)" -gt 0 ] || fail "no file was linked from the base copy"
pass "rehearsal redone from its first step: schema update $schema_ms ms for $rows rows, start to ready $(out rehearse-start start_to_ready_ms) ms, 3 patches; copy $(out rehearse-db db_bytes) bytes in $(out rehearse-db copy_ms) ms; $(out rehearse-content files_linked) files linked"
[ -z "$(lab_psql postgres "select 1 from pg_database where datname = '$LAB_REHEARSAL_DB'")" ] ||
    fail "the rehearsal database is still there"
[ ! -e "$LAB_REHEARSAL_DIR_ROOT" ] || fail "the rehearsal folder is still there"
pass "the rehearsal's database and folder are gone at the cutover gate"
grep_all "noindex\]: nothing is indexed" < "$log" || fail "the rehearsal indexed"
grep_all "Outbound subsystems: messaging=off events=off event2=off mail=rehearsal.alfup.invalid ldap-sync-on-start=off replication=off transfer-receiver=off heartbeat=off" < "$log" ||
    fail "the rehearsal's outbound subsystems were not all off"
pass "the rehearsal indexed nothing and ran with messaging, events, mail, LDAP sync, replication, transfer and heartbeat off"
[ "$(tree_digest "$LAB_NEW_DIR_ROOT")" = "$new_digest" ] || fail "the new dir.root changed during the rehearsal"
pass "nothing was written into the new dir.root (same digest after both rehearsals)"

# The poller stops: production answered throughout both rehearsals.
lab_probe_stop || fail "the probe poller did not stop"
count=$(wc -l < "$polls") bad=$(awk '$2 != 200' "$polls" | wc -l)
[ "$bad" = 0 ] || fail "the old repository's probe did not answer 200 $bad times of $count: $(awk '$2 != 200' "$polls" | head -n 5)"
[ "$count" -ge 10 ] || fail "only $count probes"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"
[ "$(cat "$LAB_OLD_HOME/tomcat/temp/catalina.pid")" = "$old_pid" ] || fail "the old repository's process changed"
pass "the old repository answered 200 to all $count probes (every 200 ms) through both rehearsals; old files and database unchanged"

# --- 4. the cutover -------------------------------------------------------------------------------------
lab_ctl approve "$RUN" cutover > /dev/null || fail "approve cutover"
set +e; lab_ctl status "$RUN" --wait > "$LAB_DIR/logs/cutover.out" 2>&1; rc=$?; set -e
[ "$rc" = 5 ] || { tail -n 40 "$LAB_DIR/logs/cutover.out" >&2; fail "after the cutover status --wait exited $rc"; }
[ "$(e2e_json 's["waiting_for"]')" = decommission ] || fail "not at the decommission gate"
out=$(lab_check_new_ready) || fail "$out"
out=$(lab_check_db_counts) || fail "$out"
pass "cutover approved: the new repository serves, row counts kept, the run waits at the decommission gate"
