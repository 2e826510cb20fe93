#!/bin/bash
# plan_cli.sh -- `alfup-controller plan check` and `plan show` as an operator runs them: exit codes,
# FILE:LINE errors on stderr, valid JSON from `plan show --json`, the workflows folder lookup.
set -euo pipefail
src=${ALFUP_SOURCE_DIR:?}
source "$src/tests/lib/grep_all.sh"
source "$src/tests/lib/err_trap.sh"
ctl=${ALFUP_BIN:?}/alfup-controller
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

good=$src/deploy/examples/plan-prod-ecm.yaml
cluster=$src/deploy/examples/plan-cluster.yaml

# a good plan: exit 0, one line, nothing on stderr
out=$("$ctl" plan check "$good" 2>"$work/err") || fail "plan check of $good failed: $(cat "$work/err")"
[[ $out =~ ^$good:\ ok\ \(([0-9]+)\ steps\ on\ 3\ agents\)$ ]] || fail "unexpected output: $out"
[ ! -s "$work/err" ] || fail "stderr not empty: $(cat "$work/err")"
"$ctl" plan check "$cluster" | grep_all ': ok (.* steps on 5 agents)' || fail "cluster plan"

# a bad plan: exit 1, every error as FILE:LINE: on stderr, nothing on stdout
sed -e 's#^  home: /opt/alfresco-v2$#  home: /opt/alfresco-v1/v2#' \
    -e 's#^  database: alfresco_v2$#  database: alfresco#' \
    -e 's#^  solr1: \[solr\]$#  solr1: [search]#' \
    -e 's#^approve: .*#approve: [decommission]\ncolour: blue#' "$good" > "$work/bad.yaml"
set +e
"$ctl" plan check "$work/bad.yaml" >"$work/out" 2>"$work/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "bad plan: exit $rc, expected 1"
[ ! -s "$work/out" ] || fail "bad plan printed on stdout: $(cat "$work/out")"
line_of() { grep -n -- "$1" "$work/bad.yaml" | tail -1 | cut -d: -f1; }
expect() {   # expect PATTERN-IN-PLAN MESSAGE: an error at the (last) line matching PATTERN
    local line; line=$(line_of "$1")
    grep -qF "$work/bad.yaml:$line: " "$work/err" || fail "no error at line $line ($1): $(cat "$work/err")"
    grep -F "$work/bad.yaml:$line: " "$work/err" | grep_all -F -- "$2" || fail "line $line: no '$2' in $(cat "$work/err")"
}
expect '/opt/alfresco-v1/v2' 'lies inside old.home /opt/alfresco-v1'
expect '  database: alfresco$' 'is the old database'
expect 'solr1: \[search\]' "unknown role 'search'"
expect '^colour:' 'unknown key'
grep -v "^$work/bad.yaml:[0-9]*: " "$work/err" && fail "a message without FILE:LINE"

# a missing plan file and usage errors
set +e
"$ctl" plan check "$work/none.yaml" 2>"$work/err"; rc=$?
[ "$rc" = 1 ] && grep -q "$work/none.yaml: no such file" "$work/err" || fail "missing file: exit $rc $(cat "$work/err")"
"$ctl" plan explain "$good" 2>/dev/null; rc=$?
[ "$rc" = 2 ] || fail "unknown plan subcommand: exit $rc"
"$ctl" plan check 2>/dev/null; rc=$?
[ "$rc" = 2 ] || fail "plan check without a plan: exit $rc"
set -e

# plan show --json: one valid JSON object with the documented keys
"$ctl" plan show "$good" --json > "$work/show.json"
python3 -m json.tool "$work/show.json" > /dev/null || fail "plan show --json is not valid JSON"
python3 - "$work/show.json" <<'PY' || fail "plan show --json content"
import json, sys
d = json.load(open(sys.argv[1]))
for key in ("deployment", "workflow", "steps", "rollback"):
    assert key in d, key
assert d["deployment"] == "prod-ecm" and d["workflow"] == "alfresco-upgrade"
procs = set()
for s in d["steps"]:
    for key in ("id", "stage", "phase", "host", "kind", "params", "procedure", "gate"):
        assert key in s, (s.get("id"), key)
    procs.update(p.strip() for p in s["procedure"].split(","))
need = {"0", "1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8",
        "4.1", "4.2", "4.3", "4.4", "5"}
assert need <= procs, need - procs
assert all(s["gate"] == "decommission" for s in d["steps"] if s["phase"] == "decommission")
assert d["steps"][d["rollback_from"]]["id"] == "stop-old@repo1"
assert [s["id"] for s in d["rollback"]][-1] == "rb-start-old@repo1"
backup = next(s for s in d["steps"] if s["id"] == "backup-content@repo1")
assert backup["params"]["tree"] == ["/opt/alfresco-v1/alf_data/contentstore",
                                   "/opt/alfresco-v1/alf_data/contentstore.deleted"], backup["params"]
PY

