# lab-configs.sh -- certificates, the controller's and agents' configs and the plan of the lab
# shellcheck shell=bash
# (source me after lab-lib.sh and lab.env).

lab_make_certs() {
    local certs="$LAB_SRC/certs/alfup-certs" host
    bash "$certs" init "$LAB_DIR/ca" --cn "alfup lab CA" >/dev/null || return 1
    # In netns mode also 127.0.0.1: the quick start forwards this machine's 127.0.0.1 to the console.
    local also_local=()
    [ "$(lab_addr ctl)" = 127.0.0.1 ] || also_local=(--ip 127.0.0.1)
    bash "$certs" issue "$LAB_DIR/ca" controller ctl --ip "$(lab_addr ctl)" "${also_local[@]}" >/dev/null || return 1
    for host in repo1:repo db1:db solr1:solr; do
        bash "$certs" issue "$LAB_DIR/ca" agent "${host%%:*}" --roles "${host##*:}" \
            --ip "$(lab_addr "${host%%:*}")" >/dev/null || return 1
    done
    # The lab's operator, every role, with a .p12 for a browser (the console, docs/console.md); its
    # password in lab-operator.p12.pw.
    openssl rand -hex 8 > "$LAB_DIR/ca/lab-operator.p12.pw" || return 1
    bash "$certs" issue "$LAB_DIR/ca" operator lab-operator --roles viewer,operator,approver,admin \
        --p12-password-file "$LAB_DIR/ca/lab-operator.p12.pw" >/dev/null || return 1
}

lab_tls_line() {
    echo "tls: {ca: $LAB_DIR/ca/ca.pem, cert: $LAB_DIR/ca/$1.pem, key: $LAB_DIR/ca/$1.key, crl: $LAB_DIR/ca/crl.pem}"
}

lab_controller_yaml() {
    mkdir -p "$LAB_DIR/ctl"
    cat > "$LAB_DIR/ctl/controller.yaml" <<EOF
# controller.yaml -- the lab's controller ($(lab_addr ctl))
listen: tcp://$(lab_addr ctl):$LAB_CTL_PORT
admin: $LAB_DIR/ctl/admin.sock
$(lab_tls_line ctl)
journal: $LAB_DIR/ctl/journal.db
workflows: $LAB_SRC/deploy/workflows
heartbeat_timeout_s: 6
api: {listen: "$(lab_addr ctl):$LAB_API_PORT"}
EOF
}

# lab_agent_head NAME ROOTS... -- the part every agent config shares.
lab_agent_head() {
    local name=$1 roots
    shift
    roots=$(printf '%s, ' "$@")
    cat <<EOF
# agent.yaml -- the lab's agent on $name ($(lab_addr "$name"))
name: $name
controller: tcp://$(lab_addr ctl):$LAB_CTL_PORT
$(lab_tls_line "$name")
state_dir: $LAB_DIR/hosts/$name/state
backup_dir: $LAB_BACKUPS
allowed_roots: [${roots%, }]
heartbeat_s: 1
EOF
}

# lab_repo_service NAME HOME [PORT] -- a repository service run by the stand-in; with PORT, a staging
# service: the same home (pidfile, log) listening on PORT instead of its production port.
lab_repo_service() {
    local port_args=${3:+, --port, $3}
    cat <<EOF
  $1:
    start: [$LAB_BIN/alfresco-standin, start, $2$port_args]
    stop: [$LAB_BIN/alfresco-standin, stop, $2$port_args]
    pidfile: $2/tomcat/temp/catalina.pid
    log: $2/tomcat/logs/catalina.out
    ready_url: $(lab_repo_ready_url "${3:-}")
    started: "Alfresco Content Services started"
    failed: ["=== Failed to apply patch ===", "Please follow an incremental upgrade", "SEVERE"]
    start_timeout_s: ${ALFUP_LAB_START_TIMEOUT_S:-30}
    stop_timeout_s: 20
EOF
}

