#!/bin/bash
# backup_disk_full_test.sh -- e2e: the backups folder is a 48 MiB tmpfs (ALFUP_LAB_BACKUP_MB, root only).
# (a) Too small: with a filler file leaving 8 MiB free, the preflight refuses the run -- its error names
#     the backups folder, the free bytes and the bytes needed -- and nothing was stopped: no step after the
#     preflight ran, the old repository and Solr logged no stop and still answer their probes.
# (b) Space runs out anyway: the filler is written only once the preflight has passed (when stop-old
#     starts), leaving 3 MiB for a 7 MiB contentstore archive. backup-content fails with "No space left on
#     device", no partial or temporary file is left in the backups folder (and the space is free again),
#     and the run rolls back: the old repository and Solr answer their probes again, old files and database
#     unchanged.
[ "$(id -u)" = 0 ] || { echo "skip: needs root to mount the backups tmpfs"; exit 77; }
export ALFUP_LAB_BACKUP_MB=48
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
source "$ALFUP_SOURCE_DIR/tests/e2e/faults-run-lib.sh"
e2e_lab_up
findmnt -n -o FSTYPE --mountpoint "$LAB_BACKUPS" | grep_all -x tmpfs || fail "$LAB_BACKUPS is not a tmpfs"
lab_snapshot_old "$LAB_DIR/snapshot"
filler=$LAB_BACKUPS/filler

# fill_to MIB -- the filler file grows until MIB MiB are left free in the backups folder.
fill_to() {
    local free_kb
    free_kb=$(df -k --output=avail "$LAB_BACKUPS" | tail -n1)
    fallocate -l $(( (free_kb - $1 * 1024) * 1024 + $(stat -c %s "$filler" 2>/dev/null || echo 0) )) "$filler" ||
        fail "fallocate $filler"
}

# (a) preflight refuses
fill_to 8
solrlog=$LAB_OLD_SOLR/logs/solr.log
solr_before=$(wc -l < "$solrlog")
e2e_old_repo_mark
e2e_run_wait 1
e2e_failed_at_preflight
error=$(e2e_json 's["failed_step"]["error"]')
grep -Eq "free_space: $LAB_BACKUPS has [0-9]+ bytes free, the backup needs [0-9]+ " <<< "$error" ||
    fail "the preflight error does not name the folder and the sizes: $error"
e2e_json 's["error"]' | grep_all "$LAB_BACKUPS has" || fail "the run's error does not name $LAB_BACKUPS"
e2e_nothing_stopped
! tail -n +$((solr_before + 1)) "$solrlog" | grep_all -i "stop" || fail "the old Solr logged a stop"
pass "(a) run $RUN refused by the preflight, nothing stopped: ${error#*: }"
rm -f "$filler"
rm -rf "${LAB_BACKUPS:?}/$RUN"

# (b) the space runs out during the backup
RUN=$(lab_ctl run "$LAB_DIR/plan.yaml") || fail "run: $RUN"
RUN=$(echo "$RUN" | head -n1)
fr_wait_started repo1 stop-old 60 || fail "stop-old never started"
fill_to 3
pass "(b) preflight passed; filler written when stop-old started: $(df -h --output=avail "$LAB_BACKUPS" | tail -n1 | tr -d ' ') left"
set +e; lab_ctl status "$RUN" --wait > "$LAB_DIR/logs/run.out" 2>&1; RC=$?; set -e
[ "$RC" = 4 ] || { tail -n 60 "$LAB_DIR/logs/run.out" >&2; fail "status --wait exited $RC, expected 4 (rolled back)"; }
[ "$(e2e_json 's["state"]')" = rolled-back ] || fail "state $(e2e_json 's["state"]')"
e2e_json 's["failed_step"]["step"]' | grep_all "^backup-" || fail "failed step $(e2e_json 's["failed_step"]["id"]')"
e2e_json 's["failed_step"]["error"]' | grep_all "No space left on device" ||
    fail "the failed step's error gives no reason: $(e2e_json 's["failed_step"]["error"]')"
content_error=$(e2e_json "next(x for x in s['phases'][1]['steps'] if x['step'] == 'backup-content')['error']")
grep -q "No space left on device" <<< "$content_error" || fail "backup-content: $content_error"
pass "backup-content failed: $content_error"
left=$(find "$LAB_BACKUPS" -mindepth 1 ! -path "$filler" \( -name '*.tmp*' -o -name 'contentstore.tar.zst*' \))
[ -z "$left" ] || fail "partial files left in the backups folder: $left"
used_kb=$(( $(df -k --output=used "$LAB_BACKUPS" | tail -n1) - $(stat -c %s "$filler") / 1024 ))
[ "$used_kb" -lt 2048 ] || fail "${used_kb} KiB still used besides the filler (a partial file held open?)"
pass "no partial or temporary file left; ${used_kb} KiB used besides the filler: $(cd "$LAB_BACKUPS/$RUN" 2>/dev/null && ls | tr '\n' ' ')"
[ "$(e2e_json 'all(x["state"] == "succeeded" for x in s["rollback"]["steps"])')" = True ] || fail "rollback steps: $(e2e_json 's["rollback"]')"
out=$(lab_check_old_ready) || fail "$out"; pass "$out"
out=$(lab_check_old_unchanged "$LAB_DIR/snapshot") || fail "$out"; pass "${out//$'\n'/; }"
