# lab-fleet.sh -- more deployments on the lab's hosts, for fleets (docs/lab.md, "Fleets on the lab"): each its
# shellcheck shell=bash
# own old and new homes on repo1 and solr1 (under opt/fleet/NAME), its own databases on db1's PostgreSQL, its own
# ports and services (alfresco-v1-NAME ...), its own distributions (its own stand-in fault), its own plan (the
# prestaged workflow with its rehearsal, approve: [cutover]). The lab's own deployment stays as it is, serving. Source me after
# lab-lib.sh, lab-files.sh, lab-db.sh, lab-configs.sh and lab_load.

# lab_fleet_env NAME INDEX -- writes DIR/fleet/NAME.env: the lab's deployment variables for NAME.
lab_fleet_env() {
    local name=$1 k=$2 base=$LAB_DIR/hosts/repo1/opt/fleet/$1 solr=$LAB_DIR/hosts/solr1/opt/fleet/$1 ports
    if [ "$LAB_MODE" = netns ]; then   # each host is its own namespace: fixed ports, one set per deployment
        ports="$((8080 + 10 * k)) $((8983 + 10 * k)) $((18080 + 10 * k)) $((18983 + 10 * k)) $((28080 + 10 * k))"
    else
        ports=$(python3 -c 'import socket
ss = [socket.socket() for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
    fi
    mkdir -p "$LAB_DIR/fleet"
    read -r rp sp rsp ssp rhp <<<"$ports"
    cat > "$LAB_DIR/fleet/$name.env" <<ENV
FLEET_NAME=$name
LAB_REPO_PORT=$rp
LAB_SOLR_PORT=$sp
LAB_REPO_STAGING_PORT=$rsp
LAB_SOLR_STAGING_PORT=$ssp
LAB_REPO_REHEARSAL_PORT=$rhp
LAB_REPO_STAGING_SERVICE=alfresco-v2-staging-$name
LAB_SOLR_STAGING_SERVICE=solr-v2-staging-$name
LAB_OLD_HOME=$base/alfresco-v1
LAB_NEW_HOME=$base/alfresco-v2
LAB_OLD_DIR_ROOT=$base/alfresco-v1/alf_data
LAB_NEW_DIR_ROOT=$base/alfresco-v2/alf_data
LAB_OLD_SOLR=$solr/solr-v1
LAB_NEW_SOLR=$solr/solr-v2
LAB_OLD_SOLR_DATA=$solr/solr-v1/solrhome
LAB_NEW_SOLR_DATA=$solr/solr-v2/solrhome
LAB_DIST=$LAB_DIR/fleet/dist-$name
LAB_OLD_DB=alfresco_$name
LAB_NEW_DB=alfresco_${name}_v2
ENV
}

# lab_fleet_wait_ready HOST URL WHAT -- until URL answers 200 from HOST (60 s).
lab_fleet_wait_ready() {
    local i
    for i in $(seq 300); do
        [ "$(lab_http_code "$1" "$2")" = 200 ] && return 0
        sleep 0.2
    done
    lab_say "$3 not ready within 60 s ($2 answers $(lab_http_code "$1" "$2"))"
    return 1
}

# lab_fleet_make NAME FILES [FAULT [PROPERTY]] -- (in a subshell) NAME's installations, databases and
# distributions, its old repository and Solr started and serving, and DIR/fleet/NAME.yaml, its plan. FAULT: the
# new repository's stand-in fault ("" for none); PROPERTY: a KEY=VALUE line added to the old repository's
# alfresco-global.properties (carried into the new one by the upgrade), e.g. standin.schema.upgrade.us_per_row.
lab_fleet_make() (
    set -e
    local name=$1 files=$2 rows=$LAB_DIR/content-rows.tsv
    source "$LAB_DIR/fleet/$name.env"
    export ALFUP_LAB_FAULT=${3:-}
    [ -f "$rows" ] && mv "$rows" "$rows.lab"
    lab_make_old_repo
    [ -z "${4:-}" ] || echo "$4" >> "$LAB_OLD_HOME/tomcat/shared/classes/alfresco-global.properties"
    lab_make_content "$files"
    lab_make_old_solr
    lab_make_new_repo_dist
    lab_make_new_solr_dist
    rm -rf "$LAB_DIR/build-dist"
    lab_psql postgres "create database $LAB_OLD_DB owner $LAB_DB_USER" >/dev/null
    lab_state_add "pidfile $LAB_OLD_HOME/tomcat/temp/catalina.pid $LAB_BIN/alfresco-standin"
    lab_state_add "pidfile $LAB_NEW_HOME/tomcat/temp/catalina.pid $LAB_BIN/alfresco-standin"
    lab_state_add "pidfile $LAB_OLD_SOLR/solr/bin/solr-$LAB_SOLR_PORT.pid $LAB_BIN/solr-standin"
    lab_state_add "pidfile $LAB_NEW_SOLR/solr/bin/solr-$LAB_SOLR_PORT.pid $LAB_BIN/solr-standin"
    lab_exec repo1 "$LAB_BIN/alfresco-standin" start "$LAB_OLD_HOME" >/dev/null
    lab_fleet_wait_ready repo1 "$(lab_repo_ready_url)" "$name's old repository (first start)"
    lab_exec repo1 "$LAB_BIN/alfresco-standin" stop "$LAB_OLD_HOME" >/dev/null
    lab_db_seed "$((files / 2))"
    mv "$rows" "$LAB_DIR/fleet/$name-content-rows.tsv"
    [ -f "$rows.lab" ] && mv "$rows.lab" "$rows"
    lab_exec repo1 "$LAB_BIN/alfresco-standin" start "$LAB_OLD_HOME" >/dev/null
    lab_exec solr1 "$LAB_BIN/solr-standin" start "$LAB_OLD_SOLR" >/dev/null
    lab_fleet_wait_ready repo1 "$(lab_repo_ready_url)" "$name's old repository"
    lab_fleet_wait_ready solr1 "$(lab_solr_ready_url)" "$name's old Solr"
    # The lab's plan with NAME's paths, the prestaged workflow and its rehearsal, NAME's services, no AMP (the
    # agent's apply_amps tool is the lab deployment's), the cutover gate approved by the fleet.
    lab_plan_yaml --out "$LAB_DIR/fleet/$name.yaml" --workflow alfresco-upgrade-prestaged --staging --settle-s 2 \
        --extra "rehearsal: {service: alfresco-v2-rehearsal, database: ${LAB_NEW_DB}_rehearsal, dir_root: $LAB_NEW_HOME/alf_data_rehearsal}"
    sed -i -E -e "s/^deployment: .*/deployment: $name/" -e "s/^approve: .*/approve: [cutover]/" \
        -e "s/(service: )(alfresco-v[12](-rehearsal)?|solr-v[12])([,}]|$)/\\1\\2-$name\\4/g" \
        -e "/^  amps: /d" "$LAB_DIR/fleet/$name.yaml"
)

# lab_fleet_services NAME -- the agents' service entries of NAME, for repo1 (repo) or solr1 (solr).
lab_fleet_services() (
    source "$LAB_DIR/fleet/$1.env"
    if [ "$2" = repo ]; then
        lab_repo_service "alfresco-v1-$1" "$LAB_OLD_HOME"
        lab_repo_service "alfresco-v2-$1" "$LAB_NEW_HOME"
        lab_repo_service "$LAB_REPO_STAGING_SERVICE" "$LAB_NEW_HOME" "$LAB_REPO_STAGING_PORT"
        lab_fleet_rehearsal_service "$1"
    else
        lab_solr_service "solr-v1-$1" "$LAB_OLD_SOLR"
        lab_solr_service "solr-v2-$1" "$LAB_NEW_SOLR"
        lab_solr_service "$LAB_SOLR_STAGING_SERVICE" "$LAB_NEW_SOLR" "$LAB_SOLR_STAGING_PORT"
    fi
)

# lab_fleet_rehearsal_service NAME -- the rehearsal service: the new home on its own port with the properties
# file rehearsal-start writes (the stand-in's --props), against the rehearsal's database and dir.root.
lab_fleet_rehearsal_service() {
    local props=$LAB_NEW_HOME/tomcat/temp/rehearsal.properties
    cat <<YAML
  alfresco-v2-rehearsal-$1:
    start: [$LAB_BIN/alfresco-standin, start, $LAB_NEW_HOME, --port, $LAB_REPO_REHEARSAL_PORT, --props, $props]
    stop: [$LAB_BIN/alfresco-standin, stop, $LAB_NEW_HOME, --port, $LAB_REPO_REHEARSAL_PORT]
    properties_file: $props
    pidfile: $LAB_NEW_HOME/tomcat/temp/catalina.pid
    log: $LAB_NEW_HOME/tomcat/logs/catalina.out
    ready_url: $(lab_repo_ready_url "$LAB_REPO_REHEARSAL_PORT")
    started: "Alfresco Content Services started"
    failed: ["=== Failed to apply patch ===", "Please follow an incremental upgrade", "A previous schema upgrade failed", "SEVERE"]
    start_timeout_s: ${ALFUP_LAB_START_TIMEOUT_S:-30}
    stop_timeout_s: 20
YAML
}

# lab_fleet_agents NAME... -- the agents' configs with every NAME's services and folders; repo1's and solr1's
# agents restarted with them (db1's config needs nothing: the databases are on its server).
lab_fleet_agents() {
    local name host line pid exe
    {
        sed -E "s#^allowed_roots: \\[(.*)\\]#allowed_roots: [\\1, $LAB_DIR/hosts/repo1/opt/fleet, $LAB_DIR/fleet]#" \
            "$LAB_DIR/hosts/repo1/agent.yaml" | sed '/^tools:/,$d'
        for name in "$@"; do lab_fleet_services "$name" repo; done
        sed -n '/^tools:/,$p' "$LAB_DIR/hosts/repo1/agent.yaml"
    } > "$LAB_DIR/fleet/agent-repo1.yaml"
    {
        sed -E "s#^allowed_roots: \\[(.*)\\]#allowed_roots: [\\1, $LAB_DIR/hosts/solr1/opt/fleet, $LAB_DIR/fleet]#" \
            "$LAB_DIR/hosts/solr1/agent.yaml"
        for name in "$@"; do lab_fleet_services "$name" solr; done
    } > "$LAB_DIR/fleet/agent-solr1.yaml"
    for host in repo1 solr1; do
        "$LAB_BIN/alfup-agent" --check-config "$LAB_DIR/fleet/agent-$host.yaml" >/dev/null || return 1
        while read -r line; do
            read -r _ pid exe _ <<<"$line"
            lab_stop_pid "$pid" "$exe"
        done < <(grep -E "^pid [0-9]+ [^ ]+ agent-$host\$" "$LAB_DIR/lab.state")
        cp "$LAB_DIR/fleet/agent-$host.yaml" "$LAB_DIR/hosts/$host/agent.yaml"
        lab_start_agent "$host"
    done
}
