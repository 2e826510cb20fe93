# hostile-lib.sh -- the set-ups the hostile-input tests share (source me after tests/lib/lab.sh).
#
# hostile_flood_lab WORK MAX_PENDING HANDSHAKE_TIMEOUT_S
#     certificates and configs for a controller with that handshake limit and timeout and three
#     agents (repo1, db1, solr1); raises the open-file limit, and gives ASan a small quarantine
#     (256 MB by default) so that RSS shows what the controller holds, not freed blocks kept for
#     use-after-free detection. Nothing is started.
# hostile_repo_agent WORK
#     certificates and a config for one agent, repo1 (role repo). Nothing is started.
# hostile_repo_test
#     the start of a test against repo1's agent alone: work (a fresh folder, removed with the lab at
#     exit), fail (prints the agent's log) and pass, and hostile_repo_agent "$work".

hostile_flood_lab() {
    local work=$1 a
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
    ulimit -n 8192 2>/dev/null || true
    lab_init "$work"
    lab_certs
    for a in repo1 db1 solr1; do lab_agent_cert "$a" "${a%1}"; lab_agent_config "$a"; done
    lab_controller_config
    printf 'max_pending_handshakes: %s\nhandshake_timeout_s: %s\n' "$2" "$3" >> "$work/controller.yaml"
}

hostile_repo_agent() {
    lab_init "$1"
    lab_certs
    lab_agent_cert repo1 repo
    lab_agent_config repo1
}

hostile_repo_test() {
    work=$(mktemp -d)
    trap 'lab_cleanup; rm -rf "$work"' EXIT
    fail() { echo "FAIL: $*" >&2; echo "--- agent log" >&2; tail -n 30 "$work/logs/repo1.log" >&2; exit 1; }
    pass() { echo "ok - $*"; }
    hostile_repo_agent "$work"
}
