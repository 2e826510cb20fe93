#!/bin/bash
# console_render_test.sh -- ctest console_render: tests/browser/console_render.js in Debian's Chromium (the
# console page's rendering without a controller: progress events, the downtime clock and its estimate, the
# rollback's steps, buttons, text never HTML).
set -euo pipefail
source "$ALFUP_SOURCE_DIR/tests/lib/err_trap.sh"
[ -x /usr/bin/chromium ] || { echo "FAIL: /usr/bin/chromium is missing: deploy/install-deps.sh test installs it" >&2; exit 1; }
node_dir=$ALFUP_BUILD_DIR/browser-node
bash "$ALFUP_SOURCE_DIR/tests/browser/install-puppeteer.sh" "$node_dir"
NODE_PATH=$node_dir/node_modules node "$ALFUP_SOURCE_DIR/tests/browser/console_render.js" "$ALFUP_SOURCE_DIR/controller/api/console"
