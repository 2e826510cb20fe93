#!/bin/bash
# console_test.sh -- e2e: the console page (docs/console.md) in a real browser, Debian's headless Chromium driven
# through the DevTools protocol (puppeteer-core, tests/browser/), with operators' client certificates in the
# browser's NSS database. One lab run: the approver's page follows it live (steps, progress, the downtime
# clock) to its decommission gate; a viewer's page shows no action button and a forged approve from it is
# refused with 403 and audited; the approver approves on the page through its confirmation, the run
# succeeds, and the journal's audit trail names the approver. Also: the page's files with their types and
# CSP, and nothing outside the fixed list of files served. ALFUP_CONSOLE_SHOTS=DIR keeps the screenshots.
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] || fail "$CHROMIUM is missing: deploy/install-deps.sh test installs Debian's chromium"
command -v pk12util >/dev/null || fail "pk12util is missing: deploy/install-deps.sh test installs libnss3-tools"
node_dir=$ALFUP_BUILD_DIR/browser-node
bash "$E2E_SRC/tests/browser/install-puppeteer.sh" "$node_dir" || fail "puppeteer-core could not be installed"
pass "chromium $("$CHROMIUM" --version 2>/dev/null | awk '{print $2}'), puppeteer-core in $node_dir"

e2e_lab_up
url=$(lab_console_url)
ca=$LAB_DIR/ca
certs() { bash "$E2E_SRC/certs/alfup-certs" "$@" >/dev/null; }
echo "console-test" > "$E2E_DIR/p12.pw"
certs issue "$ca" operator op-approver --roles approver --p12-password-file "$E2E_DIR/p12.pw"
certs issue "$ca" operator op-viewer --roles viewer --p12-password-file "$E2E_DIR/p12.pw"

# ---- the page's files, as curl sees them (the lab's operator) ----
fetch() {  # fetch PATH -- headers and body of GET PATH, the path sent as it is
    lab_exec ctl curl -sS --max-time 30 --path-as-is -i --cacert "$ca/ca.pem" --cert "$ca/lab-operator.pem" \
        --key "$ca/lab-operator.key" "${url%/}$1"
}
page=$(fetch /) || fail "GET / failed: $page"
grep -qi '^content-type: text/html' <<<"$page" || fail "/ is not text/html: $(head -n 12 <<<"$page")"
grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" <<<"$page" || fail "/ has no strict CSP"
grep -q '<script src="/console.js"' <<<"$page" || fail "/ is not the console page"
grep -qi '^content-type: text/javascript' <<<"$(fetch /console.js)" || fail "/console.js is not text/javascript"
grep -qi '^content-type: text/css' <<<"$(fetch /console.css)" || fail "/console.css is not text/css"
for bad in /../../../etc/passwd /console/../../api_server.c /api_server.c /index.html/ /%2e%2e/etc/passwd /CMakeLists.txt; do
    out=$(fetch "$bad") || true
    head -n 1 <<<"$out" | grep -q ' 404' || fail "GET $bad: $(head -n 1 <<<"$out"), expected 404"
    grep -q 'root:' <<<"$out" && fail "GET $bad served a file outside the console"
done
pass "/ is the console (text/html, strict CSP), its script and style with their types; paths outside the fixed list are 404"
whoami=$(fetch /api/v1/whoami | sed -n '/^\r\{0,1\}$/,$p')
python3 -c 'import json,sys; w=json.loads(sys.argv[1]); assert w["name"]=="lab-operator" and w["may"]["approve"] and w["may"]["cancel"], w' \
    "$whoami" || fail "whoami: $whoami"
pass "GET /api/v1/whoami names the certificate and what its roles allow"