# plan show (text) names every step with host, phase and procedure step
"$ctl" plan show "$good" > "$work/show.txt"
grep -q '^phase decommission:' "$work/show.txt" || fail "text: no decommission phase"
grep -q 'GATE decommission' "$work/show.txt" || fail "text: no gate line"
grep -q 'backup-database@db1 .*procedure 1.2 .*host db1 (db)  db-backup' "$work/show.txt" || fail "text: backup line"
grep -q '^rollback: runs automatically when step' "$work/show.txt" || fail "text: rollback section"

# the rough downtime estimate before any run: marked as such, unknown (nothing measured yet), its basis
# naming what is missing; the stop bounded by its timeout
prestaged=$src/deploy/examples/plan-prestaged.yaml
"$ctl" plan show "$prestaged" > "$work/show-prestaged.txt"
grep -q '^downtime estimate (rough, before any run): unknown' "$work/show-prestaged.txt" ||
    fail "text: no rough downtime estimate: $(tail -4 "$work/show-prestaged.txt")"
grep -q 'basis: stop: none seen on repo1: at most its timeout 3600 s; db: UNKNOWN' "$work/show-prestaged.txt" ||
    fail "text: the estimate's basis: $(tail -4 "$work/show-prestaged.txt")"
"$ctl" plan show "$prestaged" --json > "$work/show-prestaged.json"
python3 - "$work/show-prestaged.json" <<'PY' || fail "plan show --json: downtime_estimate"
import json, sys
est = json.load(open(sys.argv[1]))["downtime_estimate"]
assert est["known"] is False and est["stop_ms"] == 3600000, est
assert "delta: UNKNOWN" in est["basis"] and "start: UNKNOWN" in est["basis"], est
PY

# workflows folder: --workflows wins over ALFUP_WORKFLOWS_DIR, which wins over the build tree
mkdir "$work/wf"
set +e
ALFUP_WORKFLOWS_DIR=$work/wf "$ctl" plan check "$good" 2>"$work/err"; rc=$?
[ "$rc" = 1 ] && grep -q "no workflow 'alfresco-upgrade' (looked for $work/wf/alfresco-upgrade.yaml)" "$work/err" \
    || fail "ALFUP_WORKFLOWS_DIR not used: $(cat "$work/err")"
set -e
ALFUP_WORKFLOWS_DIR=$work/wf "$ctl" plan check "$good" --workflows "$src/deploy/workflows" >/dev/null \
    || fail "--workflows not used"
# a broken workflow is reported with its own file and line
sed 's/kind: wipe$/kind: wipe-everything/' "$src/deploy/workflows/alfresco-upgrade.yaml" > "$work/wf/alfresco-upgrade.yaml"
wline=$(grep -n 'kind: wipe-everything' "$work/wf/alfresco-upgrade.yaml" | cut -d: -f1)
set +e
"$ctl" plan check "$good" --workflows "$work/wf" 2>"$work/err"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "^$work/wf/alfresco-upgrade.yaml:$wline: .*unknown step kind 'wipe-everything'" "$work/err" \
    || fail "broken workflow: $(cat "$work/err")"
# rehearsal: (prestaged example): the rehearse phase only with the section; its overlaps refused at FILE:LINE
prestaged=$src/deploy/examples/plan-prestaged.yaml
"$ctl" plan show "$prestaged" | grep_all '^phase rehearse:' || fail "no rehearse phase in $prestaged"
"$ctl" plan show "$prestaged" | grep_all 'set.alfresco.cluster.enabled=false' || fail "no cluster override"
sed '/^rehearsal:/,/^    system.usages.enabled/d' "$prestaged" > "$work/norehearsal.yaml"
"$ctl" plan show "$work/norehearsal.yaml" > "$work/show.txt"
grep -q 'rehearse' "$work/show.txt" && fail "rehearse steps without a rehearsal: section"
sed -e 's#^  database: alfresco_rehearsal .*#  database: alfresco_v2#' \
    -e 's#^  dir_root: /opt/alfresco-v2/alf_data_rehearsal .*#  dir_root: /opt/alfresco-v1/alf_data/r#' \
    -e 's#^  service: alfresco-v2-rehearsal .*#  service: alfresco-v1#' \
    -e 's#^    system.usages.enabled: .*#    alfresco.cluster.enabled: "true"#' "$prestaged" > "$work/bad.yaml"
set +e
"$ctl" plan check "$work/bad.yaml" >"$work/out" 2>"$work/err"; rc=$?
set -e
[ "$rc" = 1 ] || fail "bad rehearsal: exit $rc"
expect '^  database: alfresco_v2$' "'alfresco_v2' is new.database"
expect '^  dir_root: /opt/alfresco-v1/alf_data/r$' 'overlaps old.dir_root'
expect '^  service: alfresco-v1$' "'alfresco-v1' is old.service"
expect 'alfresco.cluster.enabled: "true"' 'set by the rehearsal itself'
sed 's#^workflow: .*#workflow: alfresco-upgrade#' "$prestaged" > "$work/bad.yaml"
set +e
"$ctl" plan check "$work/bad.yaml" >"$work/out" 2>"$work/err"; rc=$?
set -e
[ "$rc" = 1 ] || fail "rehearsal with the seed workflow: exit $rc"
expect '^rehearsal:' 'workflow alfresco-upgrade has no rehearsal'
echo "plan_cli: ok"
