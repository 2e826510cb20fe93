#!/bin/bash
# lab-down.sh -- stops and removes what lab-up.sh DIR created, as listed in DIR/lab.state: the agents and
# the controller, the services they started, the PostgreSQL cluster, the network namespaces (and with them
# their veths), the tmpfs mounted as the backups folder ("mount PATH", ALFUP_LAB_BACKUP_MB). Safe to run
# twice, and on a half-made lab. Files under DIR stay (logs, journal) unless --purge is given, which also
# removes DIR.
#   tests/lab/lab-down.sh DIR [--purge]
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lab-lib.sh"
source "$here/lab-net.sh"
[ $# -ge 1 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
dir=$1
purge=0
[ "${2:-}" = --purge ] && purge=1
[ -d "$dir" ] || exit 0
dir=$(cd "$dir" && pwd -P)
state=$dir/lab.state
if [ ! -f "$state" ]; then
    [ "$purge" = 1 ] && [ -f "$dir/lab.env" ] && rm -rf "$dir"
    exit 0
fi
lab_load "$dir" || true   # a half-made lab may lack lab.env; lab.state is what counts
LAB_DIR=$dir

# Agents and the controller, newest first (an agent cannot start anything once it is gone).
while read -r kind pid exe name; do
    [ "$kind" = pid ] && lab_stop_pid "$pid" "$exe" 10
done < <(tac "$state")

# The services the agents (or lab-up) started: their pidfiles name them.
while read -r kind path exe; do
    [ "$kind" = pidfile ] || continue
    pid=$(head -c 32 "$path" 2>/dev/null | tr -dc 0-9)
    [ -n "$pid" ] && lab_stop_pid "$pid" "$exe" 25
done < "$state"

# The PostgreSQL cluster.
while read -r kind path; do
    [ "$kind" = pg ] || continue
    [ -f "$path/data/postmaster.pid" ] || continue
    (source "$here/../lib/pg_harness.sh"
     pg_harness_stop "$path") || echo "lab: could not stop the PostgreSQL cluster in $path" >&2
done < "$state"

# The namespaces: whatever still runs inside them was started by this lab.
lab_net_down

# The backups tmpfs (ALFUP_LAB_BACKUP_MB): unmounted only while it is still the tmpfs lab-up mounted there.
while read -r kind path; do
    [ "$kind" = mount ] || continue
    if findmnt -n -o SOURCE,FSTYPE --mountpoint "$path" 2>/dev/null | grep -qx "alfup-lab-backups *tmpfs"; then
        umount "$path" || echo "lab: could not unmount the backups tmpfs $path" >&2
    fi
done < "$state"

if [ "$purge" = 1 ]; then
    rm -rf "$dir"
fi
exit 0
