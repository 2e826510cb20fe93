#!/usr/bin/env bash
# db_test.sh -- runs a db-area cmocka binary ($DB_TEST_BINARY in $ALFUP_BIN) against a private PostgreSQL from pg_harness.sh.
set -u
: "${ALFUP_SOURCE_DIR:?run from ctest (ALFUP_SOURCE_DIR)}"
: "${ALFUP_BIN:?run from ctest (ALFUP_BIN)}"
: "${DB_TEST_BINARY:?which test binary to run (DB_TEST_BINARY)}"

source "$ALFUP_SOURCE_DIR/tests/lib/pg_harness.sh"
source "$ALFUP_SOURCE_DIR/tests/lib/err_trap.sh"   # inert here (no set -e: every exit is explicit), kept for the day it is

cluster=$(mktemp -d /tmp/alfup-pg-XXXXXX) || { echo "FAIL: mktemp for the cluster" >&2; exit 1; }
other=""   # DB_TEST_SECOND_SERVER=1: a second cluster, DB_TEST_OTHER_CONNINFO (another server to copy to)
work=$(mktemp -d /tmp/alfup-dbwork-XXXXXX) || { echo "FAIL: mktemp for the work folder" >&2; exit 1; }
cleanup() {
    pg_harness_stop "$cluster"
    rm -rf "$cluster"
    if [ -n "$other" ]; then pg_harness_stop "$other"; rm -rf "$other"; fi
    # a tmpfs the preflight test mounted survives only if it crashed
    if mountpoint -q "$work/tiny" 2>/dev/null; then umount "$work/tiny"; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "${DB_TEST_SECOND_SERVER:-0}" = 1 ]; then
    # Started first: the second pg_harness_start's exports (PGHOST, PGPORT, ...) are the main cluster's.
    other=$(mktemp -d /tmp/alfup-pg2-XXXXXX) || { echo "FAIL: mktemp for the second cluster" >&2; exit 1; }
    pg_harness_start "$other" || { echo "FAIL: no second PostgreSQL for $DB_TEST_BINARY (pg_harness_start, above)" >&2; exit 1; }
    export DB_TEST_OTHER_CONNINFO="host=$PGHOST port=$PGPORT user=$PG_HARNESS_SUPERUSER"
fi
pg_harness_start "$cluster" || { echo "FAIL: no PostgreSQL for $DB_TEST_BINARY (pg_harness_start, above)" >&2; exit 1; }
export DB_TEST_WORK="$work"
"$ALFUP_BIN/$DB_TEST_BINARY"
