# grep_all.sh -- grep_all: `grep -q` for the end of a pipeline under `set -o pipefail` (source me).
# grep -q exits at its first match; a writer still writing then dies of SIGPIPE (python3: BrokenPipeError),
# and pipefail makes the whole test take that for "no match". grep_all reads all of its input.
# shellcheck shell=bash
grep_all() { grep "$@" >/dev/null; }
