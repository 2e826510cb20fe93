# err_trap.sh -- makes every exit of a test script under `set -e` say why (source me; installs the trap).
# shellcheck shell=bash
#
# A command that fails where `set -e` makes the script exit prints, on stderr:
#   FAIL: SCRIPT:LINE: `COMMAND` exited STATUS
#     line LINE: TEXT                          (the line's text, when COMMAND is not all of it)
#     in FUNCTION() called at SCRIPT:LINE      (one line per function the failure happened in)
# (When a function returns non-zero, bash names the last command it ran inside it, e.g. `return 1`:
# the line's text then shows the call.)
# `set -o errtrace` carries the trap into functions, command substitutions and subshells. The trap
# says nothing where a failure does not end the script: in `if`, `while`, `&&`, `||` and `!` (bash
# does not run it there), and where errexit is off (bash turns it off in command substitutions; the
# assignment that receives a failed substitution then fails in its turn, and is reported).
# In the script's own shell (not a subshell) it then calls err_trap_hook when the script defines one
# (the e2e library shows the lab's status and logs), once.

# err_trap_report STATUS COMMAND -- the ERR trap's body (called by the trap, not by tests).
err_trap_report() {
    local status=$1 command=$2 file=${BASH_SOURCE[1]:-?} line=${BASH_LINENO[0]} text i
    [[ $- == *e* ]] || return 0
    [ -z "${ERR_TRAP_BUSY:-}" ] || return 0
    ERR_TRAP_BUSY=1
    printf 'FAIL: %s:%s: `%s` exited %s\n' "$file" "$line" "$command" "$status" >&2
    text=$(sed -n "${line}{s/^[[:space:]]*//;p;q}" "$file" 2>/dev/null) || text=""
    [ -z "$text" ] || [ "$text" = "$command" ] || printf '  line %s: %s\n' "$line" "$text" >&2
    for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do
        printf '  in %s() called at %s:%s\n' "${FUNCNAME[i]}" "${BASH_SOURCE[i + 1]:-?}" "${BASH_LINENO[i]}" >&2
    done
    if [ "$BASHPID" = "$$" ] && declare -F err_trap_hook >/dev/null; then
        err_trap_hook || true
    fi
    ERR_TRAP_BUSY=""
    return 0
}

set -o errtrace
trap 'err_trap_report "$?" "$BASH_COMMAND"' ERR
