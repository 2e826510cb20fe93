/* standin_fault.h -- the fault a stand-in is told to show, read from HOME/standin-fault. */
#ifndef STANDIN_FAULT_H
#define STANDIN_FAULT_H

typedef enum standin_fault_kind {
    FAULT_NONE = 0,
    FAULT_SLOW_START,         /* slow-start:SECONDS */
    FAULT_FAILED_PATCH,       /* failed-patch */
    FAULT_CRASH_AFTER_START,  /* crash-after-start */
    FAULT_HANG,               /* hang */
    FAULT_MISSING_CONTENT_OK, /* missing-content-ok */
    FAULT_FAILED_PATCH_OVER   /* failed-patch-over:ROWS -- only on databases with more rows */
} standin_fault_kind_t;

#define STANDIN_SLOW_START_MAX_S 3600u

typedef struct standin_fault {
    standin_fault_kind_t kind;
    unsigned seconds;         /* slow-start only */
    unsigned long rows;       /* failed-patch-over only */
} standin_fault_t;

/* Reads HOME/standin-fault (one word; no file = FAULT_NONE). Returns 0, or -1
 * when the word is not one of the above (word copied to bad, for the log). */
int standin_fault_read(const char *home, standin_fault_t *fault, char *bad, unsigned bad_len);

#endif
