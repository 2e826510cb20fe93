#!/bin/bash
# backup_shared_fs_test.sh -- e2e: the three agents' backup folders are one 48 MiB tmpfs (ALFUP_LAB_BACKUP_MB,
# root only), as when hosts share one NFS export. A first run with a gate after the preflight learns what each
# host's backup needs and is cancelled there. Then a filler leaves room for each host's backup alone but not
# for all of them: the preflight refuses the run before anything stops, naming the hosts, the filesystem and
# the numbers (before issue 15 each host checked only its own need, and the run went on to stop production).
[ "$(id -u)" = 0 ] || { echo "skip: needs root to mount the backups tmpfs"; exit 77; }
export ALFUP_LAB_BACKUP_MB=48
source "$ALFUP_SOURCE_DIR/tests/e2e/e2e-lib.sh"
e2e_lab_up
findmnt -n -o FSTYPE --mountpoint "$LAB_BACKUPS" | grep_all -x tmpfs || fail "$LAB_BACKUPS is not a tmpfs"
filler=$LAB_BACKUPS/filler
free_bytes() { df -B1 --output=avail "$LAB_BACKUPS" | tail -n1 | tr -d ' '; }

# (a) what each host needs: a run that waits at a gate on the first step after the preflight
sed 's/^approve: .*/approve: [install, decommission]/' "$LAB_DIR/plan.yaml" > "$LAB_DIR/plan-gated.yaml"
RUN=$(lab_ctl run "$LAB_DIR/plan-gated.yaml" | head -n1) || fail "run: $RUN"
for _ in $(seq 300); do
    state=$(e2e_json 's["state"]')
    [ "$state" = running ] || break
    sleep 0.2
done
[ "$state" = waiting ] || fail "the gated run is $state: $(e2e_json 's.get("error")')"
report=$(e2e_json '"\n".join("%s %s %s %s" % (x["host"], x["outputs"]["backup_fs"], x["outputs"]["space_needed_bytes"],
    x["outputs"]["space_free_bytes"]) for x in s["phases"][0]["steps"] if "backup_fs" in x["outputs"])')
echo "  ${report//$'\n'/$'\n'  }"
[ "$(echo "$report" | awk '{print $2}' | sort -u | wc -l)" = 1 ] || fail "the hosts report different filesystems"
[ "$(echo "$report" | awk '{print $1}' | sort -u | wc -l)" -ge 2 ] || fail "fewer than two hosts estimated a backup"
sum=$(echo "$report" | awk '{s += $3} END {print s}')
max=$(echo "$report" | awk '$3 > m {m = $3} END {print m}')
lab_ctl cancel "$RUN" >/dev/null || fail "cancel $RUN"
pass "(a) the hosts' backups go to one filesystem; needs $(echo "$report" | awk '{printf "%s %s, ", $1, $3}')sum $sum"

# (b) room for the largest alone, not for the sum
margin=$(( (sum - max) / 2 ))
[ "$margin" -gt $((256 * 1024)) ] || fail "the needs ($sum, largest $max) leave no room to test between them"
fallocate -l $(( $(free_bytes) - (max + margin) )) "$filler" || fail "fallocate $filler"
free=$(free_bytes)
if [ "$free" -le "$max" ] || [ "$free" -ge "$sum" ]; then fail "free $free is not between $max and $sum"; fi
e2e_old_repo_mark
e2e_run_wait 1
e2e_failed_at_preflight
error=$(e2e_json 's["error"]')
grep -Eq "go to one filesystem \(local:[^)]+\): together they need [0-9]+ bytes \(each 1.1 x its estimate\), it has [0-9]+ bytes free" <<< "$error" ||
    fail "the error does not name the filesystem and the numbers: $error"
for host in $(echo "$report" | awk '{print $1}' | sort -u); do
    grep -q "$host " <<< "$error" || fail "the error does not name $host: $error"
done
e2e_nothing_stopped
pass "(b) with $free bytes free the preflight refused run $RUN, nothing stopped: ${error#*failed: }"
