#!/bin/bash
# prestaged_upgrade_test.sh -- e2e: the prestaged upgrade (workflow alfresco-upgrade-prestaged, issue 11) of the
# lab while production writes. The lab writer adds content files and rows to the OLD repository and lets the
# orphan cleaner move some, from before the run until the run waits at the cutover gate (approve: [cutover]):
# through the prepare phase, the online base copy and after it. There the writer is stopped, the old system is
# snapshotted, and the cutover is approved. The base copy runs with online.settle_s 2 (the lab's store was just
# generated: with the default 600 s every file would count as recent and be copied again by the delta). At
# the decommission gate: the new repository is ready on the upgraded schema, every content file (the writer's
# and the moved orphans included) is in the new store with its sha-256, every content row has its file, every
# row count is equal, the old system is unchanged since the cutover, and the contentstore delta re-listed fewer
# folders than the base recorded and added fewer files than the base held (but some: production wrote during and
# after the base copy). The downtime (stop-old's start to verify-restored's end) is printed.
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-configs.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-writes.sh"
e2e_lab_up

lab_plan_yaml --workflow alfresco-upgrade-prestaged --staging --settle-s 2
sed -i 's/^approve: \[decommission\]$/approve: [cutover, decommission]/' "$LAB_DIR/plan.yaml"
grep -qx 'approve: \[cutover, decommission\]' "$LAB_DIR/plan.yaml" || fail "plan: approve line not rewritten"
lab_ctl plan check "$LAB_DIR/plan.yaml" > "$LAB_DIR/logs/plan-check.out" 2>&1 ||
    { cat "$LAB_DIR/logs/plan-check.out" >&2; fail "plan check"; }

# Production writes while the run prepares and copies the base, until the cutover gate (an action every 0.1 s,
# 4 adds for each orphan move; far more actions than the run to the gate leaves time for).
lab_writer_start --add 4000 --orphan 1000 --interval-ms 100
e2e_run_wait 5
[ "$(e2e_json 's["waiting_for"]')" = cutover ] || fail "not waiting at the cutover gate: $(e2e_json 's["waiting_for"]')"
[ "$(e2e_json '[p["id"] for p in s["phases"] if any(x["state"] != "pending" for x in p["steps"])]')" = \
    "$(e2e_json '(lambda ids: ids[:ids.index("cutover")])([p["id"] for p in s["phases"]])')" ] || fail "phases run before the cutover gate: $(e2e_json '[p["id"] for p in s["phases"] if any(x["state"] != "pending" for x in p["steps"])]')"
[ "$(e2e_json 'sum(1 for p in s["phases"][:[p["id"] for p in s["phases"]].index("cutover")] for x in p["steps"] if x["state"] != "succeeded")')" = 0 ] ||
    fail "a step before the cutover did not succeed"
out=$(lab_check_old_ready) || fail "old repository not serving at the cutover gate: $out"
pass "run $RUN prepared and base-copied while production served; waiting for approve cutover ($out)"

lab_writer_stop 30 || fail "the lab writer did not finish after SIGTERM"
added=$(lab_writer_field added) moved=$(lab_writer_field moved)
[ "$added" -gt 0 ] && [ "$moved" -gt 0 ] || fail "the writer added $added files and moved $moved orphans"
pass "production wrote during the prepare phase: $added files added, $moved orphans moved"
lab_snapshot_old "$LAB_DIR/snapshot"

lab_ctl approve "$RUN" cutover >/dev/null || fail "approve cutover"
set +e; lab_ctl status "$RUN" --wait > "$LAB_DIR/logs/cutover.out" 2>&1; rc=$?; set -e
[ "$rc" = 5 ] || { tail -n 40 "$LAB_DIR/logs/cutover.out" >&2; fail "after approve cutover status --wait exited $rc, expected 5"; }
[ "$(e2e_json 's["waiting_for"]')" = decommission ] || fail "not waiting at the decommission gate"
[ "$(e2e_json 'sum(1 for p in s["phases"][:-1] for x in p["steps"] if x["state"] != "succeeded")')" = 0 ] ||
    fail "a step before the decommission did not succeed"
pass "cutover and complete-backup succeeded; waiting for approve decommission"

out=$(lab_check_new_ready) || fail "$out"; pass "$out"
[ "$(lab_psql "$LAB_NEW_DB" "select min(applied_to_schema) from alf_applied_patch where applied_to_schema > -1")" = 19200 ] ||
    fail "new database not at schema 19200"
[ "$(lab_psql postgres "select pg_catalog.pg_get_userbyid(datdba) from pg_database where datname = '$LAB_NEW_DB'")" = "$LAB_DB_USER" ] ||
    fail "new database not owned by $LAB_DB_USER"
pass "new database upgraded to schema 19200, owned by $LAB_DB_USER"
out=$(lab_check_content) || fail "$out"; pass "$out"
out=$(lab_check_content_rows "$LAB_NEW_DIR_ROOT") || fail "$out"; pass "$out (new dir.root)"
out=$(lab_check_db_counts) || fail "$out"; pass "$out"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"

# The delta's cost follows what changed: it re-listed fewer folders than the base recorded.
read -r relisted total added_files < <(e2e_json '" ".join(next(x for p in s["phases"] for x in p["steps"] if x["step"] == "delta-content")["outputs"][k] for k in ("folders_relisted", "folders_total", "files_added"))')
base_files=$(e2e_json 'next(x for p in s["phases"] for x in p["steps"] if x["step"] == "base-content")["outputs"]["files"]')
[ "$total" -gt 0 ] && [ "$relisted" -lt "$total" ] || fail "delta-content re-listed $relisted of $total folders"
[ "$added_files" -gt 0 ] && [ "$added_files" -lt "$base_files" ] ||
    fail "delta-content added $added_files files (the base held $base_files; production wrote $added files and moved $moved)"
pass "delta-content re-listed $relisted of $total folders, added $added_files files (the base held $base_files)"

# The downtime: stop-old's start until verify-restored's end.
downtime=$(e2e_json '(lambda f: "%.1f" % ((f("verify-restored")["finished_unix_ms"] - f("stop-old")["started_unix_ms"]) / 1000.0))(lambda n: next(x for p in s["phases"] for x in p["steps"] if x["step"] == n))')
base=$(e2e_json '"%.1f" % sum(float(x["elapsed_s"] or 0) for p in s["phases"] if p["id"] == "base-copy" for x in p["steps"] if x["step"] == "base-content")')
pass "downtime ${downtime} s (stop-old to verify-restored), base copy of the contentstore ${base} s while production served"

e2e_approve_decommission
