#!/bin/bash
# prestaged_validate_fail_test.sh -- e2e: in the prestaged upgrade (issue 11) the new repository crashes at its
# first start, the validation on its staging ports in the prepare phase (stand-in fault crash-after-start). That
# is before stop-old: the run ends failed, no rollback step ran, stop-old never ran, and the OLD repository was
# never stopped -- the same process answered its readiness probe throughout (polled every 200 ms in the
# background from before the run until after it ended: no answer other than 200), and the old files and database
# are unchanged; the crashed staging instance does not run.
export ALFUP_LAB_FAULT=crash-after-start
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-configs.sh"
e2e_lab_up
lab_plan_yaml --workflow alfresco-upgrade-prestaged --staging --settle-s 2
lab_snapshot_old "$LAB_DIR/snapshot"
old_pid=$(cat "$LAB_OLD_HOME/tomcat/temp/catalina.pid")

# The poller (tests/lab/lab-probe.sh): one process on repo1 probing the old repository every 200 ms
# ("UNIX_TIME CODE LATENCY_MS" lines into DIR/probes) until lab_probe_stop.
source "$ALFUP_SOURCE_DIR/tests/lab/lab-probe.sh"
lab_probe_start || fail "the probe poller did not start"
polls=$LAB_DIR/$LAB_PROBE_FILE_NAME

e2e_run_wait 1
# One more probe that began after the run ended, then the poller stops.
ended=$(date +%s.%N)
for _ in $(seq 100); do lab_probe_last_after "$ended" && break; sleep 0.1; done
lab_probe_stop || fail "the probe poller did not stop"

[ "$(e2e_json 's["state"]')" = failed ] || fail "state $(e2e_json 's["state"]')"
[ "$(e2e_json 's["failed_step"]["step"]')" = start-validate ] || fail "failed step $(e2e_json 's["failed_step"]["id"]')"
[ "$(e2e_json '[p["id"] for p in s["phases"] if any(x["state"] == "failed" for x in p["steps"])]')" = "['prepare']" ] ||
    fail "the failure is not in the prepare phase"
[ "$(e2e_json 'next(x for p in s["phases"] for x in p["steps"] if x["step"] == "stop-old")["state"]')" = pending ] ||
    fail "stop-old ran"
[ "$(e2e_json 'sum(1 for x in (s.get("rollback") or {}).get("steps", []) if x["state"] != "pending")')" = 0 ] ||
    fail "rollback steps ran: $(e2e_json 's.get("rollback")')"
[ "$(e2e_json '(s.get("rollback") or {}).get("rounds", 0)')" = 0 ] || fail "rollback rounds $(e2e_json 's["rollback"]')"
pass "run $RUN failed at start-validate@repo1 in the prepare phase; stop-old never ran, no rollback"

count=$(wc -l < "$polls") bad=$(awk '$2 != 200' "$polls" | wc -l)
span=$(awk 'NR == 1 {a = $1} {b = $1} END {printf "%.1f", b - a}' "$polls")
[ "$bad" = 0 ] || fail "the old repository's probe did not answer 200 $bad times of $count: $(awk '$2 != 200' "$polls" | head -n 5)"
# The probes cover the run: the first before its first step was sent, the last after its failed step ended.
first_step=$(e2e_json 'min(x["started_unix_ms"] for p in s["phases"] for x in p["steps"] if x["started_unix_ms"]) / 1000.0')
failed_end=$(e2e_json 's["failed_step"]["finished_unix_ms"] / 1000.0')
awk -v a="$first_step" -v b="$failed_end" 'NR == 1 {first = $1} {last = $1} END {exit !(first < a && last > b)}' "$polls" ||
    fail "the probes ($(head -n1 "$polls" | cut -d' ' -f1) .. $(tail -n1 "$polls" | cut -d' ' -f1)) do not cover the run ($first_step .. $failed_end)"
[ "$count" -ge 3 ] || fail "only $count probes in ${span} s"
pass "old repository answered its readiness probe $count of $count times over ${span} s (every 200 ms, from before the run's first step until after its failure)"
[ "$(cat "$LAB_OLD_HOME/tomcat/temp/catalina.pid")" = "$old_pid" ] || fail "the old repository's process changed"
out=$(lab_check_old_ready) || fail "$out"; pass "${out/running again/still running} (same process as before the run)"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"
