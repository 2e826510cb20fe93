#!/bin/bash
# hostile_replay_test.sh -- a real alfup-agent gets the same step request (same step id) again
# after the step finished, while it runs, and after the agent restarted: every answer is the
# recorded result (same times, same outputs), the agent logs one start, and the step's side
# effect happens once. A new step id does run again (the control that makes the test able to fail).
# The controller's side is step_replayer: channel_server with the controller's certificate.
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/lab.sh"
source "$ALFUP_SOURCE_DIR/tests/integration/hostile-lib.sh"
hostile_repo_test
home=$work/hosts/repo1
mkdir -p "$home/v1" "$home/v2/alf_data/contentstore"
for f in a b c; do echo "$f" > "$home/v2/alf_data/contentstore/$f.bin"; done

replay() { # replay STEP_ID KIND [step_replayer options...]
    local id=$1 kind=$2
    shift 2
    "$ALFUP_BUILD_DIR/bin/step_replayer" --listen "tcp://127.0.0.1:$LAB_PORT" --ca "$work/ca/ca.pem" \
        --cert "$work/ca/ctl.pem" --key "$work/ca/ctl.key" --agent repo1 --id "$id" --kind "$kind" "$@"
}
wipe_params=(--param "path=$home/v2/alf_data" --param "old_home=$home/v1")
starts() { grep -c "step $1 ($2) started" "$work/logs/repo1.log" || true; }

lab_start_agent repo1
out=$(replay wipe.replay.1 wipe "${wipe_params[@]}" --no-ack) || fail "first request: $out"
echo "$out"
first=$(echo "$out" | grep '^answer:' | head -n 1)
echo "$first" | grep_all "status=succeeded .*files_removed=3" || fail "first run wiped the three files: $out"
[ -z "$(ls -A "$home/v2/alf_data")" ] || fail "alf_data emptied by the first run"
echo canary > "$home/v2/alf_data/canary"
pass "the wipe ran once and emptied alf_data"

# Replayed after it finished (the result not yet acknowledged, then acknowledged).
out=$(replay wipe.replay.1 wipe "${wipe_params[@]}" --times 2) || fail "replay: $out"
echo "$out"
[ "$(echo "$out" | grep -c '^answer:')" -eq 2 ] || fail "two answers to two replays: $out"
[ "$(echo "$out" | grep '^answer:' | sort -u)" = "$first" ] || fail "replayed answers differ from the recorded result: $out"
echo "$out" | grep_all -xF "resent:${first#answer:}" || fail "the unacknowledged result re-sent on reconnecting: $out"
[ -f "$home/v2/alf_data/canary" ] || fail "the replay wiped alf_data again"
[ "$(starts wipe.replay.1 wipe)" -eq 1 ] || fail "agent log shows one start of wipe.replay.1"
pass "a replayed request after the step finished gets the recorded result; the wipe did not run again"

# The agent restarts: the record is on disk.
kill "$LAB_PID_repo1"; wait "$LAB_PID_repo1" 2>/dev/null || true
lab_start_agent repo1
out=$(replay wipe.replay.1 wipe "${wipe_params[@]}") || fail "replay after restart: $out"
echo "$out"
[ "$(echo "$out" | grep '^answer:')" = "$first" ] || fail "answer after the agent restart differs: $out"
echo "$out" | grep_all '^resent:' && fail "an acknowledged result was re-sent: $out"
[ -f "$home/v2/alf_data/canary" ] || fail "the replay after the restart wiped alf_data again"
[ "$(starts wipe.replay.1 wipe)" -eq 1 ] || fail "agent log shows one start of wipe.replay.1 across the restart"
pass "after an agent restart the replay is answered from the result store on disk; no second run"

# Duplicates while the step runs: one run, one answer; a later replay gets the same answer.
out=$(replay ping.replay.1 ping --param payload=x --param hold_ms=1500 --burst 3) || fail "burst: $out"
echo "$out"
echo "$out" | grep_all -x 'answers=1' || fail "three copies sent while running got one answer: $out"
ping_first=$(echo "$out" | grep '^answer:')
out=$(replay ping.replay.1 ping --param payload=x --param hold_ms=1500) || fail "ping replay: $out"
[ "$(echo "$out" | grep '^answer:')" = "$ping_first" ] || fail "ping replay answer differs: $out"
[ "$(starts ping.replay.1 ping)" -eq 1 ] || fail "agent log shows one start of ping.replay.1"
pass "copies of a request sent while the step runs start nothing more; the later replay gets its result"

# The control: a new step id does run, so a second execution would have been seen.
out=$(replay wipe.replay.2 wipe "${wipe_params[@]}") || fail "new step id: $out"
echo "$out" | grep_all '^answer: status=succeeded .*files_removed=1' || fail "a new step id wipes the canary: $out"
[ ! -e "$home/v2/alf_data/canary" ] || fail "canary left by a new step id"
pass "a new step id runs the wipe again (the canary is gone)"
echo "hostile replay test: all passed"
