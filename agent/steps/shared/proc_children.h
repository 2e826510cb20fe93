/* proc_children.h -- the agent's children: those proc_run waits for, and the orphans it adopts as a subreaper. */
#ifndef ALFUP_PROC_CHILDREN_H
#define ALFUP_PROC_CHILDREN_H

#include <sys/types.h>

#include "alfup_error.h"

/* Makes this process a child subreaper (prctl PR_SET_CHILD_SUBREAPER): a
 * service that a start command left running in the background (catalina.sh
 * start's JVM) becomes this process's child when the command exits, instead
 * of init's, so the agent reaps it when it exits -- also in a container with
 * no init that reaps. Returns ALFUP_ERR with err when the kernel refuses. */
int proc_children_become_subreaper(alfup_err_t *err);

/* fork() for proc_run: the child is recorded as one proc_run waits for
 * before any reaper can look at it, so the reapers below never take its exit
 * status. Returns fork()'s value; -1 with errno on failure (ENOMEM when it
 * cannot be recorded). proc_run calls proc_children_forget once it has
 * waited for the child. */
pid_t proc_children_fork(void);
void proc_children_forget(pid_t pid);

/* Reaps pid when it is an exited child of this process that proc_run does
 * not wait for (an adopted orphan). Returns 1 when reaped, else 0. */
int proc_children_reap(pid_t pid);

/* Reaps every exited adopted orphan; one found behind an exited child that
 * proc_run has yet to collect waits for the next call. Returns how many were
 * reaped. */
unsigned proc_children_reap_orphans(void);

#endif
