#!/bin/bash
# hostile_hello_drop_test.sh -- an agent that leaves right after its Hello while a step is in flight for it
# (issue 15, item 2). The real controller runs a one-step run whose step went to repo1; then, again and again,
# a session with repo1's certificate completes its handshake, sends its Hello and closes its DEALER, the
# controller stopped meanwhile so that it reads the Hello after the peer is gone: its re-send of the step
# fails (EHOSTUNREACH) and drops that session inside the peer-up callback. The controller must live through
# it without a sanitizer report, and re-send the step to the next session that stays.
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/lab.sh"
source "$ALFUP_SOURCE_DIR/tests/integration/held-step-lib.sh"
ROUNDS=${ALFUP_HELLO_DROP_ROUNDS:-12}
work=$(mktemp -d)
dropper_pid=""
cleanup() {
    [ -n "$dropper_pid" ] && kill "$dropper_pid" 2>/dev/null || true
    [ -n "${LAB_CONTROLLER_PID:-}" ] && kill -CONT "$LAB_CONTROLLER_PID" 2>/dev/null || true
    lab_cleanup
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    echo "--- controller log" >&2; tail -n 40 "$work/logs/controller.log" >&2
    [ -f "$work/dropper.out" ] && { echo "--- hello_dropper" >&2; cat "$work/dropper.out" >&2; }
    exit 1
}
pass() { echo "ok - $*"; }

lab_init "$work"
held_step_lab 600000
lab_start_controller || fail "controller start"

"$ALFUP_BUILD_DIR/bin/hello_dropper" "tcp://127.0.0.1:$LAB_PORT" "$work/ca/ca.pem" "$work/ca/repo1.pem" \
    "$work/ca/repo1.key" repo1 "$ROUNDS" "$LAB_CONTROLLER_PID" > "$work/dropper.out" 2>&1 &
dropper_pid=$!
lab_wait_online 1 || fail "hello_dropper's first session online as repo1"
run=$(held_step_start_run) || fail "run: $run"
held_step_wait "$run" sent 10 || fail "step of $run journaled as sent"
pass "run $run has its step in flight on repo1"

rc=0
wait "$dropper_pid" || rc=$?
dropper_pid=""
kill -0 "$LAB_CONTROLLER_PID" 2>/dev/null || fail "the controller died (exit after $ROUNDS Hello-and-leave rounds)"
! grep -q -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$work/logs/controller.log" ||
    fail "sanitizer report in the controller's log"
[ "$rc" = 0 ] || fail "hello_dropper exited $rc"
grep_all "step re-sent after $ROUNDS rounds: $run.hold-repo@repo1" "$work/dropper.out" ||
    fail "the step was not re-sent to the session that stayed"
# The case is only tested if some re-sends met a peer already gone.
lost=$(grep -c "agent repo1: send failed" "$work/logs/controller.log" || true)
[ "$lost" -gt 0 ] || fail "no re-send met a peer already gone: the test did not reproduce the case"
pass "controller alive after $ROUNDS sessions that left after their Hello ($lost re-sends met a peer already gone)"
[ "$(held_step_state "$run")" = sent ] || fail "step of $run is $(held_step_state "$run"), expected still sent"
pass "the step is still in flight and was re-sent to the next session"
echo "hostile hello-drop test: all passed"