# lab_repo_rehearsal_service -- the new home on the rehearsal's port, with the overrides the agent writes
# (properties_file) passed to the stand-in as --props (docs/workflow.md, "The rehearsal").
lab_repo_rehearsal_service() {
    local props=$LAB_NEW_HOME/tomcat/temp/rehearsal.properties
    cat <<EOF
  $LAB_REPO_REHEARSAL_SERVICE:
    start: [$LAB_BIN/alfresco-standin, start, $LAB_NEW_HOME, --port, $LAB_REPO_REHEARSAL_PORT, --props, $props]
    stop: [$LAB_BIN/alfresco-standin, stop, $LAB_NEW_HOME]
    properties_file: $props
    pidfile: $LAB_NEW_HOME/tomcat/temp/catalina.pid
    log: $LAB_NEW_HOME/tomcat/logs/catalina.out
    ready_url: $(lab_repo_ready_url "$LAB_REPO_REHEARSAL_PORT")
    started: "Alfresco Content Services started"
    failed: ["=== Failed to apply patch ===", "Please follow an incremental upgrade", "SEVERE"]
    start_timeout_s: ${ALFUP_LAB_START_TIMEOUT_S:-30}
    stop_timeout_s: 20
EOF
}

# lab_solr_service NAME HOME [PORT] -- likewise for Solr (the pidfile keeps SOLR_PORT's name).
lab_solr_service() {
    local port_args=${3:+, --port, $3}
    cat <<EOF
  $1:
    start: [$LAB_BIN/solr-standin, start, $2$port_args]
    stop: [$LAB_BIN/solr-standin, stop, $2$port_args]
    pidfile: $2/solr/bin/solr-$LAB_SOLR_PORT.pid
    log: $2/logs/solr.log
    ready_url: $(lab_solr_ready_url "${3:-}")
    started: "Started Solr server"
    failed: [" ERROR "]
    start_timeout_s: ${ALFUP_LAB_START_TIMEOUT_S:-30}
    stop_timeout_s: 20
EOF
}

lab_agent_yamls() {
    mkdir -p "$LAB_DIR/hosts/repo1/state" "$LAB_DIR/hosts/db1/state" "$LAB_DIR/hosts/solr1/state"
    {
        lab_agent_head repo1 "$LAB_OLD_HOME" "$LAB_NEW_HOME" "$LAB_BACKUPS" "$LAB_DIST"
        echo "services:"
        lab_repo_service alfresco-v1 "$LAB_OLD_HOME"
        lab_repo_service alfresco-v2 "$LAB_NEW_HOME"
        lab_repo_service "$LAB_REPO_STAGING_SERVICE" "$LAB_NEW_HOME" "$LAB_REPO_STAGING_PORT"
        lab_repo_rehearsal_service
        echo "tools:"
        # Through /bin/sh: the preflight (check-amps, before the new home is unpacked) wants argv[0] to
        # be an executable that exists already; the script itself ships in the new distribution.
        echo "  apply_amps: [/bin/sh, $LAB_NEW_HOME/bin/apply_amps.sh, -force, -nobackup]"
    } > "$LAB_DIR/hosts/repo1/agent.yaml"
    {
        lab_agent_head db1 "$LAB_BACKUPS"
        echo "postgres:"
        echo "  conninfo: \"host=$LAB_PG_DIR/sock port=$LAB_PG_PORT user=$LAB_PG_USER dbname=postgres\""
        echo "  bin_dir: $LAB_PG_BIN"
    } > "$LAB_DIR/hosts/db1/agent.yaml"
    {
        lab_agent_head solr1 "$LAB_OLD_SOLR" "$LAB_NEW_SOLR" "$LAB_BACKUPS" "$LAB_DIST"
        echo "services:"
        lab_solr_service solr-v1 "$LAB_OLD_SOLR"
        lab_solr_service solr-v2 "$LAB_NEW_SOLR"
        lab_solr_service "$LAB_SOLR_STAGING_SERVICE" "$LAB_NEW_SOLR" "$LAB_SOLR_STAGING_PORT"
    } > "$LAB_DIR/hosts/solr1/agent.yaml"
}

