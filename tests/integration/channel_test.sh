#!/bin/bash
# channel_test.sh -- runs the channel's cmocka suite with certificates made by certs/alfup-certs.
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/err_trap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$ALFUP_SOURCE_DIR/tests/lib/make_test_certs.sh" "$work"
ALFUP_TEST_CERTS=$work "$ALFUP_BUILD_DIR/bin/test_channel"
