#!/bin/bash
# lab-up.sh -- builds and starts a simulated split Alfresco deployment under DIR (docs/lab.md):
# a controller and the hosts repo1 (repo), db1 (db) and solr1 (solr) -- network namespaces when run
# as root, processes on 127.0.0.1 otherwise or with ALFUP_LAB_LOOPBACK=1 --, a real PostgreSQL on db1
# holding the old repository's database, the old installations running, the new distributions, an
# AMP, certificates, configs, DIR/plan.yaml, and the controller and three agents online.
#   tests/lab/lab-up.sh DIR
# Environment: ALFUP_BIN (the build's bin folder; default ALFUP_BUILD_DIR/bin or SOURCE/build/bin),
# ALFUP_LAB_FILES (content files, default 3000), ALFUP_LAB_CONTENT_MB (the store's size instead: files of
# gen-contentstore's size mix until it holds that many MiB), ALFUP_LAB_DB_MB (the old database padded to that
# size with alf_node_properties rows), ALFUP_LAB_FAULT (a stand-in fault word written into
# the NEW repository distribution, e.g. failed-patch), ALFUP_LAB_START_TIMEOUT_S (services, default 30),
# ALFUP_LAB_US_PER_ROW (the new repository's schema upgrade takes this many microseconds per row:
# standin.schema.upgrade.us_per_row, default 0), ALFUP_LAB_SEED, ALFUP_LAB_BACKUP_MB (root only: a tmpfs of that many MiB mounted as the backups
# folder, to test a full disk; lab-down.sh unmounts it). Running it again on the same DIR takes the
# old lab down and starts afresh. On failure everything created so far is taken down again (lab-down.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 1 ] || { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
source "$here/lab-lib.sh"
source "$here/lab-net.sh"
source "$here/lab-files.sh"
source "$here/lab-db.sh"
source "$here/lab-configs.sh"
source "$here/../lib/err_trap.sh"   # a command that fails says which, where

dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
if [ -e "$dir/lab.state" ] || [ -e "$dir/lab.env" ]; then
    "$here/lab-down.sh" "$dir"
    find "$dir" -mindepth 1 -delete
elif [ -n "$(ls -A "$dir")" ]; then
    lab_die "$dir is not empty and holds no lab; give an empty or new folder"
fi
backup_mb=${ALFUP_LAB_BACKUP_MB:-}
if [ -n "$backup_mb" ]; then
    [[ "$backup_mb" =~ ^[1-9][0-9]{0,4}$ ]] || lab_die "ALFUP_LAB_BACKUP_MB=$backup_mb: give a size in MiB (1-99999)"
    [ "$(id -u)" = 0 ] || lab_die "ALFUP_LAB_BACKUP_MB needs root (it mounts a tmpfs as the backups folder)"