# lab_plan_yaml [--out PATH] [--workflow NAME] [--staging] [--rehearsal] [--online-mb N] [--settle-s S]
#               [--extra TEXT]
# tests/lab/plan.yaml with the lab's paths and addresses, into DIR/plan.yaml (or PATH). --workflow
# sets workflow:; --staging adds new.staging_service and new.solr.staging_service (the lab's staging
# services); --rehearsal adds rehearsal: (the lab's rehearsal service, database and dir.root); --online-mb
# adds online: {max_mb_per_s: N}, --settle-s online: {settle_s: S}; --extra appends
# TEXT (YAML lines) verbatim.
lab_plan_yaml() {
    local out=$LAB_DIR/plan.yaml workflow="" staging=0 rehearsal=0 online="" settle="" extra=""
    while [ $# -gt 0 ]; do
        case $1 in
            --out) out=$2; shift 2 ;;
            --workflow) workflow=$2; shift 2 ;;
            --staging) staging=1; shift ;;
            --rehearsal) rehearsal=1; shift ;;
            --online-mb) online=$2; shift 2 ;;
            --settle-s) settle=$2; shift 2 ;;
            --extra) extra=$2; shift 2 ;;
            *) lab_say "lab_plan_yaml: unknown option $1"; return 2 ;;
        esac
    done
    local edits=(-e "s#@BACKUPS@#$LAB_BACKUPS#g" -e "s#@OLD_HOME@#$LAB_OLD_HOME#g" -e "s#@NEW_HOME@#$LAB_NEW_HOME#g"
        -e "s#@OLD_DIR_ROOT@#$LAB_OLD_DIR_ROOT#g" -e "s#@NEW_DIR_ROOT@#$LAB_NEW_DIR_ROOT#g"
        -e "s#@OLD_SOLR@#$LAB_OLD_SOLR#g" -e "s#@NEW_SOLR@#$LAB_NEW_SOLR#g"
        -e "s#@OLD_SOLR_DATA@#$LAB_OLD_SOLR_DATA#g" -e "s#@NEW_SOLR_DATA@#$LAB_NEW_SOLR_DATA#g"
        -e "s#@DIST@#$LAB_DIST#g" -e "s#@OLD_DB@#$LAB_OLD_DB#g" -e "s#@NEW_DB@#$LAB_NEW_DB#g"
        -e "s#@DB_USER@#$LAB_DB_USER#g" -e "s#@DB_HOST@#$(lab_addr db1)#g" -e "s#@DB_PORT@#$LAB_PG_PORT#g")
    [ -n "$workflow" ] && edits+=(-e "s#^workflow: .*#workflow: $workflow#")
    if [ "$staging" = 1 ]; then
        edits+=(-e "s#^  service: alfresco-v2\$#&\n  staging_service: ${LAB_REPO_STAGING_SERVICE:?}#"
            -e "s#service: solr-v2,#& staging_service: ${LAB_SOLR_STAGING_SERVICE:?},#")
    fi
    {
        sed "${edits[@]}" "$LAB_SRC/tests/lab/plan.yaml"
        [ -z "$online$settle" ] || echo "online:"
        [ -z "$online" ] || printf '  max_mb_per_s: %s\n' "$online"
        [ -z "$settle" ] || printf '  settle_s: %s\n' "$settle"
        [ "$rehearsal" = 0 ] || printf 'rehearsal:\n  service: %s\n  database: %s\n  dir_root: %s\n' \
            "$LAB_REPO_REHEARSAL_SERVICE" "$LAB_REHEARSAL_DB" "$LAB_REHEARSAL_DIR_ROOT"
        [ -z "$extra" ] || printf '%s\n' "$extra"
    } > "$out"
}
