#!/bin/bash
# install-puppeteer.sh DIR -- puppeteer-core at the version package.json pins, into DIR/node_modules (npm's
# registry; nothing else is downloaded: puppeteer-core fetches no browser, the tests use /usr/bin/chromium).
# Does nothing when DIR already holds that version. Exits non-zero, saying why, when npm fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: install-puppeteer.sh DIR}
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dependencies"]["puppeteer-core"])' "$here/package.json")
# Two tests may ask at once (ctest -j): one installs, the other waits for it and finds it there.
mkdir -p "$dir"
exec 9> "$dir/.install.lock"
flock 9
have=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' \
    "$dir/node_modules/puppeteer-core/package.json" 2>/dev/null || true)
[ "$have" = "$want" ] && exit 0
command -v npm >/dev/null || { echo "install-puppeteer: npm is missing (deploy/install-deps.sh installs it)" >&2; exit 1; }
cp "$here/package.json" "$dir/package.json"
if ! out=$(cd "$dir" && npm install --prefer-offline --no-audit --no-fund --no-save 2>&1); then
    echo "install-puppeteer: npm install puppeteer-core@$want into $dir failed:" >&2
    echo "$out" | tail -n 20 >&2
    exit 1
fi
