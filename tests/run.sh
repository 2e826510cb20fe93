#!/bin/bash
# run.sh -- builds alfup and runs the whole test suite through ctest: unit and integration tests
# under AddressSanitizer and UndefinedBehaviorSanitizer, the unit tests again under valgrind, and
# a short libFuzzer run of every fuzz target. Installs missing Debian packages when run as root.
#   tests/run.sh            everything
#   ALFUP_FUZZ_SECONDS=60 tests/run.sh   longer fuzz runs
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/deploy/install-deps.sh"
install_deps test

jobs=$(nproc)
build=${ALFUP_TEST_BUILD:-$top/build-tests}
fuzz_seconds=${ALFUP_FUZZ_SECONDS:-15}
status=0

section() { printf '\n== %s\n' "$*"; }

section "build with AddressSanitizer + UndefinedBehaviorSanitizer ($build/asan)"
cmake -S "$top" -B "$build/asan" -DCMAKE_BUILD_TYPE=Debug -DALFUP_SANITIZE=ON >/dev/null
cmake --build "$build/asan" -j "$jobs"
section "unit and integration tests (sanitized)"
(cd "$build/asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    ctest -j "$jobs" --output-on-failure -LE "fuzz|bench|valgrind") || status=1

section "build for valgrind ($build/valgrind)"
cmake -S "$top" -B "$build/valgrind" -DCMAKE_BUILD_TYPE=Debug -DALFUP_VALGRIND=ON >/dev/null
cmake --build "$build/valgrind" -j "$jobs"
section "unit tests under valgrind"
(cd "$build/valgrind" && ctest -j "$jobs" --output-on-failure -L valgrind) || status=1

if command -v clang >/dev/null; then
    section "build fuzz targets with clang + libFuzzer ($build/fuzz)"
    CC=clang cmake -S "$top" -B "$build/fuzz" -DALFUP_FUZZ=ON -DALFUP_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
    targets=$(cd "$build/fuzz" && ctest -N -L fuzz | awk '/Test +#/ {print $3}')
    # shellcheck disable=SC2086
    cmake --build "$build/fuzz" -j "$jobs" --target $targets
    section "fuzz targets, ${fuzz_seconds}s each on their seed corpora"
    (cd "$build/fuzz" && ctest --output-on-failure -L fuzz) || status=1
else
    echo "clang not found: fuzz targets not run" >&2
    status=1
fi

section "result"
[ "$status" = 0 ] && echo "alfup: every suite passed" || echo "alfup: some tests FAILED (see above)"
exit "$status"
