# held-step-lib.sh -- a run with one step in flight on repo1 (source me after tests/lib/lab.sh, after lab_init).
#
# held_step_lab HOLD_MS [agent]
#     the lab's CA, repo1's certificate, the controller's config and held_step_setup HOLD_MS; with "agent",
#     repo1's agent config too. Starts nothing.
# held_step_setup HOLD_MS
#     writes $LAB_DIR/wf/alfresco-upgrade.yaml (tests/integration/held-step: one ping on repo1 that its agent
#     holds HOLD_MS) and $LAB_DIR/plan.yaml (the example plan with repo1 alone), and points the controller's
#     config (lab_controller_config first) at that workflows folder.
# held_step_start_run -- starts a run of $LAB_DIR/plan.yaml and prints its id; on failure prints what
#     lab_ctl said and returns 1.
# held_step_logs -- the tails of the controller's and repo1's logs, on stderr (for a failing test's message).
# held_step_state RUN -- the journal's state of the run's step (sent, succeeded, failed ...), or "" if none.
# held_step_wait RUN STATE SECONDS -- polls until the step is in STATE; 0 when it is.

held_step_lab() {
    lab_certs
    lab_agent_cert repo1 repo
    lab_controller_config
    if [ "${2:-}" = agent ]; then lab_agent_config repo1; fi
    held_step_setup "$1"
}

held_step_setup() {
    mkdir -p "$LAB_DIR/wf"
    sed "s/hold_ms: \"600000\"/hold_ms: \"$1\"/" "$ALFUP_SOURCE_DIR/tests/integration/held-step/alfresco-upgrade.yaml" \
        > "$LAB_DIR/wf/alfresco-upgrade.yaml"
    sed '/^  db1: \[db\]/d; /^  solr1: \[solr\]/d; /^approve:/d' "$ALFUP_SOURCE_DIR/deploy/examples/plan-prod-ecm.yaml" \
        > "$LAB_DIR/plan.yaml"
    echo "workflows: $LAB_DIR/wf" >> "$LAB_DIR/controller.yaml"
}

held_step_start_run() {
    local out
    out=$(lab_ctl run "$LAB_DIR/plan.yaml") || { echo "$out"; return 1; }
    echo "$out" | head -n1
}

held_step_logs() {
    echo "--- controller log" >&2; tail -n 30 "$LAB_DIR/logs/controller.log" >&2
    echo "--- agent log" >&2; tail -n 20 "$LAB_DIR/logs/repo1.log" >&2
}

held_step_state() {
    sqlite3 "$LAB_DIR/journal.db" "select state from steps where step_id = '$1.hold-repo@repo1'" 2>/dev/null || true
}

held_step_wait() {
    local i
    for i in $(seq $(($3 * 10))); do
        [ "$(held_step_state "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
