#!/usr/bin/env python3
"""non_reaping_parent.py -- runs a command under a child subreaper that never reaps the orphans it adopts,
as PID 1 of a container without an init does: python3 non_reaping_parent.py PROGRAM ARGS...

An orphan of the command (a JVM that catalina.sh start left in the background) whose nearer ancestors are
not subreapers becomes this process's child and stays a zombie until this process exits. SIGTERM and
SIGINT are passed on to the command; the exit status is the command's."""
import ctypes
import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36


def main():
    if len(sys.argv) < 2 or not sys.argv[1].startswith("/"):
        sys.exit("usage: non_reaping_parent.py /ABSOLUTE/PROGRAM ARGS...")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("non_reaping_parent: prctl(PR_SET_CHILD_SUBREAPER): " + os.strerror(ctypes.get_errno()))
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(sys.argv[1], sys.argv[1:])
        finally:
            os._exit(127)
    for signo in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signo, lambda number, frame: os.kill(pid, number))
    _, status = os.waitpid(pid, 0)     # the command only: adopted orphans stay zombies
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
