# e2e-lib.sh -- what every end-to-end test shares (source me): a lab in a fresh folder, taken down and
# shellcheck shell=bash
# removed on exit whatever happens, and fail/pass helpers that show the logs on failure.
set -euo pipefail
E2E_SRC=${ALFUP_SOURCE_DIR:?ALFUP_SOURCE_DIR must name the source tree}
export ALFUP_BIN=${ALFUP_BIN:-${ALFUP_BUILD_DIR:?}/bin}
export ALFUP_LAB_FILES=${ALFUP_LAB_FILES:-1200}
export ALFUP_LAB_START_TIMEOUT_S=${ALFUP_LAB_START_TIMEOUT_S:-20}
source "$E2E_SRC/tests/lab/lab-lib.sh"
source "$E2E_SRC/tests/lab/lab-verify.sh"
source "$E2E_SRC/tests/lib/grep_all.sh"
source "$E2E_SRC/tests/lib/err_trap.sh"

E2E_DIR=$(mktemp -d /tmp/alfup-e2e.XXXXXX)
e2e_cleanup() {
    local rc=$?
    "$E2E_SRC/tests/lab/lab-down.sh" "$E2E_DIR" || true
    # A sanitizer report in any daemon's or service's log fails the test (sanitized builds).
    if grep -l -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$E2E_DIR"/logs/*.log \
        "$E2E_DIR"/hosts/*/opt/*/tomcat/logs/catalina.out "$E2E_DIR"/hosts/*/opt/*/logs/solr.log 2>/dev/null; then
        echo "FAIL: sanitizer report in the logs above" >&2
        grep -h -A12 -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$E2E_DIR"/logs/*.log >&2 || true
        rc=1
    fi
    if [ "$rc" = 0 ] || [ -z "${ALFUP_E2E_KEEP_FAILED:-}" ]; then rm -rf "$E2E_DIR"; fi
    exit "$rc"
}
trap e2e_cleanup EXIT

# e2e_show_lab -- the controller's status and the tail of every log of the lab (on stderr).
e2e_show_lab() {
    [ -n "${LAB_DIR:-}" ] || return 0
    echo "--- status" >&2
    lab_ctl status 2>/dev/null | tail -n 40 >&2 || true
    local f
    for f in "$LAB_DIR"/logs/*.log; do echo "--- $f" >&2; tail -n 15 "$f" >&2 || true; done
}
# A command that fails under set -e: err_trap.sh names it, then the lab is shown as fail() shows it.
err_trap_hook() { e2e_show_lab; }

fail() {
    echo "FAIL: $*" >&2
    e2e_show_lab
    exit 1
}
pass() { echo "ok - $*"; }

# e2e_lab_up -- lab-up.sh into E2E_DIR (env ALFUP_LAB_* as set by the test), then lab_load.
e2e_lab_up() {
    "$E2E_SRC/tests/lab/lab-up.sh" "$E2E_DIR" > "$E2E_DIR.up.log" 2>&1 || { cat "$E2E_DIR.up.log" >&2; rm -f "$E2E_DIR.up.log"; fail "lab-up"; }
    rm -f "$E2E_DIR.up.log"
    lab_load "$E2E_DIR"
    pass "lab up ($LAB_MODE mode, $ALFUP_LAB_FILES content files)"
}

# e2e_run_wait [EXPECTED_RC] -- run the plan with --wait; sets RUN and RC; fails unless RC is expected.
e2e_run_wait() {
    set +e
    lab_ctl run "$LAB_DIR/plan.yaml" --wait > "$LAB_DIR/logs/run.out" 2>&1
    RC=$?
    set -e
    RUN=$(head -n1 "$LAB_DIR/logs/run.out")
    [[ "$RUN" == run-* ]] || fail "run printed no run id: $(head -n5 "$LAB_DIR/logs/run.out")"
    [ "$RC" = "$1" ] || { tail -n 70 "$LAB_DIR/logs/run.out" >&2; fail "run --wait exited $RC, expected $1"; }
}

# e2e_json EXPR -- evaluates a python expression on the run's status --json (bound to s).
e2e_json() {
    lab_ctl status "$RUN" --json | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"
}

# e2e_old_repo_mark -- remembers how often the old repository has logged a stop and its Tomcat's pid
# (E2E_OLD_STOPS, E2E_OLD_PID), for e2e_nothing_stopped.
e2e_old_repo_mark() {
    E2E_OLD_STOPS=$(grep -c "Stopping" "$LAB_OLD_HOME/tomcat/logs/catalina.out" || true)
    E2E_OLD_PID=$(cat "$LAB_OLD_HOME/tomcat/temp/catalina.pid")
}

# e2e_failed_at_preflight -- fails unless the run ($RUN) failed, at its preflight step.
e2e_failed_at_preflight() {
    [ "$(e2e_json 's["state"]')" = failed ] || fail "state $(e2e_json 's["state"]')"
    [ "$(e2e_json 's["failed_step"]["kind"]')" = preflight ] || fail "failed step $(e2e_json 's["failed_step"]["id"]')"
}

# e2e_nothing_stopped -- fails unless no step after the run's preflight ran, the old repository logged no stop
# and runs as the same process since e2e_old_repo_mark, and the old system answers its probes.
e2e_nothing_stopped() {
    local out
    [ "$(e2e_json 'sum(1 for p in s["phases"][1:] for x in p["steps"] if x["state"] != "pending")')" = 0 ] ||
        fail "steps after the preflight ran"
    [ "$(grep -c "Stopping" "$LAB_OLD_HOME/tomcat/logs/catalina.out" || true)" = "$E2E_OLD_STOPS" ] ||
        fail "the old repository logged a stop"
    [ "$(cat "$LAB_OLD_HOME/tomcat/temp/catalina.pid")" = "$E2E_OLD_PID" ] || fail "the old repository was restarted"
    out=$(lab_check_old_ready) || fail "$out"
}

# e2e_approve_decommission -- approves RUN's decommission and follows it: the run succeeds, the old
# installations and the old database are gone, and the new repository is still ready.
e2e_approve_decommission() {
    local rc out
    lab_ctl approve "$RUN" decommission >/dev/null || fail "approve decommission"
    set +e; lab_ctl status "$RUN" --wait > "$LAB_DIR/logs/decommission.out" 2>&1; rc=$?; set -e
    [ "$rc" = 0 ] || fail "after the approval status --wait exited $rc"
    [ "$(e2e_json 's["state"]')" = succeeded ] || fail "run not succeeded"
    [ ! -e "$LAB_OLD_HOME" ] && [ ! -e "$LAB_OLD_SOLR" ] || fail "old installations still there"
    [ -z "$(lab_psql postgres "select 1 from pg_database where datname = '$LAB_OLD_DB'")" ] || fail "old database still there"
    out=$(lab_check_new_ready) || fail "after the decommission: $out"
    pass "decommission approved: old installations and database removed, run succeeded, new repository still ready"
}