# ---- a browser profile per operator: an NSS database with its certificate, the CA trusted, and the
# content setting that picks the certificate for the console's origin without asking ----
browser_home() {  # browser_home NAME -- prints the HOME for NAME's browser
    local home=$E2E_DIR/browser/$1 origin=${url%/}
    mkdir -p "$home/.pki/nssdb" "$home/profile/Default"
    certutil -N -d "sql:$home/.pki/nssdb" --empty-password
    certutil -A -d "sql:$home/.pki/nssdb" -n "alfup lab CA" -t "C,," -i "$ca/ca.pem"
    pk12util -i "$ca/$1.p12" -d "sql:$home/.pki/nssdb" -w "$E2E_DIR/p12.pw" >/dev/null
    python3 - "$origin" > "$home/profile/Default/Preferences" <<'PY'
import json, sys
rule = {sys.argv[1] + ",*": {"setting": {"filters": [{}]}}}
print(json.dumps({"profile": {"content_settings": {"exceptions": {"auto_select_certificate": rule}}}}))
PY
    echo "$home"
}
approver_home=$(browser_home op-approver)
viewer_home=$(browser_home op-viewer)
shots=${ALFUP_CONSOLE_SHOTS:-$E2E_DIR/shots}
mkdir -p "$shots"

# ---- one run, followed by the pages ----
ready=$E2E_DIR/page-ready
lab_exec ctl env NODE_PATH="$node_dir/node_modules" CONSOLE_URL="$url" APPROVER_HOME="$approver_home" \
    VIEWER_HOME="$viewer_home" GATE=decommission SHOTS="$shots" READY_FILE="$ready" \
    node "$E2E_SRC/tests/browser/console_drive.js" > "$E2E_DIR/drive.json" 2> "$E2E_DIR/drive.err" &
driver=$!
for i in $(seq 600); do [ -f "$ready" ] && break; kill -0 "$driver" 2>/dev/null || break; sleep 0.1; done
[ -f "$ready" ] || { cat "$E2E_DIR/drive.err" >&2; fail "the approver's page did not come up"; }
pass "the approver's page is up (Chromium, op-approver's certificate)"
RUN=$(lab_ctl run "$LAB_DIR/plan.yaml") || fail "run: $RUN"
RUN=$(head -n 1 <<<"$RUN")
set +e; wait "$driver"; rc=$?; set -e
[ "$rc" = 0 ] || { cat "$E2E_DIR/drive.err" >&2; fail "the browser driver exited $rc"; }
result=$(cat "$E2E_DIR/drive.json")
check() {  # check PYTHON-EXPRESSION WHAT -- on the driver's result (bound to r)
    python3 -c "import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if ($1) else 1)" "$result" || fail "$2: $result"
    pass "$2"
}
check 'r["problems"] == []' "no script error, CSP violation or failed request on the pages"
check "r['run'] == '$RUN'" "the page followed run $RUN without a reload"
check 'r["sawRunning"] and r["succeededCounts"] >= 3 and r["sawDowntime"] and r["shotRunning"]' \
    "steps seen running and succeeding live, the downtime clock shown during the cutover"
check '"op-approver" in r["who"] and r["approverButtons"] == ["approve"]' "the approver sees its identity and only Approve"
check '"op-viewer" in r["viewerWho"] and r["viewerButtons"] == []' "the viewer sees no action button"
check 'r["forged"]["status"] == 403 and "approve needs the role approver" in r["forged"]["body"]' \
    "a forged approve from the viewer's page: 403"
check '"decommission" in r["confirmText"] and r["approved"] == "approve 200"' "the approver approved on the page after its confirmation"
check 'r["finalState"] == "succeeded" and r["clock"].startswith("downtime")' "the page shows the run succeeded, with its downtime"
[ "$(e2e_json 's["state"]')" = succeeded ] || fail "run $RUN is $(e2e_json 's["state"]') after the approval on the page"

# ---- the journal's audit trail ----
audit=$(python3 - "$LAB_DIR/ctl/journal.db" "$RUN" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
for who, action, status, source in db.execute(
        "select who, action, status, source from audit where run_id = ? order by id", (sys.argv[2],)):
    print(who, action, status, source)
PY
) || fail "reading the audit trail"
grep -qx "op-viewer approve 403 api" <<<"$audit" || fail "the viewer's forged approve is not audited: $audit"
grep -qx "op-approver approve 200 api" <<<"$audit" || fail "the audit trail does not name the approver: $audit"
pass "the journal's audit trail: op-viewer's approve refused (403), op-approver's approve (200)"
ls "$shots"/console-{running,gate,viewer,confirm,done}.png >/dev/null || fail "screenshots missing in $shots"
pass "screenshots in $shots"
