#!/bin/bash
# tomcat_slow_stop_test.sh -- a real Tomcat 10 (Debian's tomcat10, Java 17) laid out as an Alfresco install,
# the repository stand-in webapp inside it (tests/standins/tomcat-webapp) on a real PostgreSQL, driven by a
# real alfup-agent through catalina.sh with CATALINA_PID: start, a stop slower than catalina.sh's 5 s, and a
# start right after. Both starts succeed, the stop says catalina.sh gave up, no stale pidfile or zombie is left
# -- also when nothing above the agent reaps (it runs under tests/lib/non_reaping_parent.py).
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/lab.sh"
source "$ALFUP_SOURCE_DIR/tests/lib/pg_harness.sh"
source "$ALFUP_SOURCE_DIR/tests/lib/tomcat_home.sh"
READY_PATH=/alfresco/api/-default-/public/alfresco/versions/1/probes/-ready-
SHUTDOWN_DELAY_MS=9000      # catalina.sh stop waits 5 s
STEP_TIMEOUT_S=90

work=$(mktemp -d /tmp/alfup-tc.XXXXXX)
chmod 755 "$work"
home=$work/hosts/repo1/opt/alfresco
jvms=()     # every JVM this test's Tomcat ran as (catalina.pid), killed at exit
cleanup() {
    local rc=$? pid
    lab_cleanup
    jvms+=("$(cat "$home/tomcat/temp/catalina.pid" 2>/dev/null || true)")
    for pid in "${jvms[@]}"; do   # only while the pid is still this test's JVM
        [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-Dcatalina.base=$home/tomcat " &&
            kill -KILL "$pid" 2>/dev/null || true
    done
    pg_harness_stop "$work/pg" >/dev/null 2>&1 || true
    [ "$rc" = 0 ] || [ -z "${ALFUP_E2E_KEEP_FAILED:-}" ] || { echo "kept $work" >&2; exit "$rc"; }
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND exited $?" >&2' ERR
fail() {
    echo "FAIL: $*" >&2
    echo "--- agent log" >&2; tail -n 20 "$work/logs/repo1.log" >&2 || true
    echo "--- catalina.out" >&2; tail -n 40 "$home/tomcat/logs/catalina.out" >&2 || true
    exit 1
}
pass() { echo "ok - $*"; }

# PostgreSQL, the webapp, the Tomcat home, the agent
mkdir -p "$work/pg"
pg_harness_start "$work/pg" >/dev/null || fail "PostgreSQL did not start"
pg_harness_psql "create role alfresco login password 'alfresco'" "create database alfresco owner alfresco" >/dev/null
bash "$ALFUP_SOURCE_DIR/tests/standins/tomcat-webapp/build-war.sh" "$work/war" || fail "the webapp did not build"
lab_init "$work"
http_port=$(lab_free_port)
shutdown_port=$(lab_free_port)
[ "$http_port" != "$shutdown_port" ] || shutdown_port=$(lab_free_port)
tomcat_home_make "$home" "$http_port" "$shutdown_port" "jdbc:postgresql://127.0.0.1:$PGPORT/alfresco" \
    "$work/war/alfresco.war" "$SHUTDOWN_DELAY_MS" || fail "Tomcat home"
lab_certs
lab_agent_cert repo1 repo
lab_agent_config repo1
cat >> "$work/repo1.yaml" <<YAML
services:
  alfresco:
    start: [$home/alfresco.sh, start]
    stop: [$home/alfresco.sh, stop]
    pidfile: $home/tomcat/temp/catalina.pid
    log: $home/tomcat/logs/catalina.out
    ready_url: http://127.0.0.1:$http_port$READY_PATH
    started: "Alfresco Content Services started"
    failed: ["=== Failed to apply patch ===", "Please follow an incremental upgrade", "SEVERE"]
    start_timeout_s: 60
    stop_timeout_s: 40
YAML
# The agent runs under a parent that adopts orphans and never reaps them (a container whose PID 1 does not
# reap): only the agent itself, as a subreaper, can keep an exited JVM from staying a zombie that
# catalina.sh start takes for a running Tomcat.
python3 "$ALFUP_SOURCE_DIR/tests/lib/non_reaping_parent.py" "$LAB_BIN/alfup-agent" --config "$work/repo1.yaml" \
    >> "$work/logs/repo1.log" 2>&1 &
LAB_PIDS+=("$!")
pass "Tomcat 10 home (CATALINA_BASE $home/tomcat, http $http_port, shutdown $shutdown_port), PostgreSQL $PGPORT, agent up"

n=0
# step KIND -- one service step on the agent; sets OUT (its answer line) and fails unless it succeeded.
step() {
    n=$((n + 1))
    OUT=$("$ALFUP_BUILD_DIR/bin/step_replayer" --listen "tcp://127.0.0.1:$LAB_PORT" --ca "$work/ca/ca.pem" \
        --cert "$work/ca/ctl.pem" --key "$work/ca/ctl.key" --agent repo1 --id "tomcat.$n" --kind "$1" \
        --param service=alfresco --timeout-s "$STEP_TIMEOUT_S" | grep '^answer:' | tail -n 1) || true
    [[ "$OUT" == "answer: status=succeeded "* ]] || fail "$1 (step tomcat.$n): ${OUT:-no answer}"
}
# out KEY -- KEY's value in OUT's outputs
out() { echo "$OUT" | sed -n 's/.* outputs=//p' | tr ';' '\n' | sed -n "s/^$1=//p"; }
probe() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$http_port$READY_PATH" || true; }

step service-start
first=$(cat "$home/tomcat/temp/catalina.pid")
jvms+=("$first")
[ "$(probe)" = 200 ] || fail "probe after the first start: $(probe)"
[ -d "$home/tomcat/webapps/alfresco/WEB-INF" ] || fail "Tomcat did not unpack webapps/alfresco.war"
grep -q "Connected to database PostgreSQL" "$home/tomcat/logs/catalina.out" || fail "no database line"
pass "first start: JVM $first, probe 200, ready after $(out ready_after_ms) ms"

step service-stop
stop_out=$OUT
[ "$(out stop_command_gave_up)" = yes ] || fail "catalina.sh stop should have given up before the JVM exited: $OUT"
[ "$(out killed)" = no ] || fail "the agent should not have had to kill Tomcat: $OUT"
[ "$(out pidfile_removed)" = yes ] || fail "the stale pidfile was not removed: $OUT"
[ "$(out stop_ms)" -ge "$SHUTDOWN_DELAY_MS" ] || fail "the stop took less than the webapp's shutdown: $OUT"
[ ! -e "$home/tomcat/temp/catalina.pid" ] || fail "catalina.pid left after the stop: $(cat "$home/tomcat/temp/catalina.pid")"
[ ! -e "/proc/$first" ] || fail "JVM $first is still in /proc: $(cut -d' ' -f1-4 "/proc/$first/stat" 2>/dev/null)"
grep -q "Repository stopped" "$home/tomcat/logs/catalina.out" || fail "the webapp's shutdown did not finish"
pass "slow stop: $(out stop_ms) ms, catalina.sh gave up after $(out stop_command_ms) ms; no pidfile, no zombie"

step service-start
second=$(cat "$home/tomcat/temp/catalina.pid")
jvms+=("$second")
[ "$second" != "$first" ] || fail "the second start reports the first JVM's pid"
[ "$(probe)" = 200 ] || fail "probe after the second start: $(probe)"
pass "start right after the slow stop: JVM $second, probe 200 (stop answer was: ${stop_out#answer: })"
echo "tomcat slow stop test: all passed"
