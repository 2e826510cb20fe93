/* online_priority.h -- run the calling thread at idle I/O priority and the lowest CPU priority, and back. */
#ifndef ALFUP_ONLINE_PRIORITY_H
#define ALFUP_ONLINE_PRIORITY_H

#include "alfup_error.h"

#define ONLINE_NICE 19             /* setpriority's lowest CPU priority */
#define ONLINE_IOPRIO_CLASS_IDLE 3 /* IOPRIO_CLASS_IDLE of linux/ioprio.h */

/* What the thread had before, to restore. Plain value. */
typedef struct online_priority {
    int saved_ioprio; /* ioprio_get's value */
    int saved_nice;
    int entered;
} online_priority_t;

/* Lowers the calling thread (its tid, not the process) to IOPRIO_CLASS_IDLE
 * and nice ONLINE_NICE; threads it creates afterwards (zstd workers) inherit
 * both. 0, or ALFUP_ERR with err (the thread is left as it was). */
int online_priority_enter(online_priority_t *priority, alfup_err_t *err);

/* Restores what online_priority_enter saved (a no-op when it did not succeed).
 * Raising the CPU priority back needs CAP_SYS_NICE: without it the thread stays
 * at nice ONLINE_NICE and ALFUP_ERR says so. */
int online_priority_leave(online_priority_t *priority, alfup_err_t *err);

/* The calling thread's I/O priority class (IOPRIO_PRIO_CLASS of ioprio_get),
 * or -1 with errno. For tests and logs. */
int online_priority_io_class(void);

#endif
