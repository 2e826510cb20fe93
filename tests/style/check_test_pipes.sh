#!/bin/bash
# check_test_pipes.sh -- fails when a test script ends a pipeline from a JSON or status writer in
# `grep -q`: under pipefail, grep -q's early exit can kill a writer still writing (SIGPIPE, or a
# BrokenPipeError from python), which fails the pipeline although the line was there. Such
# pipelines end in grep_all (tests/lib/grep_all.sh), which reads its whole input.
set -euo pipefail
cd "${ALFUP_SOURCE_DIR:?}"
pattern='(e2e_json|lab_ctl|alfup-controller|python3|curl)[^|]*\|[^|]*grep +-[a-zA-Z]*q'
hits=$(git ls-files 'tests/*.sh' 2>/dev/null | xargs grep -nE "$pattern" || true)
if [ -n "$hits" ]; then
    echo "pipelines from a writer that may still be writing end in grep -q (use grep_all):"
    echo "$hits"
    exit 1
fi
echo "no writer pipeline ends in grep -q in $(git ls-files 'tests/*.sh' | wc -l) test scripts"
