#!/bin/bash
# check_banned.sh -- fails when project C code calls a banned function (style.md, after curl's
# checksrc): unbounded string functions and anything that runs a shell. Generated code is exempt.
set -euo pipefail
cd "${ALFUP_SOURCE_DIR:?}"
pattern='(^|[^_a-zA-Z0-9.>])(sprintf|vsprintf|strcat|strcpy|strtok|strncpy|gets|system|popen|tmpnam|mktemp)[[:space:]]*\('
hits=$(git ls-files '*.c' '*.h' 2>/dev/null | grep -v '\.pb-c\.' | xargs grep -nE "$pattern" || true)
if [ -n "$hits" ]; then
    echo "banned functions used (use snprintf, strtok_r, bounded copies, fork/execve):"
    echo "$hits"
    exit 1
fi
echo "no banned functions in $(git ls-files '*.c' '*.h' | wc -l) C files"
