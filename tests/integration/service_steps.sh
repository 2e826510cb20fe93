#!/bin/bash
# service_steps.sh -- runs the service-step suite against the stand-ins with a private PostgreSQL.
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/err_trap.sh"
source "$ALFUP_SOURCE_DIR/tests/lib/pg_harness.sh"
work=$(mktemp -d /tmp/alfup-svc-pg.XXXXXX)
trap 'pg_harness_stop "$work"; rm -rf "$work"' EXIT
pg_harness_start "$work"
pg_harness_psql "create role alfresco login password 'alfresco'"
"$ALFUP_BIN/service_steps_test"