fi
[ ${#dir} -le 60 ] || lab_die "$dir is too long (PostgreSQL's socket path must stay short): at most 60 characters"
chmod 0755 "$dir"   # the postgres user runs the database below it

src=$(cd "$here/../.." && pwd)
bin=${ALFUP_BIN:-${ALFUP_BUILD_DIR:-$src/build}/bin}
bin=$(cd "$bin" && pwd) || lab_die "no build folder $bin (set ALFUP_BIN)"
for prog in alfup-controller alfup-agent alfresco-standin solr-standin; do
    [ -x "$bin/$prog" ] || lab_die "$bin/$prog is missing: build it (cmake --build BUILD --target alfup-controller alfup-agent alfresco-standin solr-standin)"
done

mode=loopback
if [ "${ALFUP_LAB_LOOPBACK:-0}" != 1 ]; then
    if lab_netns_usable; then mode=netns; else lab_say "no network namespaces here (not root?): processes on 127.0.0.1"; fi
fi

: > "$dir/lab.state"
LAB_DIR=$dir LAB_MODE=$mode LAB_ID=$(lab_id "$dir")
completed=0
on_exit() {
    if [ "$completed" != 1 ]; then
        lab_say "lab-up failed; taking down what was started (logs in $dir/logs)"
        "$here/lab-down.sh" "$dir" || true
    fi
}
trap on_exit EXIT

if [ "$mode" = netns ]; then
    # The staging ports: the new installation started beside production (issue 11's prepare phase).
    ctl_port=7411 repo_port=8080 solr_port=8983 repo_staging_port=18080 solr_staging_port=18983 api_port=8443
    repo_rehearsal_port=28080
else
    free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
    ctl_port=$(free_port) repo_port=$(free_port) solr_port=$(free_port)
    repo_staging_port=$(free_port) solr_staging_port=$(free_port) api_port=$(free_port)
    repo_rehearsal_port=$(free_port)
fi
cat > "$dir/lab.env" <<EOF
# lab.env -- the lab's variables (written by lab-up.sh; source tests/lab/lab-lib.sh, then lab_load DIR)
LAB_DIR=$dir
LAB_MODE=$mode
LAB_ID=$LAB_ID
LAB_SRC=$src
LAB_BIN=$bin
LAB_CTL_PORT=$ctl_port
LAB_API_PORT=$api_port
LAB_REPO_PORT=$repo_port
LAB_SOLR_PORT=$solr_port
LAB_REPO_STAGING_PORT=$repo_staging_port
LAB_SOLR_STAGING_PORT=$solr_staging_port
LAB_REPO_STAGING_SERVICE=alfresco-v2-staging
LAB_SOLR_STAGING_SERVICE=solr-v2-staging
LAB_REPO_REHEARSAL_PORT=$repo_rehearsal_port
LAB_REPO_REHEARSAL_SERVICE=alfresco-v2-rehearsal
LAB_REHEARSAL_DB=alfresco_rehearsal
LAB_REHEARSAL_DIR_ROOT=$dir/hosts/repo1/opt/alfresco-v2/alf_data_rehearsal
LAB_CLUSTER_REGISTRY=$dir/hosts/repo1/cluster
LAB_PG_DIR=$dir/pg
LAB_OLD_HOME=$dir/hosts/repo1/opt/alfresco-v1
LAB_NEW_HOME=$dir/hosts/repo1/opt/alfresco-v2
LAB_OLD_DIR_ROOT=$dir/hosts/repo1/opt/alfresco-v1/alf_data
LAB_NEW_DIR_ROOT=$dir/hosts/repo1/opt/alfresco-v2/alf_data
LAB_OLD_SOLR=$dir/hosts/solr1/opt/solr-v1
LAB_NEW_SOLR=$dir/hosts/solr1/opt/solr-v2
LAB_OLD_SOLR_DATA=$dir/hosts/solr1/opt/solr-v1/solrhome
LAB_NEW_SOLR_DATA=$dir/hosts/solr1/opt/solr-v2/solrhome
LAB_BACKUPS=$dir/backups
LAB_DIST=$dir/dist
LAB_OLD_DB=alfresco
LAB_NEW_DB=alfresco_v2
LAB_DB_USER=alfresco
LAB_DB_PASSWORD=$(openssl rand -hex 12)
EOF
lab_load "$dir"
mkdir -p "$dir/logs" "$LAB_BACKUPS" "$LAB_DIST" "$dir/hosts"
if [ -n "$backup_mb" ]; then
    # Recorded first: lab-down.sh unmounts it only while it is still this lab's tmpfs.
    lab_state_add "mount $LAB_BACKUPS"
    mount -t tmpfs -o "size=${backup_mb}m,mode=0755" "alfup-lab-backups" "$LAB_BACKUPS" ||
        lab_die "mounting a ${backup_mb} MiB tmpfs on $LAB_BACKUPS"
fi

step() { echo "lab: $*"; }
step "$mode mode in $dir${backup_mb:+ (backups: a ${backup_mb} MiB tmpfs)}${LAB_ID:+$( [ "$mode" = netns ] && echo " (namespaces alfup-$LAB_ID-*)")}"
[ "$mode" = netns ] && { lab_net_up || lab_die "network namespaces"; }

step "PostgreSQL on db1"
lab_pg_up || lab_die "PostgreSQL did not start"
printf 'LAB_PG_PORT=%s\nLAB_PG_BIN=%s\nLAB_PG_USER=%s\n' "$LAB_PG_PORT" "$LAB_PG_BIN" "$LAB_PG_USER" >> "$dir/lab.env"
lab_db_create || lab_die "creating the repository's role and database"

step "old installation on repo1, ${ALFUP_LAB_FILES:-3000} content files"
lab_make_old_repo
lab_make_content "${ALFUP_LAB_FILES:-3000}"
lab_make_old_solr
step "new distributions and the AMP in $LAB_DIST${ALFUP_LAB_FAULT:+ (new repository fault: $ALFUP_LAB_FAULT)}"
lab_make_new_repo_dist
lab_make_new_solr_dist
lab_make_amp
rm -rf "$dir/build-dist"

# Every pidfile a service can write, before anything can write one.
lab_state_add "pidfile $LAB_OLD_HOME/tomcat/temp/catalina.pid $bin/alfresco-standin"
lab_state_add "pidfile $LAB_NEW_HOME/tomcat/temp/catalina.pid $bin/alfresco-standin"
lab_state_add "pidfile $LAB_OLD_SOLR/solr/bin/solr-$LAB_SOLR_PORT.pid $bin/solr-standin"
lab_state_add "pidfile $LAB_NEW_SOLR/solr/bin/solr-$LAB_SOLR_PORT.pid $bin/solr-standin"

# wait_ready HOST URL WHAT -- until URL answers 200 from HOST (60 s).
wait_ready() {
    local deadline=$((SECONDS + 60))
    while [ "$SECONDS" -lt "$deadline" ]; do
        [ "$(lab_http_code "$1" "$2")" = 200 ] && return 0
        sleep 0.2
    done
    lab_die "$3 not ready within 60 s ($2 answers $(lab_http_code "$1" "$2"))"
}

step "old repository: creates its schema (7.4.1, schema 19100), then the content rows"
lab_exec repo1 "$bin/alfresco-standin" start "$LAB_OLD_HOME" || lab_die "old repository start"
wait_ready repo1 "$(lab_repo_ready_url)" "the old repository (first start)"
lab_exec repo1 "$bin/alfresco-standin" stop "$LAB_OLD_HOME" >/dev/null || lab_die "old repository stop"
lab_db_seed "$(( ${ALFUP_LAB_FILES:-3000} / 2 ))" || lab_die "seeding the database"
step "old repository and old Solr started"
lab_exec repo1 "$bin/alfresco-standin" start "$LAB_OLD_HOME" || lab_die "old repository start"
lab_exec solr1 "$bin/solr-standin" start "$LAB_OLD_SOLR" || lab_die "old Solr start"
wait_ready repo1 "$(lab_repo_ready_url)" "the old repository (content checked)"
wait_ready solr1 "$(lab_solr_ready_url)" "the old Solr"
grep -Eq "Content store check: [1-9][0-9]* content URLs, 0 missing" "$LAB_OLD_HOME/tomcat/logs/catalina.out" ||
    lab_die "the old repository's content check: $(grep "Content store check" "$LAB_OLD_HOME/tomcat/logs/catalina.out")"

step "certificates, configs and the plan"
lab_make_certs || lab_die "certificates"
lab_controller_yaml
lab_agent_yamls
lab_plan_yaml
for host in repo1 db1 solr1; do
    "$bin/alfup-agent" --check-config "$dir/hosts/$host/agent.yaml" >/dev/null || lab_die "agent config of $host"
done

step "controller on $(lab_addr ctl):$LAB_CTL_PORT, agents repo1 db1 solr1"
lab_start_controller || lab_die "controller"
for host in repo1 db1 solr1; do lab_start_agent "$host"; done
lab_wait_online 30 || lab_die "agents online"
completed=1
step "up: $dir/plan.yaml; alfup-controller --config $dir/ctl/controller.yaml agents|run|status"
