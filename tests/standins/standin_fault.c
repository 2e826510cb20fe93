/* standin_fault.c -- the fault a stand-in is told to show, read from HOME/standin-fault. */
#include "standin_fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_WORD_MAX 64

int standin_fault_read(const char *home, standin_fault_t *fault, char *bad, unsigned bad_len)
{
    fault->kind = FAULT_NONE;
    fault->seconds = 0;
    fault->rows = 0;
    char path[4096], word[FAULT_WORD_MAX + 1] = "";
    snprintf(path, sizeof path, "%s/standin-fault", home);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    int got = fscanf(f, "%64s", word);
    fclose(f);
    if (got != 1)
        return 0;
    unsigned seconds = 0;
    unsigned long rows = 0;
    char tail = 0;
    if (strcmp(word, "failed-patch") == 0)
        fault->kind = FAULT_FAILED_PATCH;
    else if (strcmp(word, "crash-after-start") == 0)
        fault->kind = FAULT_CRASH_AFTER_START;
    else if (strcmp(word, "hang") == 0)
        fault->kind = FAULT_HANG;
    else if (strcmp(word, "missing-content-ok") == 0)
        fault->kind = FAULT_MISSING_CONTENT_OK;
    else if (sscanf(word, "slow-start:%u%c", &seconds, &tail) == 1 && seconds <= STANDIN_SLOW_START_MAX_S) {
        fault->kind = FAULT_SLOW_START;
        fault->seconds = seconds;
    } else if (sscanf(word, "failed-patch-over:%lu%c", &rows, &tail) == 1 &&
               word[strlen("failed-patch-over:")] >= '0' && word[strlen("failed-patch-over:")] <= '9') {
        fault->kind = FAULT_FAILED_PATCH_OVER;
        fault->rows = rows;
    } else {
        snprintf(bad, bad_len, "%s", word);
        return -1;
    }
    return 0;
}
