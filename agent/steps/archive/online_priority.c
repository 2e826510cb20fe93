/* online_priority.c -- ioprio_set(2) and setpriority(2) on the calling thread's id (see online_priority.h). */
#include "online_priority.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define IOPRIO_WHO_PROCESS 1 /* with a tid: that one thread */
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_VALUE(cls, data) (((cls) << IOPRIO_CLASS_SHIFT) | (data))

static int thread_id(void)
{
    return (int)syscall(SYS_gettid);
}

int online_priority_io_class(void)
{
    long value = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, thread_id());
    return value < 0 ? -1 : (int)(value >> IOPRIO_CLASS_SHIFT);
}

int online_priority_enter(online_priority_t *priority, alfup_err_t *err)
{
    *priority = (online_priority_t){0};
    int tid = thread_id();
    long io = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, tid);
    if (io < 0)
        return alfup_err_errno(err, errno, "ioprio_get(thread %d)", tid);
    errno = 0;
    int nice_value = getpriority(PRIO_PROCESS, (id_t)tid);
    if (nice_value == -1 && errno != 0)
        return alfup_err_errno(err, errno, "getpriority(thread %d)", tid);
    if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, tid, IOPRIO_VALUE(ONLINE_IOPRIO_CLASS_IDLE, 0)) != 0)
        return alfup_err_errno(err, errno, "ioprio_set(thread %d, idle class)", tid);
    if (setpriority(PRIO_PROCESS, (id_t)tid, ONLINE_NICE) != 0) {
        int saved = errno;
        (void)syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, tid, (int)io);
        return alfup_err_errno(err, saved, "setpriority(thread %d, %d)", tid, ONLINE_NICE);
    }
    priority->saved_ioprio = (int)io;
    priority->saved_nice = nice_value;
    priority->entered = 1;
    return ALFUP_OK;
}

int online_priority_leave(online_priority_t *priority, alfup_err_t *err)
{
    if (!priority->entered)
        return ALFUP_OK;
    priority->entered = 0;
    int tid = thread_id();
    int rc = ALFUP_OK;
    if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, tid, priority->saved_ioprio) != 0)
        rc = alfup_err_errno(err, errno, "restore ioprio of thread %d", tid);
    if (setpriority(PRIO_PROCESS, (id_t)tid, priority->saved_nice) != 0 && rc == ALFUP_OK)
        rc = alfup_err_errno(err, errno, "restore nice %d of thread %d", priority->saved_nice, tid);
    return rc;
}
