#!/bin/bash
# fleet_cli.sh -- `alfup-controller fleet check` and `fleet show` as an operator runs them on the shipped example
# and on broken copies: exit codes, FILE:LINE errors (the fleet's and its plans'), the timeline as text and JSON.
set -euo pipefail
src=${ALFUP_SOURCE_DIR:?}
source "$src/tests/lib/err_trap.sh"
ctl=${ALFUP_BIN:?}/alfup-controller
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

example=$src/deploy/examples/fleet-example.yaml

# the example: exit 0, one line, nothing on stderr
out=$("$ctl" fleet check "$example" 2>"$work/err") || fail "fleet check of $example failed: $(cat "$work/err")"
[ "$out" = "$example: ok (2 deployments in 2 waves, every plan checked)" ] || fail "unexpected output: $out"
[ ! -s "$work/err" ] || fail "stderr not empty: $(cat "$work/err")"

# a copy elsewhere: its relative plan paths are taken from its own folder, so they must be there too
mkdir "$work/fleet" && cp "$example" "$work/fleet/fleet.yaml"
set +e
"$ctl" fleet check "$work/fleet/fleet.yaml" >"$work/out" 2>"$work/err"; rc=$?
set -e
[ "$rc" = 1 ] || fail "copy without its plans: exit $rc, expected 1"
grep -qF "$work/fleet/fleet.yaml:6: key 'deployments.prod-ecm': plan file '$work/fleet/plan-prestaged.yaml' not found" \
    "$work/err" || fail "missing plan not reported at its line: $(cat "$work/err")"
cp "$src/deploy/examples/plan-prestaged.yaml" "$src/deploy/examples/plan-cluster-prestaged.yaml" "$work/fleet/"
"$ctl" fleet check "$work/fleet/fleet.yaml" >/dev/null || fail "copy with its plans refused"

# a plan of the seed workflow: no cutover gate for the fleet to approve, refused at the deployment's line
mkdir "$work/seed" && cp "$example" "$work/seed/fleet.yaml"
cp "$src/deploy/examples/plan-prod-ecm.yaml" "$work/seed/plan-prestaged.yaml"
cp "$src/deploy/examples/plan-cluster-prestaged.yaml" "$work/seed/"
set +e
"$ctl" fleet check "$work/seed/fleet.yaml" >/dev/null 2>"$work/err"; rc=$?
set -e
[ "$rc" = 1 ] || fail "a plan without the cutover gate: exit $rc, expected 1"
grep -qF "$work/seed/fleet.yaml:6: key 'deployments.prod-ecm': plan 'plan-prestaged.yaml' (workflow alfresco-upgrade) has no 'cutover' gate" \
    "$work/err" || fail "a plan without the cutover gate not reported at its line: $(cat "$work/err")"

# a broken fleet and a broken plan: exit 1, every error as FILE:LINE on stderr, nothing on stdout
sed -e 's#^  timezone: Europe/Berlin#  timezone: Europe/Atlantis#' \
    -e 's#^  rrule: FREQ=WEEKLY;BYDAY=SA#  rrule: FREQ=WEEKLY;BYDAY=SATURDAY#' \
    -e 's#^    deployments: \[cluster\]#    deployments: [cluster, prod-ecm]#' \
    -e 's#^failure_threshold: 1 .*#failure_threshold: 150%#' "$example" > "$work/fleet/bad.yaml"
sed -i 's#^  home: /opt/alfresco-v2$#  home: /opt/alfresco-v1/v2#' "$work/fleet/plan-prestaged.yaml"
set +e
"$ctl" fleet check "$work/fleet/bad.yaml" >"$work/out" 2>"$work/err"; rc=$?
set -e
[ "$rc" = 1 ] || fail "bad fleet: exit $rc, expected 1"
[ ! -s "$work/out" ] || fail "bad fleet printed on stdout: $(cat "$work/out")"
expect() {   # expect FILE PATTERN-IN-FILE MESSAGE: an error at the line matching PATTERN
    local line; line=$(grep -n -- "$2" "$1" | head -1 | cut -d: -f1)
    [ -n "$line" ] || fail "test bug: no '$2' in $1"
    grep -F "$1:$line: " "$work/err" | grep -qF -- "$3" || fail "$1:$line: no '$3' in: $(cat "$work/err")"
}
expect "$work/fleet/bad.yaml" 'Europe/Atlantis' "unknown time zone 'Europe/Atlantis'"
expect "$work/fleet/bad.yaml" 'BYDAY=SATURDAY' 'refused by libical'
expect "$work/fleet/bad.yaml" 'deployments: \[cluster, prod-ecm\]' "'prod-ecm' is already in wave 'canary'"
expect "$work/fleet/bad.yaml" 'failure_threshold' "'150%' is not a failure threshold"
expect "$work/fleet/plan-prestaged.yaml" '/opt/alfresco-v1/v2' 'lies inside old.home'
[ "$(wc -l < "$work/err")" = 5 ] || fail "expected exactly 5 errors: $(cat "$work/err")"

# usage errors: exit 2
set +e
"$ctl" fleet show "$example" --from yesterday >/dev/null 2>&1; rc1=$?
"$ctl" fleet frobnicate "$example" >/dev/null 2>&1; rc2=$?
set -e
[ "$rc1" = 2 ] && [ "$rc2" = 2 ] || fail "usage errors: exit $rc1 and $rc2, expected 2"

# the timeline: windows in Berlin time (DST does not move them), the blackout cut, the waves' windows
out=$("$ctl" fleet show "$example" --from 2027-03-19T00:00 --windows 3)
grep -qF 'estimates: unknown' <<<"$out" || fail "show does not say the estimates are unknown: $out"
grep -qxF '  2027-03-20 01:00 -> 2027-03-20 05:00' <<<"$out" || fail "window before DST: $out"
grep -qxF '  2027-03-27 01:00 -> 2027-03-27 03:00 (part of the window at 2027-03-27 01:00, cut by a blackout)' \
    <<<"$out" || fail "window cut by the monthly blackout: $out"
grep -qxF '  2027-04-10 01:00 -> 2027-04-10 05:00' <<<"$out" || fail "after DST (and the Easter freeze): $out"
grep -qF 'cutovers in the window 2027-03-20 01:00 -> 2027-03-20 05:00; prepare from 2027-03-19 13:00' <<<"$out" \
    || fail "canary's window: $out"
grep -qF 'cutovers in the window 2027-03-27 01:00 -> 2027-03-27 03:00' <<<"$out" || fail "second wave's window: $out"

json=$("$ctl" fleet show "$example" --from 2027-03-19T00:00:00Z --json --windows 2)
python3 - "$json" <<'PY' || fail "show --json: $json"
import json, sys
d = json.loads(sys.argv[1])
assert d["estimates"] == "unknown", d
assert [w["start"] for w in d["windows"]] == ["2027-03-20T00:00:00Z", "2027-03-27T00:00:00Z"], d["windows"]
assert d["windows"][1]["end"] == "2027-03-27T02:00:00Z", d["windows"][1]
assert [w["name"] for w in d["waves"]] == ["canary", "rest"], d["waves"]
assert d["waves"][0]["prepare_from"] == "2027-03-19T12:00:00Z", d["waves"][0]
assert d["waves"][1]["deployments"][0]["estimate_s"] is None
PY
echo "fleet_cli: ok"
