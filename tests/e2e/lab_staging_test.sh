#!/bin/bash
# lab_staging_test.sh -- e2e: the lab's staging services (issue 11) start the NEW home on the staging ports
# while nothing answers for it on the production ports, and their stop stops that instance; the lab plan with
# --staging names them and passes plan check. Runs the shipped workflow to the decommission gate (the new homes
# exist and run there), then drives each service's start/stop exactly as agent.yaml configures it.
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-configs.sh"
e2e_lab_up

# service_field HOST SERVICE FIELD -- a field of a service in HOST's agent.yaml as lab-configs.sh writes it
# ("  NAME:" then "    FIELD: VALUE"; a flow list "[a, b]" is printed one item per line).
service_field() {
    awk -v svc="  $2:" -v field="    $3: " '
        $0 == svc { inside = 1; next }
        inside && /^  [^ ]/ { inside = 0 }
        inside && index($0, field) == 1 {
            value = substr($0, length(field) + 1)
            if (value ~ /^\[.*\]$/) { gsub(/^\[|\]$/, "", value); gsub(/, /, "\n", value) }
            print value; exit
        }' "$LAB_DIR/hosts/$1/agent.yaml"
}

# run_argv HOST SERVICE start|stop -- runs the configured command on HOST; prints nothing, returns its status.
run_argv() {
    local argv
    mapfile -t argv < <(service_field "$1" "$2" "$3")
    lab_exec "$1" "${argv[@]}" >> "$LAB_DIR/logs/staging-test.log" 2>&1
}

# wait_code HOST URL CODE -- until URL answers CODE from HOST (20 s).
wait_code() {
    local _
    for _ in $(seq 200); do
        [ "$(lab_http_code "$1" "$2")" = "$3" ] && return 0
        sleep 0.1
    done
    return 1
}

for pair in "repo1 $LAB_REPO_STAGING_SERVICE $LAB_REPO_STAGING_PORT" "solr1 $LAB_SOLR_STAGING_SERVICE $LAB_SOLR_STAGING_PORT"; do
    read -r host svc port <<< "$pair"
    [ "$(service_field "$host" "$svc" pidfile)" = "$(service_field "$host" "${svc%-staging}" pidfile)" ] ||
        fail "$svc: not the same pidfile as ${svc%-staging}"
    service_field "$host" "$svc" ready_url | grep_all ":$port/" || fail "$svc: ready_url not on port $port"
done
if [ "$LAB_REPO_STAGING_PORT" = "$LAB_REPO_PORT" ] || [ "$LAB_SOLR_STAGING_PORT" = "$LAB_SOLR_PORT" ]; then
    fail "staging ports equal to the production ports"
fi
pass "agent configs: $LAB_REPO_STAGING_SERVICE on $LAB_REPO_STAGING_PORT, $LAB_SOLR_STAGING_SERVICE on $LAB_SOLR_STAGING_PORT, same pidfiles"

lab_plan_yaml --out "$LAB_DIR/plan-staging.yaml" --staging --online-mb 50
grep -qx "  staging_service: $LAB_REPO_STAGING_SERVICE" "$LAB_DIR/plan-staging.yaml" || fail "no new.staging_service in the plan"
grep -q "staging_service: $LAB_SOLR_STAGING_SERVICE," "$LAB_DIR/plan-staging.yaml" || fail "no new.solr.staging_service"
lab_ctl plan check "$LAB_DIR/plan-staging.yaml" > "$LAB_DIR/logs/plan-staging.out" 2>&1 ||
    { cat "$LAB_DIR/logs/plan-staging.out" >&2; fail "plan check of the staging plan"; }
pass "lab_plan_yaml --staging --online-mb 50: plan check passes"

e2e_run_wait 5
[ "$(e2e_json 's["waiting_for"]')" = decommission ] || fail "not waiting at the decommission gate"
out=$(lab_check_new_ready) || fail "$out"
pass "run $RUN at the decommission gate: the new homes exist and run on the production ports"

# One home runs one instance: the staging start is refused while production runs on the same home.
run_argv repo1 "$LAB_REPO_STAGING_SERVICE" start && fail "staging start succeeded while production runs the home"
pass "staging start refused while the production instance of the home runs"

check_staging() { # HOST PRODUCTION STAGING PRODUCTION_URL STAGING_URL
    local host=$1 prod=$2 staging=$3 prod_url=$4 staging_url=$5 pidfile
    pidfile=$(service_field "$host" "$prod" pidfile)
    run_argv "$host" "$prod" stop || fail "$prod stop"
    wait_code "$host" "$prod_url" 000 || fail "$prod still answers after its stop"
    run_argv "$host" "$staging" start || fail "$staging start"
    wait_code "$host" "$staging_url" 200 || fail "$staging: $staging_url does not answer 200"
    [ "$(lab_http_code "$host" "$prod_url")" = 000 ] || fail "$staging answers on the production port"
    [ -s "$pidfile" ] || fail "$staging: no pidfile $pidfile"
    run_argv "$host" "$staging" stop || fail "$staging stop"
    [ ! -e "$pidfile" ] || fail "$staging stop left $pidfile"
    [ "$(lab_http_code "$host" "$staging_url")" = 000 ] || fail "$staging still answers after its stop"
    run_argv "$host" "$prod" start || fail "$prod start again"
    wait_code "$host" "$prod_url" 200 || fail "$prod not ready again"
    pass "$staging: ready on the staging port only, stopped by its own stop; $prod ready again"
}
check_staging solr1 solr-v2 "$LAB_SOLR_STAGING_SERVICE" "$(lab_solr_ready_url)" "$(lab_solr_staging_ready_url)"
check_staging repo1 alfresco-v2 "$LAB_REPO_STAGING_SERVICE" "$(lab_repo_ready_url)" "$(lab_repo_staging_ready_url)"
