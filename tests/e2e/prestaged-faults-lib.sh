# prestaged-faults-lib.sh -- what the prestaged fault tests share (source me after e2e-lib.sh, faults-lib.sh,
# shellcheck shell=bash
# faults-run-lib.sh and e2e_lab_up): the prestaged plan with a cutover gate, big content files with their rows,
# waiting for an archive step to be in flight, the duplicate-free check of an archive, and the backup set
# restored on its own (alfup-agent --restore-set, pg_restore) compared with the old system at the stop.
source "$E2E_SRC/tests/lab/lab-configs.sh"

# pf_plan [lab_plan_yaml options...] -- the prestaged plan (staging services, settle_s 2) waiting at the
# cutover and the decommission gates; plan check must accept it.
pf_plan() {
    lab_plan_yaml --workflow alfresco-upgrade-prestaged --staging --settle-s 2 "$@"
    sed -i 's/^approve: \[decommission\]$/approve: [cutover, decommission]/' "$LAB_DIR/plan.yaml"
    grep -qx 'approve: \[cutover, decommission\]' "$LAB_DIR/plan.yaml" || fail "plan: approve line not rewritten"
    lab_ctl plan check "$LAB_DIR/plan.yaml" > "$LAB_DIR/logs/plan-check.out" 2>&1 ||
        { cat "$LAB_DIR/logs/plan-check.out" >&2; fail "plan check"; }
}

# pf_content REL MIB -- an incompressible content file of MIB MiB at contentstore/REL of the old dir.root
# and its rows (alf_content_url, alf_content_data), as the repository writes one: file first, then the row.
pf_content() {
    local path=$LAB_OLD_DIR_ROOT/contentstore/$1
    mkdir -p "$(dirname "$path")"
    head -c "$(($2 * 1024 * 1024))" /dev/urandom > "$path"
    sync "$path"
    lab_psql "$LAB_OLD_DB" "begin; insert into alf_content_url (content_url, content_size) values ('store://$1', $(($2 * 1024 * 1024)));
        insert into alf_content_data (content_url_id, content_mimetype) select id, 'application/octet-stream'
        from alf_content_url where content_url = 'store://$1'; commit" >/dev/null
}

# pf_wait_in_flight HOST STEP ARCHIVE MIB -- until HOST started RUN.STEP@HOST and ARCHIVE's temporary file
# holds MIB MiB; fails the test when that does not happen within 120 s or ARCHIVE is already complete.
pf_wait_in_flight() {
    fr_wait_started "$1" "$2" 120 || fail "$2 never started on $1"
    faults_wait_path "$3.tmp.*" 60 $(($4 * 1024 * 1024)) > /dev/null ||
        fail "$2: $(basename "$3")'s temporary file never reached $4 MiB"
    [ ! -e "$3" ] || fail "$2 finished before it could be interrupted"
}

# pf_archive_unique ARCHIVE -- every entry of ARCHIVE (zstd -d | tar, no alfup code) appears once and the
# files are exactly the manifest's; prints "N entries, F files".
pf_archive_unique() {
    python3 - "$1" <<'PY'
import collections, subprocess, sys, tarfile
archive = sys.argv[1]
want = set()
for line in open(archive + ".manifest"):
    parts = line.rstrip("\n").split(" ", 4)
    if parts[0] == "f":
        want.add(parts[4])
names, files = [], set()
zstd = subprocess.Popen(["zstd", "-dcq", archive], stdout=subprocess.PIPE)
with tarfile.open(fileobj=zstd.stdout, mode="r|") as tar:
    for member in tar:
        names.append(member.name)
        if member.isfile() and not member.name.startswith(".alfup"):
            files.add(member.name)
if zstd.wait() != 0:
    sys.exit("%s: zstd -d failed" % archive)
dups = [n for n, c in collections.Counter(names).items() if c > 1]
if dups:
    sys.exit("%s: %d entries appear more than once: %s" % (archive, len(dups), sorted(dups)[:5]))
if files != want:
    sys.exit("%s: files differ from the manifest: %s" % (archive, sorted(files ^ want)[:5]))
print("%d entries, %d files" % (len(names), len(files)))
PY
}

# pf_restore_set BASE DELTA DUMP -- the backup set restored on its own: alfup-agent --restore-set (repo1's
# config) rebuilds contentstore and contentstore.deleted from BASE + DELTA into an empty folder, and
# pg_restore the dump DUMP into an empty database. Fails the test unless every file equals the old dir.root's
# (sha-256, nothing missing, nothing extra; the old store is as it was at the stop), a second --restore-set
# into the same (now not empty) folder is refused and leaves it as it was, and every table of the
# restored database has the old database's rows (md5 of each table's ordered rows). Prints two lines.
# (Its output goes to logs/*.log, which e2e_cleanup searches for sanitizer reports.)
pf_restore_set() {
    local into=$LAB_BACKUPS/restore-check db=alfresco_restore_check out
    "$LAB_BIN/alfup-agent" --config "$LAB_DIR/hosts/repo1/agent.yaml" --restore-set --base "$1" --delta "$2" \
        --into "$into" > "$LAB_DIR/logs/restore-set.log" 2>&1 ||
        { cat "$LAB_DIR/logs/restore-set.log" >&2; fail "alfup-agent --restore-set"; }
    out=$(python3 "$LAB_SRC/tests/lab/lab_tools.py" content-compare "$LAB_OLD_DIR_ROOT" "$into" 2>&1) ||
        fail "base + delta restored into $into differ from the old dir.root at the stop: $out"
    echo "backup set restored by alfup-agent --restore-set: $out (delta: $(sed -n 's/^delta_files=//p' "$LAB_DIR/logs/restore-set.log") files)"
    # Into a folder that is not empty: refused, naming it, and nothing in it touched.
    if "$LAB_BIN/alfup-agent" --config "$LAB_DIR/hosts/repo1/agent.yaml" --restore-set --base "$1" --delta "$2" \
        --into "$into" > "$LAB_DIR/logs/restore-set-again.log" 2>&1; then
        fail "alfup-agent --restore-set into the non-empty $into succeeded"
    fi
    grep -q "$into" "$LAB_DIR/logs/restore-set-again.log" || fail "the refusal does not name $into: $(cat "$LAB_DIR/logs/restore-set-again.log")"
    python3 "$LAB_SRC/tests/lab/lab_tools.py" content-compare "$LAB_OLD_DIR_ROOT" "$into" > /dev/null 2>&1 ||
        fail "a refused --restore-set changed $into"
    lab_psql postgres "create database $db" >/dev/null
    "$LAB_PG_BIN/pg_restore" -h "$LAB_PG_DIR/sock" -p "$LAB_PG_PORT" -U "$LAB_PG_USER" -d "$db" -j 2 --no-owner \
        "$3" > "$LAB_DIR/logs/pg_restore.out" 2>&1 || { cat "$LAB_DIR/logs/pg_restore.out" >&2; fail "pg_restore of $3"; }
    lab_db_digest "$db" > "$LAB_DIR/restored-db.digest"
    lab_db_digest "$LAB_OLD_DB" | diff -u - "$LAB_DIR/restored-db.digest" >&2 ||
        fail "the dump restored into $db differs from the old database"
    echo "old database's dump restored with pg_restore: $(wc -l < "$LAB_DIR/restored-db.digest") tables, every table's ordered rows equal"
    lab_psql postgres "drop database $db" >/dev/null
    rm -rf "$into"
}
