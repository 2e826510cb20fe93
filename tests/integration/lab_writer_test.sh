#!/bin/bash
# lab_writer_test.sh -- the lab's writer (tests/lab/lab-writes.sh, lab_tools.py writer): on a lab-seeded old
# dir.root and database, while the old repository serves, it adds files (into old date folders and the
# current-date folder) with their rows and moves orphans to contentstore.deleted with their rows deleted;
# it stops at its count or on SIGTERM with a record of what it did; afterwards every live row has its
# file, every file its row, the repository's own content check passes, and a copy of the store made
# after it stopped compares equal (content-compare).
export ALFUP_LAB_FILES=${ALFUP_LAB_FILES:-400}
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/lab/lab-writes.sh"
e2e_lab_up

count_rows() { lab_psql "$LAB_OLD_DB" "select count(*), count(orphan_time) from alf_content_url"; }
count_files() { find "$LAB_OLD_DIR_ROOT/$1" -type f | wc -l; }

out=$(lab_check_content_rows) || fail "before the writer: $out"; pass "$out"
read -r rows0 orphans0 <<< "$(count_rows | tr '|' ' ')"
store0=$(count_files contentstore) deleted0=$(count_files contentstore.deleted)
[ "$orphans0" -ge 10 ] || fail "the seed has only $orphans0 orphaned rows"

lab_writer_start --add 41 --orphan 10 --interval-ms 20
probes=0
until lab_writer_done; do
    [ "$(lab_http_code repo1 "$(lab_repo_ready_url)")" = 200 ] || fail "the old repository stopped answering while the writer ran"
    probes=$((probes + 1))
    lab_pid_is "$LAB_WRITER_PID" "$LAB_WRITER_EXE" || break
done
lab_writer_wait 60 || fail "writer"
[ "$(lab_writer_field reason)" = count ] && [ "$(lab_writer_field added)" = 41 ] && [ "$(lab_writer_field moved)" = 10 ] ||
    fail "writer record: $(tail -n 1 "$LAB_DIR/writer.jsonl")"
[ "$(lab_writer_count add)" = 41 ] && [ "$(lab_writer_count orphan)" = 10 ] || fail "record: $(lab_writer_count add) adds, $(lab_writer_count orphan) orphans"
pass "writer done: 41 added, 10 orphans moved ($probes probes of the old repository answered 200 meanwhile)"

python3 - "$LAB_DIR/writer.jsonl" "$LAB_OLD_DIR_ROOT" <<'PY' || fail "the record does not match the files"
import hashlib, json, os, sys
entries = [json.loads(line) for line in open(sys.argv[1])]
root, where = sys.argv[2], {}
for e in entries:
    if e["op"] == "add":
        data = open(os.path.join(root, e["rel"]), "rb").read()
        assert hashlib.sha256(data).hexdigest() == e["sha256"] and len(data) == e["size"], e
        where[e["where"]] = where.get(e["where"], 0) + 1
    elif e["op"] == "orphan":
        assert not os.path.exists(os.path.join(root, e["from"])), e
        assert os.path.isfile(os.path.join(root, e["to"])), e
assert where.get("old-folder", 0) >= 10 and where.get("new-folder", 0) >= 10, where
print(where)
PY
read -r rows1 orphans1 <<< "$(count_rows | tr '|' ' ')"
[ "$rows1" = $((rows0 + 41 - 10)) ] && [ "$orphans1" = $((orphans0 - 10)) ] ||
    fail "rows $rows0 -> $rows1, orphaned $orphans0 -> $orphans1 (expected +41-10 and -10)"
[ "$(count_files contentstore)" = $((store0 + 41 - 10)) ] && [ "$(count_files contentstore.deleted)" = $((deleted0 + 10)) ] ||
    fail "files: contentstore $store0 -> $(count_files contentstore), deleted $deleted0 -> $(count_files contentstore.deleted)"
out=$(lab_check_content_rows) || fail "after the writer: $out"; pass "record matches the files; rows $rows0 -> $rows1; $out"

copy=$LAB_DIR/copy-after-stop
mkdir "$copy" && cp -a "$LAB_OLD_DIR_ROOT/contentstore" "$LAB_OLD_DIR_ROOT/contentstore.deleted" "$copy/"
compared=$(python3 "$LAB_SRC/tests/lab/lab_tools.py" content-compare "$LAB_OLD_DIR_ROOT" "$copy" 2>&1) ||
    fail "content-compare: $compared"
[[ "$compared" == "files $((store0 + deleted0 + 41)) "* ]] || fail "content-compare counted: $compared"
out=$(lab_check_content_rows "$copy") || fail "the copy: $out"
pass "copy made after the stop: content-compare $compared; $out"

lab_exec repo1 "$LAB_BIN/alfresco-standin" stop "$LAB_OLD_HOME" >/dev/null || fail "old repository stop"
lab_exec repo1 "$LAB_BIN/alfresco-standin" start "$LAB_OLD_HOME" || fail "old repository start"
for _ in $(seq 200); do [ "$(lab_http_code repo1 "$(lab_repo_ready_url)")" = 200 ] && break; sleep 0.1; done
[ "$(lab_http_code repo1 "$(lab_repo_ready_url)")" = 200 ] || fail "the old repository did not become ready again"
grep -q "Content store check: $((rows1 - orphans1)) content URLs, 0 missing" "$LAB_OLD_HOME/tomcat/logs/catalina.out" ||
    fail "the repository's content check: $(grep "Content store check" "$LAB_OLD_HOME/tomcat/logs/catalina.out" | tail -n1)"
pass "old repository restarted: its content check finds all $((rows1 - orphans1)) live URLs"

# SIGTERM: the action in progress completes, the record says so, files and rows stay consistent.
lab_writer_start --add 1000 --orphan 0 --interval-ms 100
for _ in $(seq 300); do [ "$(lab_writer_count add)" -ge 3 ] && break; sleep 0.1; done
[ "$(lab_writer_count add)" -ge 3 ] || fail "the second writer did not add files"
lab_writer_stop 30 || fail "writer stop"
added=$(lab_writer_field added)
[ "$(lab_writer_field reason)" = stopped ] && [ "$added" -ge 3 ] && [ "$added" -lt 1000 ] && [ "$added" = "$(lab_writer_count add)" ] ||
    fail "after SIGTERM: $(tail -n 1 "$LAB_DIR/writer.jsonl")"
out=$(lab_check_content_rows) || fail "after SIGTERM: $out"; pass "SIGTERM after $added adds: stopped cleanly; $out"

# The check can fail: a file of the copy that differs from its row, and a file without a row.
added_rel=$(python3 -c 'import json, sys; print([json.loads(l) for l in open(sys.argv[1])][0]["rel"])' "$LAB_DIR/writer.jsonl")
rm -rf "$copy" && mkdir "$copy" && cp -a "$LAB_OLD_DIR_ROOT/contentstore" "$copy/"
printf x >> "$copy/$added_rel"
out=$(lab_check_content_rows "$copy") && fail "a grown file passed: $out"
grep -q "store://${added_rel#contentstore/}" <<< "$out" || fail "the mismatch does not name $added_rel: $out"
lab_psql "$LAB_OLD_DB" "delete from alf_content_data where content_url_id = (select id from alf_content_url where content_url = 'store://${added_rel#contentstore/}');
    delete from alf_content_url where content_url = 'store://${added_rel#contentstore/}'" >/dev/null
out=$(lab_check_content_rows) && fail "a file without a row passed: $out"
grep -q "unreferenced 1" <<< "$out" || fail "not one unreferenced file: $out"
pass "the row check fails on a file of the wrong size and on a file without a row"
