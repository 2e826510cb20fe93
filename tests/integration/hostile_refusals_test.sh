#!/bin/bash
# hostile_refusals_test.sh -- step requests a plan check would never let through, sent straight to
# a real alfup-agent over the channel (step_replayer speaks as the controller): services, tools and
# step kinds its config does not name, paths outside its roots, "/", and new paths at the old
# installation. Each is answered "refused" with the reason, and nothing on disk changes.
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/lab.sh"
source "$ALFUP_SOURCE_DIR/tests/integration/hostile-lib.sh"
hostile_repo_test
home=$work/hosts/repo1
mkdir -p "$home/v1/tomcat/shared/classes" "$home/v2" "$home/dist" "$work/outside"
echo "dir.root=$home/v1/alf_data" > "$home/v1/tomcat/shared/classes/alfresco-global.properties"
echo keep > "$home/v1/keep.txt"
echo secret > "$work/outside/secret.txt"
(cd "$work/outside" && tar -cf "$home/dist/alfresco.tar" secret.txt)
snapshot() { (cd "$work" && find hosts/repo1/v1 hosts/repo1/v2 hosts/repo1/backups outside -printf '%p %s %T@\n' | sort); }
before=$(snapshot)

n=0
# refused KIND EXPECTED-REASON-REGEX [--param K=V]...
refused() {
    local kind=$1 reason=$2 out
    shift 2
    n=$((n + 1))
    out=$("$ALFUP_BUILD_DIR/bin/step_replayer" --listen "tcp://127.0.0.1:$LAB_PORT" --ca "$work/ca/ca.pem" \
        --cert "$work/ca/ctl.pem" --key "$work/ca/ctl.key" --agent repo1 --id "hostile.$n" --kind "$kind" "$@") \
        || fail "$kind: no answer: $out"
    echo "$out" | grep_all '^answer: status=refused ' || fail "$kind $*: not refused: $out"
    echo "$out" | grep '^answer:' | grep -Eq "$reason" || fail "$kind $*: reason should match '$reason': $out"
    pass "$kind $* -> refused ($(echo "$out" | sed -n 's/^answer: .* error=\(.*\) outputs=.*/\1/p' | cut -c1-120))"
}

lab_start_agent repo1
refused shell "unknown step kind" --param command=/bin/sh
refused service-start "service.*(not|unknown)|no service" --param service=sshd
refused service-stop "service.*(not|unknown)|no service|not a" --param "service=alfresco;reboot"
refused install-amps "no tool 'apply_amps'" --param "new_home=$home/v2" --param "old_home=$home/v1" \
    --param "amp=$home/dist/x.amp"
refused backup-tree "allowed_roots|outside" --param "archive=$home/backups/etc.tar" --param tree=/etc
refused wipe "resolves to \"/\"|allowed_roots" --param path=/ --param "old_home=$home/v1"
refused wipe "old installation" --param "path=$home/v1" --param "old_home=$home/v1"
refused install-distribution "overlaps the old installation" --param "distribution=$home/dist/alfresco.tar" \
    --param "target=$home/v1" --param "old_home=$home/v1"
refused install-distribution "allowed_roots|outside" --param "distribution=$home/dist/alfresco.tar" \
    --param "target=$work/outside" --param "old_home=$home/v1"
refused carry-customizations "old|overlap|inside" --param "old_home=$home/v1" --param "new_home=$home/v1/tomcat" \
    --param "set.dir.root=$home/v2/alf_data" --param "set.db.url=jdbc:postgresql://db1:5432/alfresco_v2"
refused decommission-tree "approv|root|allowed_roots" --param old_home=/ --param "new_home=$home/v2" \
    --param "new_dir_root=$home/v2/alf_data"

[ "$(snapshot)" = "$before" ] || fail "something changed on disk: $(diff <(echo "$before") <(snapshot))"
pass "the old installation, the new home, backups and the outside folder are untouched"
echo "hostile refusals test: all passed"
