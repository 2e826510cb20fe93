# lab-verify.sh -- what an upgrade of the lab must have kept and produced (source me after lab-lib.sh and
# shellcheck shell=bash
# lab_load). Used by the quick start's report and by the e2e tests. Each check prints one line
# "NAME: RESULT" and returns non-zero when it does not hold.

# Runtime files the services themselves write (their logs and pidfiles) are left out of the old trees.
LAB_OLD_REPO_EXCLUDES=(--exclude tomcat/logs --exclude tomcat/temp)
LAB_OLD_SOLR_EXCLUDES=(--exclude logs --exclude solr/bin)

# lab_snapshot_old OUT -- digests of the old installations' files (paths, types, modes, sizes, mtimes,
# contents) and of the old database (row count and md5 of the ordered rows of every table), into OUT.
lab_snapshot_old() {
    local out=$1
    mkdir -p "$out"
    python3 "$LAB_SRC/tests/lab/lab_tools.py" tree-digest "$LAB_OLD_HOME" "${LAB_OLD_REPO_EXCLUDES[@]}" > "$out/old-repo.tree"
    python3 "$LAB_SRC/tests/lab/lab_tools.py" tree-digest "$LAB_OLD_SOLR" "${LAB_OLD_SOLR_EXCLUDES[@]}" > "$out/old-solr.tree"
    lab_db_digest "$LAB_OLD_DB" > "$out/old-db.digest"
}

# lab_check_old_unchanged SNAPSHOT -- the old installations and the old database are as they were.
lab_check_old_unchanged() {
    local snap=$1 now ok=0
    now=$(python3 "$LAB_SRC/tests/lab/lab_tools.py" tree-digest "$LAB_OLD_HOME" "${LAB_OLD_REPO_EXCLUDES[@]}")
    if [ "$now" = "$(cat "$snap/old-repo.tree")" ]; then
        echo "old repository files: unchanged (${now##* } entries, digest ${now:0:16})"
    else
        echo "old repository files: CHANGED (was $(cat "$snap/old-repo.tree"), now $now)"; ok=1
    fi
    now=$(python3 "$LAB_SRC/tests/lab/lab_tools.py" tree-digest "$LAB_OLD_SOLR" "${LAB_OLD_SOLR_EXCLUDES[@]}")
    if [ "$now" = "$(cat "$snap/old-solr.tree")" ]; then
        echo "old Solr files: unchanged (${now##* } entries, digest ${now:0:16})"
    else
        echo "old Solr files: CHANGED (was $(cat "$snap/old-solr.tree"), now $now)"; ok=1
    fi
    if lab_db_digest "$LAB_OLD_DB" | diff -u "$snap/old-db.digest" - > "$snap/old-db.diff"; then
        echo "old database: unchanged ($(wc -l < "$snap/old-db.digest") tables, md5 of every table's ordered rows)"
    else
        echo "old database: CHANGED"; sed 's/^/  /' "$snap/old-db.diff"; ok=1
    fi
    return $ok
}

# lab_check_content -- sha-256 of every file of the old and the new contentstore and contentstore.deleted.
lab_check_content() {
    local out
    if out=$(python3 "$LAB_SRC/tests/lab/lab_tools.py" content-compare "$LAB_OLD_DIR_ROOT" "$LAB_NEW_DIR_ROOT" 2>&1); then
        echo "content files (sha-256, old vs new): ${out%%$'\n'*}"
        return 0
    fi
    echo "content files (sha-256, old vs new): MISMATCH: $out"
    return 1
}

# lab_check_db_counts -- every table's row count in the new database equals the old one's; the upgrade
# adds exactly three rows, its patches (docs/standins.md), to alf_applied_patch.
lab_check_db_counts() {
    local old new tables rows
    old=$(lab_db_counts "$LAB_OLD_DB") new=$(lab_db_counts "$LAB_NEW_DB")
    tables=$(echo "$old" | wc -l)
    rows=$(echo "$old" | awk '{s += $2} END {print s}')
    if python3 - "$old" "$new" <<'PY'
import sys
old = dict(l.split() for l in sys.argv[1].splitlines())
new = dict(l.split() for l in sys.argv[2].splitlines())
bad = [t for t in old if t not in new or int(new[t]) != int(old[t]) + (3 if t == "public.alf_applied_patch" else 0)]
bad += [t for t in new if t not in old]
for t in bad:
    print("  %s: old %s, new %s" % (t, old.get(t, "-"), new.get(t, "-")), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
    then
        echo "database row counts (every table, old vs new): $tables tables, $rows rows: equal (alf_applied_patch +3: the upgrade's patches)"
        return 0
    fi
    echo "database row counts (every table, old vs new): DIFFER"
    return 1
}

# lab_check_new_ready -- the new repository answers its readiness probe and runs the new version.
lab_check_new_ready() {
    local code version
    code=$(lab_http_code repo1 "$(lab_repo_ready_url)")
    version=$(grep -o 'Current version: .*' "$LAB_NEW_HOME/tomcat/logs/catalina.out" 2>/dev/null | tail -n1)
    if [ "$code" = 200 ] && lab_pid_is "$(cat "$LAB_NEW_HOME/tomcat/temp/catalina.pid" 2>/dev/null)" "$LAB_BIN/alfresco-standin"; then
        echo "new repository: readiness probe 200 ($version)"
        return 0
    fi
    echo "new repository: NOT READY (probe $code)"
    return 1
}

# lab_check_old_ready -- the OLD repository and Solr run again and answer their probes; the new ones do not run.
lab_check_old_ready() {
    local pid solr_pid
    pid=$(cat "$LAB_OLD_HOME/tomcat/temp/catalina.pid" 2>/dev/null)
    solr_pid=$(cat "$LAB_OLD_SOLR/solr/bin/solr-$LAB_SOLR_PORT.pid" 2>/dev/null)
    if [ "$(lab_http_code repo1 "$(lab_repo_ready_url)")" = 200 ] && lab_pid_is "$pid" "$LAB_BIN/alfresco-standin" &&
        [ "$(lab_http_code solr1 "$(lab_solr_ready_url)")" = 200 ] && lab_pid_is "$solr_pid" "$LAB_BIN/solr-standin" &&
        ! lab_pid_is "$(cat "$LAB_NEW_HOME/tomcat/temp/catalina.pid" 2>/dev/null)" "$LAB_BIN/alfresco-standin"; then
        echo "old repository: running again (pid $pid), readiness probe 200; old Solr probe 200; new repository stopped"
        return 0
    fi
    echo "old repository: NOT running and ready"
    return 1
}
