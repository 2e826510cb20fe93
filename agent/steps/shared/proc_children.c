/* proc_children.c -- the agent's children: those proc_run waits for, and the orphans it adopts as a subreaper. */
#include "proc_children.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* A process's children are one set per process, whatever thread forked
 * them: the record of the ones proc_run waits for is therefore one per
 * process too (the one piece of process-wide state in the step library). */
static pthread_mutex_t children_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t *waited_pids;
static size_t waited_count;
static size_t waited_capacity;

int proc_children_become_subreaper(alfup_err_t *err)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) != 0)
        return alfup_err_errno(err, errno, "prctl(PR_SET_CHILD_SUBREAPER)");
    return ALFUP_OK;
}

/* Room for one more recorded pid; called with the lock held. */
static int reserve_slot(void)
{
    if (waited_count < waited_capacity)
        return 0;
    size_t capacity = waited_capacity ? waited_capacity * 2 : 16;
    pid_t *grown = realloc(waited_pids, capacity * sizeof *grown);
    if (grown == NULL)
        return -1;
    waited_pids = grown;
    waited_capacity = capacity;
    return 0;
}

static int is_waited(pid_t pid)
{
    for (size_t i = 0; i < waited_count; i++)
        if (waited_pids[i] == pid)
            return 1;
    return 0;
}

pid_t proc_children_fork(void)
{
    pthread_mutex_lock(&children_lock);
    pid_t pid = -1;
    if (reserve_slot() != 0) {
        errno = ENOMEM;
        goto out;
    }
    pid = fork();
    if (pid > 0)
        waited_pids[waited_count++] = pid;
out:
    if (pid != 0)   /* the child only execs: it never touches the record */
        pthread_mutex_unlock(&children_lock);
    return pid;
}

void proc_children_forget(pid_t pid)
{
    pthread_mutex_lock(&children_lock);
    for (size_t i = 0; i < waited_count; i++) {
        if (waited_pids[i] == pid) {
            waited_pids[i] = waited_pids[--waited_count];
            break;
        }
    }
    pthread_mutex_unlock(&children_lock);
}

int proc_children_reap(pid_t pid)
{
    if (pid <= 1)
        return 0;
    pthread_mutex_lock(&children_lock);
    int reaped = !is_waited(pid) && waitpid(pid, NULL, WNOHANG) == pid;
    pthread_mutex_unlock(&children_lock);
    return reaped;
}

unsigned proc_children_reap_orphans(void)
{
    unsigned reaped = 0;
    pthread_mutex_lock(&children_lock);
    for (;;) {
        /* look without reaping: a child proc_run waits for is left to it */
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid <= 0)
            break;
        if (is_waited(info.si_pid) || waitpid(info.si_pid, NULL, WNOHANG) != info.si_pid)
            break;
        reaped++;
    }
    pthread_mutex_unlock(&children_lock);
    return reaped;
}
