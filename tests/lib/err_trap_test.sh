#!/bin/bash
# err_trap_test.sh -- tests/lib/err_trap.sh says why a test script exits under `set -e` (the script, the
# line, the command, the status, the functions it happened in), at the top level, inside functions,
# command substitutions and subshells; says nothing where a failure does not end the script; and every
# shell test sources it (directly or through the library it sources).
set -euo pipefail
src=${ALFUP_SOURCE_DIR:?}
source "$src/tests/lib/err_trap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# probe NAME BODY -- writes BODY as a script that sources err_trap.sh under set -euo pipefail, runs it;
# sets OUT (stdout and stderr) and RC.
probe() {
    printf 'set -euo pipefail\nsource "%s/tests/lib/err_trap.sh"\n%s\n' "$src" "$2" > "$work/$1.sh"
    set +e
    OUT=$(cd "$work" && bash "$1.sh" 2>&1)
    RC=$?
    set -e
}
# expect_line PATTERN WHAT -- OUT holds a line matching the extended regex PATTERN.
expect_line() { grep -Eq -- "$1" <<<"$OUT" || fail "$2: no line matching '$1' in:"$'\n'"$OUT"; }

probe top 'status() { return "$1"; }
echo before
status 3
echo after'
[ "$RC" = 3 ] || fail "top level: exit $RC, expected 3"
expect_line '^FAIL: top\.sh:5: `return "\$1"` exited 3$' "top level"   # bash names the function's last command
expect_line '^  line 5: status 3$' "top level: the line's text"
! grep -q after <<<"$OUT" || fail "top level: the script went on"
pass "a failure at the top level names the script, the line, the command and its status"

# What controller_killed_phase4_test.sh did: a function whose last test fails, in a command
# substitution assigned inside a function. Before err_trap.sh the script exited 1 without a word.
probe nested 'mtime() { local f=$1; [ -f "$f" ] && echo 1; }
collect() {
    local t
    t=$(mtime /nonexistent)
    echo "never $t"
}
collect'
[ "$RC" = 1 ] || fail "nested: exit $RC, expected 1"
expect_line '^FAIL: nested\.sh:6: `t=\$\(mtime /nonexistent\)` exited 1$' "substitution in a function"
expect_line '^  in collect\(\) called at nested\.sh:9$' "substitution in a function: the caller"
pass "a failed command substitution inside a function is reported with the function and its caller"

probe sub '( cd / && grep -q no-such-text /dev/null )'
[ "$RC" = 1 ] || fail "subshell: exit $RC, expected 1"
expect_line '^FAIL: sub\.sh:3: `grep -q no-such-text /dev/null` exited 1$' "inside the subshell"
expect_line '^FAIL: sub\.sh:3: `\( cd / && grep -q no-such-text /dev/null \)` exited 1$' "the subshell itself"
pass "a failure inside a subshell is reported, then the subshell's own exit"

probe quiet 'f() { false; }
if f; then :; fi
f || true
! f
out=$(f) || true
x=$(false; echo went-on)
while f; do :; done
g() { grep -q no-such-text /dev/null && echo found; return 0; }
g
err_trap_hook() { echo "hook ran"; }
echo "quiet end $x"
exit 0'
[ "$RC" = 0 ] && [ "$OUT" = "quiet end went-on" ] || fail "failures that do not end the script said something (exit $RC):"$'\n'"$OUT"
pass "failures in if, while, ||, !, and in command substitutions that go on say nothing"

probe hook 'err_trap_hook() { echo "hook ran in $BASHPID"; }
x=$( (exit 4) )'
[ "$RC" = 4 ] || fail "hook: exit $RC, expected 4"
[ "$(grep -c "hook ran" <<<"$OUT")" = 1 ] || fail "err_trap_hook did not run exactly once:"$'\n'"$OUT"
pass "err_trap_hook runs once, in the script's own shell"

# Every shell test reports its exits: it sources err_trap.sh itself or through e2e-lib.sh or lab.sh.
missing=""
for t in "$src"/tests/e2e/*_test.sh "$src"/tests/integration/*.sh "$src"/tests/lab/lab-up.sh; do
    case $t in */hostile-lib.sh | */*-lib.sh) continue ;; esac  # libraries, sourced after lab.sh
    grep -Eq 'source .*/(err_trap|e2e-lib|lab)\.sh"' "$t" || missing+=" ${t#"$src"/}"
done
[ -z "$missing" ] || fail "shell tests that do not source err_trap.sh:$missing"
grep -q 'source .*err_trap\.sh' "$src/tests/e2e/e2e-lib.sh" && grep -q 'source .*err_trap\.sh' "$src/tests/lib/lab.sh" ||
    fail "e2e-lib.sh and lab.sh must source err_trap.sh"
pass "every shell test sources err_trap.sh"
echo "err_trap test: all passed"
